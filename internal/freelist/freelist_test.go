package freelist

import (
	"testing"
	"time"
)

// TestNextIsMadeAhead: taking the last kept value gets the next one made without another
// Get; values put back are reused, up to max.
func TestNextIsMadeAhead(t *testing.T) {
	l := New(func() *[64]byte { return new([64]byte) }, 2)
	defer l.Close()
	if l.Kept() != 1 || l.Made() != 1 {
		t.Fatalf("a new List keeps %d and made %d, want 1 and 1", l.Kept(), l.Made())
	}
	a := l.Get()
	waitKept(t, l, 1)
	b := l.Get()
	waitKept(t, l, 1)
	if a == b {
		t.Fatal("Get returned the same value twice")
	}
	l.Put(a)
	l.Put(b)
	l.Put(new([64]byte)) // beyond max: let go
	if l.Kept() != 2 {
		t.Fatalf("kept %d, want max 2", l.Kept())
	}
	made := l.Made()
	for range 100 {
		v := l.Get()
		l.Put(v)
	}
	if l.Made() != made {
		t.Fatalf("Get and Put in turn made %d more values, want them reused", l.Made()-made)
	}
}

func TestGetWhenNoneIsKept(t *testing.T) {
	l := New(func() int { return 7 }, 1)
	l.Close()
	if v := l.Get(); v != 7 {
		t.Fatalf("Get after Close = %d, want a value made on the spot", v)
	}
}

func waitKept(t *testing.T, l *List[*[64]byte], n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for l.Kept() < n {
		if time.Now().After(deadline) {
			t.Fatalf("kept %d after 5s, want %d made ahead", l.Kept(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
