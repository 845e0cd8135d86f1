package resilog

import (
	"context"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// exactResource makes the resource of every record the pipeline's own (buildResource's,
// redacted). sdklog.WithResource merges resource.Environment() under the resource it is
// given, reading OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME again, unredacted: a key
// the redaction masked would come back with its value, as would a variable set after
// resolve read it. No option sets a provider's resource as is, so exactResource,
// registered first, overwrites the value of the provider's resource with the pipeline's
// when the first record passes, before any other processor or exporter has read it.
//
// The resource it overwrites is the provider's private copy: Merge returns a new
// Resource when, as with WithResource, both its arguments are set.
type exactResource struct {
	res  *resource.Resource
	once sync.Once
}

var _ sdklog.Processor = (*exactResource)(nil)

func (e *exactResource) OnEmit(_ context.Context, r *sdklog.Record) error {
	e.once.Do(func() {
		if got := r.Resource(); got != nil && got != e.res {
			*got = *e.res
		}
	})
	return nil
}

func (e *exactResource) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (e *exactResource) Shutdown(context.Context) error                         { return nil }
func (e *exactResource) ForceFlush(context.Context) error                       { return nil }
