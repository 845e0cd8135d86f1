package redact_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resilog/resilog/redact"
)

// hostileUnits are repeated to build inputs that made a scanner quadratic: each '@'
// looked back over the whole prefix for a dot, every group of a digit-group run started
// a list of card candidates, every "password=[" searched the rest of the string for a
// ']', every "eyJ" of a dotted run re-read the run, and a fixed-prefix token over its
// maximum length was re-read from each later prefix.
var hostileUnits = []string{"@", "u:p@", "a@b.", "4-", "0 ", "4242 ", "password=[ ", "eyJ.x.", "ATATT=", "+1 ",
	"BSN 1 ", "password: a ", "htpasswd -b ", "token=\"\"a\"", "key=\"pw\" value=\""}

// TestHostileInputsLinear redacts 1 MiB of each hostile pattern. A linear engine does
// each in milliseconds (tens under -race); the quadratic scanners took minutes. The
// watchdog is generous so that a loaded machine does not fail it: it asserts the order
// of growth, not a speed (BenchmarkHostile measures that).
func TestHostileInputsLinear(t *testing.T) {
	r, err := redact.New(redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 20
	const watchdog = 20 * time.Second
	for _, unit := range hostileUnits {
		s := strings.Repeat(unit, size/len(unit))
		done := make(chan string, 1)
		go func() { done <- r.String(s) }()
		select {
		case out := <-done:
			if len(out) == 0 {
				t.Errorf("%q: empty output", unit)
			}
		case <-time.After(watchdog):
			t.Fatalf("%q×%d: String still running after %v (a scanner is not linear)", unit, size/len(unit), watchdog)
		}
	}
}

// BenchmarkHostileLong is BenchmarkHostile's patterns and more at 1 MiB: with linear
// scanners its ns/byte matches the 4 KiB run.
func BenchmarkHostileLong(b *testing.B) {
	r, err := redact.New(redact.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, unit := range hostileUnits {
		for _, n := range []int{4 << 10, 1 << 20} {
			s := strings.Repeat(unit, n/len(unit))
			b.Run(fmt.Sprintf("%q/%dKiB", unit, n>>10), func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				for b.Loop() {
					r.String(s)
				}
			})
		}
	}
}
