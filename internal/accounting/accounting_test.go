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
	d.Add(FallbackFull, 2)
	d.Add(QueueFull, 1)
	if d.Count(QueueFull) != 4 || d.Total() != 6 {
		t.Fatalf("counts %v", d.Snapshot())
	}
	// The first drop is reported at once; the rest wait for the interval.
	if got := strings.Count(out.String(), "\n"); got != 1 {
		t.Fatalf("%d report lines within the interval, want 1:\n%s", got, out.String())
	}
	d.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "queue_full=4 (+1)") || !strings.Contains(lines[1], "fallback_full=2 (+2)") {
		t.Fatalf("report:\n%s", out.String())
	}
	d.Flush()
	if n := len(strings.Split(strings.TrimSpace(out.String()), "\n")); n != 2 {
		t.Fatal("Flush with nothing new wrote a line")
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
