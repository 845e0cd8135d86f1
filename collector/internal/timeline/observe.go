package timeline

import (
	"bytes"
	"io"
	"os"
	"sort"
	"sync"
	"time"
)

// Growth tells when each byte of files that another process appends to became visible,
// to the resolution of how often [Growth.Sample] is called. Its methods are safe for
// concurrent use.
type Growth struct {
	mu      sync.Mutex
	samples map[string][]sizeAt
}

type sizeAt struct {
	size int64
	at   time.Time
}

// Sample notes the current size of each file that grew since the last sample. A file
// that does not exist yet is skipped.
func (g *Growth) Sample(paths ...string) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.samples == nil {
		g.samples = map[string][]sizeAt{}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		s := g.samples[p]
		if len(s) == 0 || fi.Size() > s[len(s)-1].size {
			g.samples[p] = append(s, sizeAt{fi.Size(), now})
		}
	}
}

// Visible returns the first sample at which path held at least end bytes, and false if
// no sample saw that many.
func (g *Growth) Visible(path string, end int64) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.samples[path]
	i := sort.Search(len(s), func(i int) bool { return s[i].size >= end })
	if i == len(s) {
		return time.Time{}, false
	}
	return s[i].at, true
}

// Lines is an io.Writer that counts the lines written through it into series s of r at
// the time they are written, then passes them on to W.
type Lines struct {
	W      io.Writer
	Run    *Run
	Series Series
}

// Write passes p on to W and counts each complete line in p at the time of the call.
func (l *Lines) Write(p []byte) (int, error) {
	n, err := l.W.Write(p)
	l.Run.Add(l.Series, time.Now(), bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}

// Every calls f every d on its own goroutine until the returned stop is called; stop
// waits for that goroutine to return, then calls f once more, so a last sample sees the
// final state.
func Every(d time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			f()
		})
	}
}
