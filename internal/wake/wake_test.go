package wake

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestWhenDoneEndsTheWait(t *testing.T) {
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	defer WhenDone(ctx, c)()
	done := make(chan struct{})
	go func() {
		mu.Lock()
		for ctx.Err() == nil {
			c.Wait()
		}
		mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the wait did not end with the context")
	}
}
