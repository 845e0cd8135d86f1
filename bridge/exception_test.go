package bridge_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/internal/recordtest"
)

// stackErr carries a stack the way github.com/pkg/errors does: a StackTrace method
// returning a value that formats with %+v.
type stackErr struct{ msg string }

type frames []string

func (f frames) Format(s fmt.State, verb rune) { fmt.Fprint(s, strings.Join(f, "\n")) }

func (e *stackErr) Error() string { return e.msg }
func (e *stackErr) StackTrace() frames {
	return frames{"main.charge\n\t/app/pay.go:42", "main.main\n\t/app/main.go:9"}
}

type panicky struct{}

func (*panicky) Error() string { panic("broken Error method") }

func TestExceptions(t *testing.T) {
	pathErr := &fs.PathError{Op: "open", Path: "/etc/app.yaml", Err: fs.ErrNotExist}
	cases := []struct {
		name  string
		log   func(*slog.Logger)
		check map[string]any // expected attributes (nil value: must exist)
		stack string         // substring of exception.stacktrace, "" for none
	}{
		{"plain", func(l *slog.Logger) { l.Error("failed", "error", errors.New("boom")) },
			map[string]any{"error": "boom", "exception.type": "*errors.errorString", "exception.message": "boom"}, ""},
		{"any key", func(l *slog.Logger) { l.Error("failed", "cause", pathErr) },
			map[string]any{"cause": "open /etc/app.yaml: file does not exist", "exception.type": "*fs.PathError"}, ""},
		{"wrapped", func(l *slog.Logger) { l.Error("failed", "err", fmt.Errorf("loading config: %w", pathErr)) },
			map[string]any{"err": "loading config: open /etc/app.yaml: file does not exist", "exception.type": "*fs.PathError",
				"exception.message": "loading config: open /etc/app.yaml: file does not exist"}, ""},
		{"joined", func(l *slog.Logger) { l.Error("failed", "error", errors.Join(pathErr, errors.New("second"))) },
			map[string]any{"exception.type": "*fs.PathError, *errors.errorString", "exception.message": "open /etc/app.yaml: file does not exist\nsecond"}, ""},
		{"with stack", func(l *slog.Logger) { l.Error("failed", "error", fmt.Errorf("charge: %w", &stackErr{"declined"})) },
			map[string]any{"exception.type": "*bridge_test.stackErr", "exception.message": "charge: declined"}, "/app/pay.go:42"},
		{"nested in groups", func(l *slog.Logger) {
			l.Error("failed", slog.Group("req", slog.Group("db", "error", errors.New("deadlock"))))
		}, map[string]any{"req": map[string]any{"db": map[string]any{"error": "deadlock"}}, "exception.message": "deadlock"}, ""},
		{"several errors", func(l *slog.Logger) { l.Error("failed", "first", errors.New("a"), "second", errors.New("b")) },
			map[string]any{"first": "a", "second": "b", "exception.message": "a"}, ""},
		{"bound with With", func(l *slog.Logger) { l.With("error", errors.New("bound")).Info("m") },
			map[string]any{"error": "bound"}, ""},
		{"nil pointer error", func(l *slog.Logger) { var e *fs.PathError; l.Error("failed", "error", e) },
			map[string]any{"error": "<nil>", "exception.type": "*fs.PathError"}, ""},
		{"panicking Error method", func(l *slog.Logger) { l.Error("failed", "error", &panicky{}) },
			map[string]any{"exception.type": "*bridge_test.panicky"}, ""},
		{"no error", func(l *slog.Logger) { l.Info("fine", "n", 1) }, map[string]any{"n": int64(1)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exp, lp := newPipeline(t)
			c.log(slog.New(bridge.NewHandler("x", bridge.WithLoggerProvider(lp))))
			recs := exp.Records()
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			got := recordtest.AsMap(recs[0])
			for k, want := range c.check {
				v, ok := got[k]
				if !ok {
					t.Errorf("no %s in %v", k, got)
					continue
				}
				if want != nil && fmt.Sprint(v) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", k, v, want)
				}
			}
			st, _ := got["exception.stacktrace"].(string)
			if c.stack == "" && st != "" {
				t.Errorf("unexpected stack %q", st)
			}
			if c.stack != "" && !strings.Contains(st, c.stack) {
				t.Errorf("stack %q does not contain %q", st, c.stack)
			}
			if c.name == "no error" {
				if _, ok := got["exception.type"]; ok {
					t.Error("exception attributes without an error")
				}
			}
			if strings.Contains(fmt.Sprint(got), "panicky") && !strings.Contains(fmt.Sprint(got["error"]), "PANIC") {
				t.Errorf("a panicking Error method was not described: %v", got)
			}
		})
	}
}

func TestErrorStackCapturedAtCall(t *testing.T) {
	exp, lp := newPipeline(t)
	log := slog.New(bridge.NewHandler("x", bridge.WithLoggerProvider(lp), bridge.WithErrorStack(true)))
	log.Error("failed", "error", os.ErrPermission)
	log.Warn("only a warning", "error", os.ErrPermission)
	recs := exp.Records()
	first, second := recordtest.AsMap(recs[0]), recordtest.AsMap(recs[1])
	if st, _ := first["exception.stacktrace"].(string); !strings.Contains(st, "exception_test.go") {
		t.Errorf("ERROR without a captured stack: %v", first)
	}
	if _, ok := second["exception.stacktrace"]; ok {
		t.Error("a stack was captured below ERROR")
	}
}
