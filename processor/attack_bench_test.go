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

// BenchmarkAttackCorrelateBound: Correlate looks for each bound attribute's key among the
// record's attributes and those it already added, so one record costs time quadratic in the
// number of bound attributes, at every log call (slog.Logger.With pays once, at With).
func BenchmarkAttackCorrelateBound(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var args []any
			for i := range n {
				args = append(args, fmt.Sprintf("k%d", i), i)
			}
			ctx := propagation.With(context.Background(), args...)
			c := NewCorrelate(CorrelateConfig{})
			r0 := recordtest.Make("bench", func(r *log.Record) { r.SetBody(attribute.StringValue("m")) })
			for b.Loop() {
				r := r0.Clone()
				if err := c.OnEmit(ctx, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
