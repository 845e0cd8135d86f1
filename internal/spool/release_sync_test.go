//go:build unix

package spool

import (
	"os"
	"slices"
	"sync"
	"testing"
)

// In SyncBatch mode each export worker calls Sync before its batch leaves
// (delivery.Ledger.SyncForExport), so Syncs run at once while Releases go on. Once a
// Sync returns, the side file says every release made before it began; after Close,
// nothing released comes back. (Found by the adversary: saveReleased wrote the side
// file outside the lock through one temporary name per segment, so a Sync that took its
// snapshot earlier renamed an older bitmap over a newer one, or two writes mixed in the
// temporary file; the segment was marked clean, so not even Close wrote it again.)
func TestConcurrentSyncsKeepEveryRelease(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, Sync: SyncBatch})
	const n = 12000
	seqs := appendSeqs(t, s, n)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	path := s.segs[0].path
	s.mu.Unlock()
	released, syncErrs := 0, 0
	stale := false
	for released+2 < n-1 && !stale {
		s.Release(seqs[released])
		released++
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if w == 1 {
					s.Release(seqs[released]) // meanwhile: the second Sync may snapshot it
				}
				errs[w] = s.Sync()
			}()
		}
		wg.Wait()
		released++ // seqs[released-1] was released before the second Sync began
		for _, err := range errs {
			if err != nil {
				syncErrs++
			}
		}
		// Every release was made before one of the Syncs began: the side file has them.
		isReleased := readReleased(path)
		for _, seq := range seqs[:released] {
			if !isReleased(seq) {
				stale = true
				break
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
	s2, _, _ := open(t, Config{Dir: dir, Sync: SyncBatch})
	defer s2.Close()
	back := 0
	for seq := range s2.Earlier() {
		if i, ok := slices.BinarySearch(seqs, seq); ok && i < released {
			back++
		}
	}
	if back > 0 {
		t.Errorf("after %d releases with two Syncs at a time, Close and a new run: %d released records replayed", released, back)
	}
	if syncErrs > 0 {
		t.Errorf("%d of %d Syncs failed, two at a time on a healthy disk", syncErrs, released)
	}
}

// A side file whose write failed is written again by the next Sync: its segment stays
// dirty. (It was marked clean before the write, so a failed write was never retried,
// and records released before it came back in the next run.)
func TestFailedReleasedWriteIsRetried(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, Sync: SyncBatch})
	seqs := appendSeqs(t, s, 100)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	tmp := relPath(s.segs[0].path) + ".tmp"
	s.mu.Unlock()
	// A directory where the temporary file goes: its write fails.
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	s.Release(seqs[:50]...)
	if err := s.Sync(); err == nil {
		t.Fatal("Sync with the side file's temporary path taken by a directory: no error")
	}
	if err := os.Remove(tmp); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.crash() // no Close: what the side file says is all the next run knows
	s2, _, _ := open(t, Config{Dir: dir, Sync: SyncBatch})
	defer s2.Close()
	back := 0
	for seq := range s2.Earlier() {
		if seq <= seqs[49] {
			back++
		}
	}
	if back > 0 {
		t.Errorf("%d of the 50 records released before a failed side-file write came back", back)
	}
}

// appendSeqs appends n records and returns their seqs.
func appendSeqs(t *testing.T, s *Spool, n int) []uint64 {
	t.Helper()
	seqs := make([]uint64, 0, n)
	for i := range n {
		r := record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			t.Fatalf("Append(%d) = %v", i, res)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}
