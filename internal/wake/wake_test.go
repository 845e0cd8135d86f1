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

func TestWithDefaultTimeout(t *testing.T) {
	ctx, cancel := WithDefaultTimeout(context.Background(), time.Minute)
	defer cancel()
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > time.Minute {
		t.Errorf("no deadline within a minute on a context that had none: %v, %v", d, ok)
	}
	parent, cancelParent := context.WithTimeout(context.Background(), time.Hour)
	defer cancelParent()
	ctx, cancel = WithDefaultTimeout(parent, time.Minute)
	defer cancel()
	if ctx != parent {
		t.Error("a context with a deadline was changed")
	}
}
