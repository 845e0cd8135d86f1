package propagation

import (
	"context"
	"log/slog"
)

type boundKey struct{}

// bound is an immutable set of attributes bound to a context; a nested binding copies its
// parent's attributes and overrides those with the same key.
type bound struct{ attrs []slog.Attr }

// With returns a context whose records all carry attrs (the structlog bind_contextvars
// idea): every record logged with ctx or a context derived from it gets them, in HTTP
// handlers, goroutines and background jobs alike. Bindings nest; a key bound again
// replaces the outer value. args are key-value pairs or slog.Attr, as for slog.Logger.Info.
func With(ctx context.Context, args ...any) context.Context {
	if len(args) == 0 {
		return ctx
	}
	var r slog.Record
	r.Add(args...)
	var parent []slog.Attr
	if b, ok := ctx.Value(boundKey{}).(*bound); ok {
		parent = b.attrs
	}
	merged := make([]slog.Attr, 0, len(parent)+r.NumAttrs())
	merged = append(merged, parent...)
	r.Attrs(func(a slog.Attr) bool {
		for i := range merged {
			if merged[i].Key == a.Key {
				merged[i] = a
				return true
			}
		}
		merged = append(merged, a)
		return true
	})
	return context.WithValue(ctx, boundKey{}, &bound{attrs: merged})
}

// Attrs returns the attributes bound to ctx, or nil. The slice must not be modified.
func Attrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	if b, ok := ctx.Value(boundKey{}).(*bound); ok {
		return b.attrs
	}
	return nil
}

// Detach returns a context that keeps ctx's values — request ID, bound attributes, the
// active span (so records still carry its trace) — but not its cancellation or deadline:
// for work that outlives the request that started it.
func Detach(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return context.WithoutCancel(ctx)
}
