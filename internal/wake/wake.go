// Package wake lets a wait on a sync.Cond end with a context.
package wake

import (
	"context"
	"sync"
	"time"
)

// WhenDone broadcasts on c, holding c.L, when ctx ends, so that a loop waiting on c can
// check ctx.Err. Call the returned stop once the wait is over.
func WhenDone(ctx context.Context, c *sync.Cond) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		c.L.Lock()
		c.Broadcast()
		c.L.Unlock()
	})
}

// WithDefaultTimeout returns ctx if it has a deadline, else ctx with one d from now:
// Shutdown and ForceFlush never wait without a bound, even when the caller gave
// context.Background().
func WithDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
