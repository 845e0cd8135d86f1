// Package recordtest provides an in-memory sdklog.Exporter for resilog's own tests.
package recordtest

import (
	"context"
	"log/slog"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Exporter keeps every record it is given. It is safe for concurrent use.
type Exporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

// Export stores clones of records.
func (e *Exporter) Export(_ context.Context, records []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range records {
		e.records = append(e.records, records[i].Clone())
	}
	return nil
}

// Shutdown does nothing.
func (e *Exporter) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (e *Exporter) ForceFlush(context.Context) error { return nil }

// Records returns the records exported so far.
func (e *Exporter) Records() []sdklog.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdklog.Record(nil), e.records...)
}

// Reset forgets the records exported so far.
func (e *Exporter) Reset() {
	e.mu.Lock()
	e.records = nil
	e.mu.Unlock()
}

// AsMap flattens r the way testing/slogtest reads results: time, level and msg under the
// slog keys, attributes by key, map values as nested map[string]any.
func AsMap(r sdklog.Record) map[string]any {
	m := make(map[string]any)
	if ts := r.Timestamp(); !ts.IsZero() {
		m[slog.TimeKey] = ts
	}
	if sev := r.Severity(); sev != 0 {
		m[slog.LevelKey] = r.SeverityText()
	}
	if b := r.Body(); b.Type() != attribute.EMPTY {
		m[slog.MessageKey] = Value(b)
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		m[string(kv.Key)] = Value(kv.Value)
		return true
	})
	return m
}

// Value converts v to a plain Go value: maps become map[string]any, slices []any.
func Value(v attribute.Value) any {
	switch v.Type() {
	case attribute.MAP:
		m := make(map[string]any)
		for _, kv := range v.AsMap() {
			m[string(kv.Key)] = Value(kv.Value)
		}
		return m
	case attribute.SLICE:
		var out []any
		for _, e := range v.AsSlice() {
			out = append(out, Value(e))
		}
		return out
	case attribute.EMPTY:
		return nil
	}
	return v.AsInterface()
}

// capture is a processor that keeps clones of what it sees.
type capture struct {
	mu  sync.Mutex
	out []sdklog.Record
}

func (c *capture) OnEmit(_ context.Context, r *sdklog.Record) error {
	c.mu.Lock()
	c.out = append(c.out, r.Clone())
	c.mu.Unlock()
	return nil
}
func (*capture) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (*capture) Shutdown(context.Context) error                         { return nil }
func (*capture) ForceFlush(context.Context) error                       { return nil }

// Make returns an SDK record built the way the SDK builds them (with its attribute limits
// and the given resource options), from the API record that build fills in. A zero
// sdklog.Record cannot hold attributes, so tests that need records use this.
func Make(scope string, build func(*log.Record), opts ...sdklog.LoggerProviderOption) sdklog.Record {
	c := new(capture)
	lp := sdklog.NewLoggerProvider(append(opts, sdklog.WithProcessor(c))...)
	var r log.Record
	build(&r)
	lp.Logger(scope).Emit(context.Background(), r)
	return c.out[0]
}

// HexUIDs is a recorduid.Source for tests: seq s has the uid %032x of s, and seqs from
// 1000 on none (an earlier run's, which carry their own). It never allocates.
type HexUIDs struct{}

// AppendUID appends seq's uid to b.
func (HexUIDs) AppendUID(b []byte, seq uint64) ([]byte, bool) {
	if seq >= 1000 {
		return b, false
	}
	for i := 31; i >= 0; i-- {
		b = append(b, "0123456789abcdef"[seq>>(4*uint(i))&0xf])
	}
	return b, true
}
