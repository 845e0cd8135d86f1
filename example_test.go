package resilog_test

import (
	"context"
	"log"

	"github.com/resilog/resilog"
)

// The README's quickstart, kept compiling.
func ExampleNew() {
	ctx := context.Background()
	p, err := resilog.New(ctx, resilog.WithServiceName("orders"))
	if err != nil {
		log.Fatal(err) // bad configuration is an error, never a half-built pipeline
	}
	defer p.Shutdown(ctx)

	logger := p.Logger("github.com/acme/shop/orders") // a *slog.Logger
	logger.InfoContext(ctx, "order created", "order_id", 1042, "total", "149.99")
}

// Stats says where every record went.
func ExamplePipeline_Stats() {
	ctx := context.Background()
	p, err := resilog.New(ctx, resilog.WithExporter("none"))
	if err != nil {
		log.Fatal(err)
	}
	_ = p.Shutdown(ctx)
	s := p.Stats()
	log.Printf("emitted=%d exported=%d fallback=%d dropped=%d", s.Emitted, s.Exported, s.Fallback, s.DroppedTotal)
}
