package exporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

// BenchmarkOTLPHTTPCompression exports 512-record batches to a server that discards
// them, per compression: the CPU each costs the exporter and the bytes it puts on the
// wire per record.
func BenchmarkOTLPHTTPCompression(b *testing.B) {
	var wire atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		wire.Add(n)
	}))
	defer srv.Close()
	records := make([]sdklog.Record, 512)
	for i := range records {
		records[i] = recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
			r.SetSeverity(log.SeverityInfo)
			r.SetBody(attribute.StringValue("order accepted"))
			r.AddAttributes(attribute.Int("order_id", 100000+i), attribute.String("user", "u-"+strconv.Itoa(i%50)),
				attribute.Float64("total", float64(i)*1.25), attribute.String("http.route", "/orders/{id}"), attribute.Bool("paid", i%2 == 0))
		})
	}
	for _, comp := range []string{CompressionNone, CompressionGzip, CompressionZstd} {
		b.Run(comp, func(b *testing.B) {
			o, err := NewOTLP(context.Background(), OTLPConfig{Endpoint: srv.URL + "/v1/logs", Compression: comp})
			if err != nil {
				b.Fatal(err)
			}
			defer o.Shutdown(context.Background())
			wire.Store(0)
			b.ReportAllocs()
			for b.Loop() {
				if err := o.Export(context.Background(), records); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(wire.Load())/float64(b.N*len(records)), "wire-B/record")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(records)), "ns/record")
		})
	}
}
