package propagation

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"

	"github.com/resilog/resilog/internal/attrvalue"
)

type boundKey struct{}

// bound is an immutable set of attributes bound to a context, already converted; a nested
// binding copies its parent's attributes and overrides those with the same key.
type bound struct{ attrs []attribute.KeyValue }

// mergeIndexAt is the number of bound attributes past which With finds a key to override
// through a map rather than by scanning.
const mergeIndexAt = 16

// With returns a context whose records all carry attrs (the structlog bind_contextvars
// idea): every record logged with ctx or a context derived from it gets them, in HTTP
// handlers, goroutines and background jobs alike. Bindings nest; a key bound again
// replaces the outer value. args are key-value pairs or slog.Attr, as for slog.Logger.Info.
//
// Like slog.Logger.With, With converts the values when it is called, exactly as the bridge
// converts logged attributes: a value changed afterwards (a map, a struct behind a pointer)
// is bound as it was, and a LogValue, String or Error method runs here, in the caller's
// goroutine, never at the log calls.
func With(ctx context.Context, args ...any) context.Context {
	if len(args) == 0 {
		return ctx
	}
	var r slog.Record
	r.Add(args...)
	add := make([]attribute.KeyValue, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		add = attrvalue.AppendSlogAttr(add, a)
		return true
	})
	var parent []attribute.KeyValue
	if b, ok := ctx.Value(boundKey{}).(*bound); ok {
		parent = b.attrs
	}
	merged := make([]attribute.KeyValue, 0, len(parent)+len(add))
	merged = append(merged, parent...)
	var index map[attribute.Key]int // for many attributes; nil while few
	if len(parent)+len(add) > mergeIndexAt {
		index = make(map[attribute.Key]int, len(parent)+len(add))
		for i, kv := range merged {
			index[kv.Key] = i
		}
	}
	for _, kv := range add {
		i, ok := -1, false
		if index != nil {
			i, ok = index[kv.Key]
		} else {
			for j := range merged {
				if merged[j].Key == kv.Key {
					i, ok = j, true
					break
				}
			}
		}
		if ok {
			merged[i] = kv
			continue
		}
		if index != nil {
			index[kv.Key] = len(merged)
		}
		merged = append(merged, kv)
	}
	return context.WithValue(ctx, boundKey{}, &bound{attrs: merged})
}

// Attrs returns the attributes bound to ctx, converted when With was called, with unique
// keys, or nil. The slice must not be modified.
func Attrs(ctx context.Context) []attribute.KeyValue {
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
