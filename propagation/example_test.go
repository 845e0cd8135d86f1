package propagation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
