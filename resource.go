package resilog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// detectResource describes the process as the SDK's standard detectors do, once, in New:
// the SDK (telemetry.sdk.*), the host (host.name), the OS (os.type, os.description), the
// process (pid, executable name and path, owner, Go runtime name, version and description)
// and the container ID where the cgroup file holds one. It leaves out the command line
// (process.command_args): a service's flags carry credentials ("--db-password=…") and it
// would travel with every batch. A detector that finds nothing (no /etc/os-release, a
// user without a passwd entry) leaves its attributes out rather than failing New.
func detectResource(ctx context.Context) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithOS(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessExecutablePath(),
		resource.WithProcessOwner(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithProcessRuntimeDescription(),
		resource.WithContainer(),
	)
	if err != nil && (res == nil || !errors.Is(err, resource.ErrPartialResource)) {
		return nil, fmt.Errorf("resilog: detecting resource: %w", err)
	}
	return res, nil
}

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
