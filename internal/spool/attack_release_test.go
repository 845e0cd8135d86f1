//go:build unix

package spool

import (
	"slices"
	"sync"
	"testing"
)

// TestAttackConcurrentSyncsLoseReleases: in SyncBatch mode each export worker calls
// Sync before its batch leaves (delivery.Ledger.SyncForExport), so Syncs run at once,
// while Releases go on. saveReleased snapshots a segment's bitmap under the lock and
// clears relDirty, then writes the side file outside it, through one temporary name
// per segment: a Sync that snapshotted earlier can rename its older bitmap over a later
// Sync's newer one (or the two writes interleave in the same temporary file, whose
// checksum then fails, and the rename of the other fails). relDirty is already clear,
// so nothing rewrites it, not even Close: records released before both Syncs (and
// before Close) come back in the next run, delivered twice. Correct: once Sync returns,
// the side file says every release made before it began; after Close, nothing
// released comes back.
func TestAttackConcurrentSyncsLoseReleases(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, Sync: SyncBatch})
	const n = 20000
	var seqs []uint64
	for i := range n {
		r := record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			t.Fatalf("Append = %v", res)
		}
		seqs = append(seqs, seq)
	}
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
