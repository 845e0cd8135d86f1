package main

import "testing"

// TestKillRunCountsReturnedRecordsFoundNowhere: a -fault kill run's emitted is the log
// calls that returned, and lost is those of them found nowhere, less the ones counted
// dropped; a record logged by a killed process whose call had not returned is neither.
func TestKillRunCountsReturnedRecordsFoundNowhere(t *testing.T) {
	r := &killRun{returned: []bool{true, true, false, true, true}, dropped: 1,
		stats: `{"Emitted":3,"Replayed":2}`}
	seen := map[int64]int{0: 1, 2: 1, 4: 2} // seq 2 was in flight at a kill; 1 and 3 are missing
	if got := r.emitted(); got != 4 {
		t.Errorf("emitted = %d, want 4", got)
	}
	if got := r.lost(seen); got != 1 {
		t.Errorf("lost = %d, want 1 (two missing, one of them counted dropped)", got)
	}
	if got := r.replayed(); got != 2 {
		t.Errorf("replayed = %d, want 2", got)
	}
	if got := (&killRun{stats: `{"Emitted":3}`}).replayed(); got != -1 {
		t.Errorf("replayed without a Replayed field = %d, want -1", got)
	}
}
