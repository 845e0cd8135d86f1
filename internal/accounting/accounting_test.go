package accounting

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDropsAreCountedAndReportedRateLimited(t *testing.T) {
	var out syncBuffer
	var d Drops
	d.SetReport(&out, time.Hour)
	d.Add(QueueFull, 3)
	// The first drop is reported at once, on another goroutine.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "\n") < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// The next ones wait for the interval (an hour here).
	d.Add(FallbackFull, 2)
	d.Add(QueueFull, 1)
	d.Add(QueueFull, 0) // no-op
	time.Sleep(20 * time.Millisecond)
	if got := strings.Count(out.String(), "\n"); got != 1 {
		t.Fatalf("%d report lines within the interval, want 1:\n%s", got, out.String())
	}
	if d.Count(QueueFull) != 4 || d.Total() != 6 {
		t.Fatalf("counts %v", d.Snapshot())
	}
	d.FlushWithin(5 * time.Second)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "resilog: records dropped: queue_full=3 (+3)" ||
		!strings.Contains(lines[1], "queue_full=4 (+1)") || !strings.Contains(lines[1], "fallback_full=2 (+2)") {
		t.Fatalf("report:\n%s", out.String())
	}
	d.FlushWithin(5 * time.Second)
	if n := len(strings.Split(strings.TrimSpace(out.String()), "\n")); n != 2 {
		t.Fatal("Flush with nothing new wrote a line")
	}
}

// blockedWriter is a stderr nobody reads.
type blockedWriter struct{ release chan struct{} }

func (b blockedWriter) Write(p []byte) (int, error) { <-b.release; return len(p), nil }

func TestBlockedStderrNeverBlocksAdd(t *testing.T) {
	w := blockedWriter{release: make(chan struct{})}
	defer close(w.release)
	var d Drops
	d.SetReport(w, time.Millisecond)
	start := time.Now()
	for range 100000 {
		d.Add(FallbackFull, 1)
	}
	d.FlushWithin(10 * time.Millisecond)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("100,000 drops took %v with stderr blocked", took)
	}
	if d.Count(FallbackFull) != 100000 {
		t.Fatalf("count %d", d.Count(FallbackFull))
	}
}

func TestReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		name := r.String()
		if name == "" || strings.HasPrefix(name, "Reason(") || seen[name] {
			t.Errorf("reason %d has name %q", int(r), name)
		}
		seen[name] = true
	}
}
