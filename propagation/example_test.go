package propagation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/resilog/resilog/propagation"
)

func ExampleValidRequestID() {
	for _, id := range []string{"abc-123", "abc\n2026-05-07 INFO forged", `{"x":1}`} {
		fmt.Printf("%q %v\n", id, propagation.ValidRequestID(id))
	}
	// Output:
	// "abc-123" true
	// "abc\n2026-05-07 INFO forged" false
	// "{\"x\":1}" false
}

func ExampleGo() {
	// A text handler without times, so that the output is stable.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == propagation.ExceptionStacktraceKey {
			return slog.Attr{}
		}
		return a
	}}))
	ctx := propagation.WithRequestID(context.Background(), "abc-123")
	ctx = propagation.With(ctx, "user_id", 88)
	err := <-propagation.Go(ctx, log, "send invoice", func(ctx context.Context) error {
		panic(errors.New("smtp: connection reset"))
	})
	fmt.Println(err)
	// Output:
	// level=ERROR msg="panic in send invoice" exception.type=*errors.errorString exception.message="smtp: connection reset" request.id=abc-123
	// panic: smtp: connection reset
}

// The middleware order: otelhttp outermost (the span), then request IDs, then recovery.
func ExampleRequestIDMiddleware() {
	log := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		ctx := propagation.With(r.Context(), "user_id", 88) // on every record of this request
		log.InfoContext(ctx, "order created", "request", propagation.RequestID(ctx))
	})
	handler := propagation.RequestIDMiddleware(propagation.RecoverMiddleware(mux, log))
	// http.ListenAndServe(":8080", otelhttp.NewHandler(handler, "orders"))

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/orders", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("X-Request-ID"))
	// Output: abc-123
}

// Outbound calls carry the request ID; otelhttp's transport carries the trace.
func ExampleTransport() {
	client := &http.Client{Transport: propagation.Transport(http.DefaultTransport)}
	_ = client // client.Do(req.WithContext(ctx)) sends X-Request-ID from ctx
}
