//go:build unix

package spool

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The child side of TestSIGKILLLosesNoReturnedRecord: append records from
// SPOOL_CHILD_FROM on to the spool in SPOOL_CHILD_DIR, print each one's number once its
// Append returned, and go on until killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SPOOL_CHILD_DIR"); dir != "" {
		s, err := Open(Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch})
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		from, _ := strconv.Atoi(os.Getenv("SPOOL_CHILD_FROM"))
		for i := from; ; i++ {
			r := record(i)
			if _, res := s.Append(&r); res != Spooled {
				fmt.Println("append:", res)
			}
			fmt.Println(i) // unbuffered: the parent knows every return
		}
	}
	os.Exit(m.Run())
}

func TestSIGKILLLosesNoReturnedRecord(t *testing.T) {
	dir := t.TempDir()
	// Three children on the same directory, each killed mid-stream, after a different
	// number of returned appends (across segment rotations: 64 KiB segments hold
	// about 200 records).
	var returned []int
	for k, after := range []int{150, 1000, 2500} {
		from := 100000 * k
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SPOOL_CHILD_DIR="+dir, fmt.Sprint("SPOOL_CHILD_FROM=", from))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for n := 0; n < after && sc.Scan(); n++ {
			i, err := strconv.Atoi(sc.Text())
			if err != nil {
				cmd.Process.Kill()
				t.Fatalf("child: %s", sc.Text())
			}
			returned = append(returned, i)
			if k == 0 && len(returned) == 1 {
				// While a child lives, the directory is its.
				_, err = Open(Config{Dir: dir})
				if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) {
					t.Errorf("Open beside the child: %v, want ErrLocked naming pid %d", err, cmd.Process.Pid)
				}
			}
		}
		cmd.Process.Signal(syscall.SIGKILL) // the child is still appending
		cmd.Wait()
	}

	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	defer s.Close()
	bodies, _ := replay(t, s)
	got := map[string]bool{}
	for _, b := range bodies {
		got[b] = true
	}
	for _, i := range returned {
		if !got[fmt.Sprintf("order created %d", i)] {
			t.Errorf("record %d: its Append returned, and it is not in the spool after SIGKILL", i)
		}
	}
	// A frame being copied at the kill may be torn: counted, at most one per child.
	if c := s.Stats().Corrupt; c > 3 {
		t.Errorf("corrupt = %d after three kills", c)
	}
	t.Logf("%d returned, %d replayed, %d corrupt", len(returned), len(bodies), s.Stats().Corrupt)
}
