package processor

import (
	"context"
	"fmt"
	"testing"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/propagation"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
)

// BenchmarkCorrelateBound: the cost of one record whose context has n attributes bound,
// which must grow linearly with n (it was quadratic: each bound key was looked for by
// walking the record and the attributes already added), and allocate nothing beyond the
// appended attributes in the common case of a few.
func BenchmarkCorrelateBound(b *testing.B) {
	for _, n := range []int{3, 100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var args []any
			for i := range n {
				args = append(args, fmt.Sprintf("k%d", i), i)
			}
			ctx := propagation.With(context.Background(), args...)
			c := NewCorrelate(CorrelateConfig{})
			r0 := recordtest.Make("bench", func(r *log.Record) { r.SetBody(attribute.StringValue("m")) })
			b.ReportAllocs()
			for b.Loop() {
				r := r0.Clone()
				if err := c.OnEmit(ctx, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
