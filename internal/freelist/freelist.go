// Package freelist keeps large buffers for reuse and makes the next one before it is
// needed, off the goroutine that will need it.
//
// The batch queue's buffers (1024 records, ~600 KB) and the fallback's chunks (256
// records, ~150 KB) were allocated by the log call that happened to need one, which then
// paid for zeroing it and for garbage-collection assists in proportion: the slowest log
// calls with the collector down. A List hands out kept values, and when it hands out its
// last one, its own goroutine makes the next.
package freelist

import (
	"sync"
	"sync/atomic"
)

// List is a bounded free list of values made by a constructor.
type List[T any] struct {
	make func() T
	max  int

	mu   sync.Mutex
	free []T

	refill chan struct{}
	stop   chan struct{}
	once   sync.Once
	made   atomic.Int64
}

// New returns a List holding one value made by mk, keeping at most max values, with its
// goroutine running until Close.
func New[T any](mk func() T, max int) *List[T] {
	l := &List[T]{make: mk, max: max, refill: make(chan struct{}, 1), stop: make(chan struct{})}
	l.free = append(l.free, l.newValue())
	go l.run()
	return l
}

func (l *List[T]) newValue() T {
	l.made.Add(1)
	return l.make()
}

func (l *List[T]) run() {
	for {
		select {
		case <-l.stop:
			return
		case <-l.refill:
			v := l.newValue()
			l.mu.Lock()
			if len(l.free) == 0 {
				l.free = append(l.free, v)
			}
			l.mu.Unlock()
		}
	}
}

// Get returns a kept value, asking for the next to be made when it takes the last one.
// When none is kept (a burst outran the goroutine), it makes one itself.
func (l *List[T]) Get() T {
	l.mu.Lock()
	n := len(l.free)
	if n == 0 {
		l.mu.Unlock()
		return l.newValue()
	}
	v := l.free[n-1]
	var zero T
	l.free[n-1] = zero
	l.free = l.free[:n-1]
	l.mu.Unlock()
	if n == 1 {
		select {
		case l.refill <- struct{}{}:
		default:
		}
	}
	return v
}

// Put keeps v for reuse if fewer than max values are kept; the caller has cleared it.
func (l *List[T]) Put(v T) {
	l.mu.Lock()
	if len(l.free) < l.max {
		l.free = append(l.free, v)
	}
	l.mu.Unlock()
}

// Slice returns an empty slice of capacity n whose memory has been written once, for a
// constructor to call. Memory fresh from the operating system is not backed until it is
// first written: left to the goroutine filling the slice, that is the log call, which
// takes a page fault every few records (a costly one on a fresh virtual machine, where
// the hypervisor backs the page too). Clearing it here takes those faults on the List's
// goroutine instead.
func Slice[T any](n int) []T {
	s := make([]T, n)
	clear(s) // make does not write memory the runtime knows is zero
	return s[:0]
}

// Kept returns how many values are ready to be taken.
func (l *List[T]) Kept() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.free)
}

// Made returns how many values the List has made so far.
func (l *List[T]) Made() int64 { return l.made.Load() }

// Close stops the List's goroutine and lets go of the kept values. Get and Put still
// work after it, without making values ahead.
func (l *List[T]) Close() {
	l.once.Do(func() { close(l.stop) })
	l.mu.Lock()
	l.free = nil
	l.mu.Unlock()
}
