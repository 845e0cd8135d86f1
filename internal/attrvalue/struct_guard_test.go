package attrvalue

import (
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// A struct with no method of its own was printed with fmt's %+v, which follows maps and
// slices without bound and without looking for cycles, outside the converter's depth,
// value and cycle guards. Whatever a struct becomes, a cycle or a DAG inside it is bounded.

type mapHolder struct{ M map[string]any }

type hiddenSlice struct{ s []any } // unexported: fmt prints it all the same

// TestCycleInsideStruct: a map or a slice that contains itself, reached through a
// struct field, makes fmt recurse until the goroutine's stack is exhausted: a fatal error
// no recover catches, so the whole process dies. Each value is converted in a child
// process (with a 64 MB stack limit, so that it dies fast, not after 1 GB); the child must
// exit cleanly.
func TestCycleInsideStruct(t *testing.T) {
	values := map[string]func() any{
		"map in exported field": func() any {
			m := map[string]any{}
			m["self"] = m
			return mapHolder{m}
		},
		"slice in unexported field": func() any {
			s := []any{nil}
			s[0] = s
			return &hiddenSlice{s}
		},
	}
	if name := os.Getenv("ATTACK_CYCLE_CHILD"); name != "" {
		debug.SetMaxStack(64 << 20)
		v := FromSlog(slog.AnyValue(values[name]()))
		os.Stdout.WriteString(strings.ToValidUTF8(v.String()[:min(len(v.String()), 100)], "?"))
		return
	}
	for name := range values {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCycleInsideStruct$", "-test.count=1")
			cmd.Env = append(os.Environ(), "ATTACK_CYCLE_CHILD="+name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				first, _, _ := strings.Cut(string(out), "\n\n")
				t.Errorf("converting the value killed the process: %v\n%.300s", err, first)
			}
		})
	}
}

// TestDAGInsideStruct: 19 small maps, each holding the next twice, reached through a
// struct field, print as 2^18 leaves: the conversion's MaxValues bound does not hold, and
// each level more doubles the time and memory of one log call (22 levels: 10 s and 88 MB
// of output measured; 40 levels would not finish).
func TestDAGInsideStruct(t *testing.T) {
	m := map[string]any{"leaf": 1}
	for range 18 {
		m = map[string]any{"a": m, "b": m}
	}
	v := FromSlog(slog.AnyValue(mapHolder{m}))
	if n := strings.Count(v.String(), "leaf"); n > MaxValues {
		t.Errorf("one value expanded into %d leaves (%d bytes), past MaxValues (%d)", n, len(v.String()), MaxValues)
	}
}
