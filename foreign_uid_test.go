//go:build unix

package resilog

import (
	"context"
	"slices"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/internal/spool"
)

// spoolPeek is an exporter resilog does not own that, in each Export, reads the spool
// directory beside the running process (spool.Scan: the records are not released
// before the export returns) and keeps, per body, the log.record.uid of the spooled
// copy and the copy it was given.
type spoolPeek struct {
	dir string

	mu      sync.Mutex
	spooled map[string][]string // body → uids of the spooled copy (one)
	got     map[string]sdklog.Record
}

func (e *spoolPeek) Export(_ context.Context, records []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.spooled == nil {
		e.spooled, e.got = map[string][]string{}, map[string]sdklog.Record{}
	}
	if _, err := spool.Scan(e.dir, func(en spool.Entry) bool {
		r, err := en.Record()
		if err == nil {
			e.spooled[r.Body().AsString()] = uidsOf(&r)
		}
		return true
	}); err != nil {
		return err
	}
	for _, r := range records {
		e.got[r.Body().AsString()] = r.Clone()
	}
	return nil
}
func (*spoolPeek) Shutdown(context.Context) error   { return nil }
func (*spoolPeek) ForceFlush(context.Context) error { return nil }

// An application plugs NewProcessor into its own LoggerProvider, which has an attribute
// value length limit (the SDK's OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT, or
// WithAttributeValueLengthLimit), with the spool on and an exporter of its own
// (WithSDKExporter): the copy that exporter gets carries the spooled copy's
// log.record.uid whole (32 hex digits), so that a backend can match the copy delivered
// twice after a crash. (Found by the adversary: AddAttributes applied the record's value
// length limit to the uid, and cut it.)
func TestForeignUIDWholePastAValueLengthLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	exp := &spoolPeek{dir: dir}
	proc, err := NewProcessor(ctx, envOf(nil), WithSpool(dir), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "svc"))),
		sdklog.WithAttributeValueLengthLimit(12))
	var r otellog.Record
	r.SetBody(attribute.StringValue("short values"))
	r.AddAttributes(attribute.String("order", "1042"))
	provider.Logger("shop").Emit(ctx, r)
	if err := proc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	checkForeignUIDs(t, exp, []string{"short values"})
}

// checkForeignUIDs checks that the copy of each record (by body) the exporter got
// carries exactly one log.record.uid, the spooled copy's.
func checkForeignUIDs(t *testing.T, exp *spoolPeek, bodies []string) {
	t.Helper()
	exp.mu.Lock()
	defer exp.mu.Unlock()
	for _, b := range bodies {
		r, ok := exp.got[b]
		if !ok {
			t.Errorf("%q: not exported", b)
			continue
		}
		want := exp.spooled[b]
		got := uidsOf(&r)
		if len(want) != 1 || len(want[0]) != 32 {
			t.Errorf("%q: the spooled copy has uids %q, want one of 32 hex digits", b, want)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: the exporter's copy has %s %q, the spooled copy %q", b, spool.UIDKey, got, want)
		}
	}
}
