package exception

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// multiNil is an error type with Unwrap() []error, used as a typed nil.
type multiNil struct{ errs []error }

func (m *multiNil) Error() string   { return "multi" }
func (m *multiNil) Unwrap() []error { return m.errs }

// selfUnwrap's Unwrap returns its receiver: a chain without end.
type selfUnwrap struct{}

func (e *selfUnwrap) Error() string { return "self" }
func (e *selfUnwrap) Unwrap() error { return e }

// selfJoin's Unwrap() []error contains itself: a tree without end.
type selfJoin struct{}

func (e *selfJoin) Error() string   { return "join" }
func (e *selfJoin) Unwrap() []error { return []error{e, e} }

// within fails the test if f does not return within a generous bound.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("did not return within 10s")
	}
}

func TestTypeOfHostileErrors(t *testing.T) {
	var typedNil *multiNil
	cases := []struct {
		err  error
		want string
	}{
		{typedNil, "*exception.multiNil"},
		{fmt.Errorf("ctx: %w", typedNil), "*exception.multiNil"},
		{&selfJoin{}, "*exception.selfJoin"},
		{&selfUnwrap{}, "*exception.selfUnwrap"},
		{errors.Join(errors.New("a"), typedNil), "*errors.errorString, *exception.multiNil"},
	}
	for _, c := range cases {
		var got string
		within(t, func() { got = Type(c.err) })
		if got != c.want && !(c.want == "*exception.selfJoin" && isRepeated(got, c.want)) {
			t.Errorf("Type(%T) = %q, want %q", c.err, got, c.want)
		}
	}
}

// isRepeated: a self-joined error lists its own type once per level followed.
func isRepeated(got, typ string) bool {
	for _, part := range strings.Split(got, ", ") {
		if part != typ {
			return false
		}
	}
	return true
}

func TestStackOfEndlessChain(t *testing.T) {
	var got string
	within(t, func() { got = Stack(&selfUnwrap{}) })
	if got != "" {
		t.Errorf("Stack = %q", got)
	}
}

func TestMessageOfTypedNil(t *testing.T) {
	var typedNil *multiNil
	if got := Message(typedNil); got != "<nil>" {
		t.Errorf("Message = %q", got)
	}
}

// TestSprint: a byte slice reads as its text, not fmt's decimal list; anything else as fmt
// prints it.
func TestSprint(t *testing.T) {
	if got := Sprint("%v", []byte("pw=x")); got != "pw=x" {
		t.Errorf("bytes: %q", got)
	}
	if got := Sprint("%v", []int{1, 2}); got != "[1 2]" {
		t.Errorf("ints: %q", got)
	}
	if got := Message(panicBytes{}); got != "!PANIC in Error method of exception.panicBytes: pw=x" {
		t.Errorf("a []byte panic in Error: %q", got)
	}
}

type panicBytes struct{}

func (panicBytes) Error() string { panic([]byte("pw=x")) }

// panicBomb's Error panics with another panicBomb: fmt recovers the first panic while it
// describes the recovered value, but re-raises a panic from inside that description.
type panicBomb struct{}

func (panicBomb) Error() string { panic(panicBomb{}) }

// TestMessagePanicValueThatPanics: Message recovers the panic of a broken Error, then
// formats the recovered value with fmt.Sprintf in its deferred function; when printing that
// value panics too, fmt re-panics and nothing recovers it, so the panic leaves Message (and
// every log call that describes such an error).
func TestMessagePanicValueThatPanics(t *testing.T) {
	var msg string
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("Message panicked: %T", p)
			}
		}()
		msg = Message(panicBomb{})
	}()
	if msg == "" {
		t.Errorf("Message gave no description")
	}
}

// cyclicPanicErr's Error panics with a map that holds itself: fmt, asked to describe that
// panic, follows the map until the stack overflows, a fatal error no recover catches.
type cyclicPanicErr struct{}

func (cyclicPanicErr) Error() string {
	m := map[string]any{}
	m["self"] = m
	panic(m)
}

// TestSprintBounded: values fmt would follow without end, or print at great length, are
// described by their type; an Error that panics with such a value is described, and the
// process lives (without the guard it dies of a stack overflow, fast under this stack limit).
func TestSprintBounded(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(16 << 20))
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	wide := make([]int, 5000)
	dag := map[string]any{"leaf": 1}
	for range 20 {
		dag = map[string]any{"a": dag, "b": dag}
	}
	for name, x := range map[string]any{"cyclic map": cyclic, "cyclic map in a struct": struct{ M any }{cyclic}, "wide slice": wide, "DAG": dag} {
		if got := Sprint("%+v", x); !strings.Contains(got, "not printed") || len(got) > 200 {
			t.Errorf("%s: %.200q", name, got)
		}
	}
	if got := Sprint("%+v", struct{ A []int }{[]int{1, 2}}); got != "{A:[1 2]}" {
		t.Errorf("a small struct: %q", got)
	}
	if got := Message(cyclicPanicErr{}); !strings.Contains(got, "!PANIC in Error method of exception.cyclicPanicErr") {
		t.Errorf("Message = %q", got)
	}
}
