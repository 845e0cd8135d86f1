// Package wake lets a wait on a sync.Cond end with a context.
package wake

import (
	"context"
	"sync"
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
