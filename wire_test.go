package resilog

import (
	"bytes"
	"context"
	"sync"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/recorduid"
)

// wire is an exporter that keeps the OTLP/protobuf request resilog's own OTLP exporter
// would send for every batch: what leaves the process, resource and scope included.
type wire struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *wire) Export(_ context.Context, records []sdklog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(otlpenc.AppendRequest(nil, records, recorduid.UIDs{}))
	return nil
}
func (w *wire) ForceFlush(context.Context) error { return nil }
func (w *wire) Shutdown(context.Context) error   { return nil }

func (w *wire) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// attackPipeline returns a default pipeline whose primary and fallback are w.
func attackPipeline(t *testing.T, opts ...Option) (*Pipeline, *wire) {
	t.Helper()
	w := new(wire)
	p, err := New(context.Background(), append([]Option{WithSDKExporter(w), WithFallback(w)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p, w
}

// shipped shuts p down and returns every byte exported.
func shipped(t *testing.T, p *Pipeline, w *wire) []byte {
	t.Helper()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w.bytes()
}
