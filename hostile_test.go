package resilog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/propagation"
)

// Hostile values: each breaks a naive conversion in its own way.

type panicErr struct{}

func (panicErr) Error() string { panic("broken Error") }

type nilErr struct{}

func (*nilErr) Error() string { return "unreachable" }

// joinedNil is a typed nil of an error type with Unwrap() []error.
type joinedNil struct{ errs []error }

func (e *joinedNil) Error() string   { return "joined" }
func (e *joinedNil) Unwrap() []error { return e.errs }

// selfUnwrap's Unwrap returns its receiver.
type selfUnwrap struct{}

func (e *selfUnwrap) Error() string { return "self" }
func (e *selfUnwrap) Unwrap() error { return e }

type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("broken LogValue") }

type selfValuer struct{}

func (s selfValuer) LogValue() slog.Value { return slog.AnyValue(s) }

type panicStringer struct{}

func (panicStringer) String() string { panic("broken String") }

type nilStringer struct{ s string }

func (n *nilStringer) String() string { return n.s }

type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("broken MarshalJSON") }

type ptrSecret struct{ v string }

func (*ptrSecret) String() string { return "[hidden]" }

type hiddenValuer struct{ v string }

func (hiddenValuer) LogValue() slog.Value { return slog.StringValue("[hidden]") }

// hostileCases log through l (and ctx) values of every class a caller can pass.
func hostileCases() []struct {
	name string
	log  func(ctx context.Context, l *slog.Logger)
} {
	var typedNil *nilErr
	var joined *joinedNil
	cyclic := []any{nil}
	cyclic[0] = cyclic
	cyclicMap := map[string]any{}
	cyclicMap["self"] = cyclicMap
	deep := slog.Int("leaf", 1)
	for i := range 10_000 {
		deep = slog.Group(fmt.Sprintf("g%d", i), deep)
	}
	huge := strings.Repeat("x", 50<<20)
	return []struct {
		name string
		log  func(ctx context.Context, l *slog.Logger)
	}{
		{"panicking Error in []error", func(ctx context.Context, l *slog.Logger) { l.ErrorContext(ctx, "m", "errs", []error{panicErr{}}) }},
		{"panicking Error in map[string]error", func(ctx context.Context, l *slog.Logger) {
			l.ErrorContext(ctx, "m", "errs", map[string]error{"a": panicErr{}})
		}},
		{"panicking Error at the top", func(ctx context.Context, l *slog.Logger) { l.ErrorContext(ctx, "m", "error", panicErr{}) }},
		{"typed nil error in slice and map", func(ctx context.Context, l *slog.Logger) {
			l.ErrorContext(ctx, "m", "errs", []error{typedNil}, "byKey", map[string]error{"a": typedNil})
		}},
		{"typed nil with Unwrap() []error", func(ctx context.Context, l *slog.Logger) { l.ErrorContext(ctx, "m", "error", error(joined)) }},
		{"Unwrap returns its receiver", func(ctx context.Context, l *slog.Logger) { l.ErrorContext(ctx, "m", "error", &selfUnwrap{}) }},
		{"typed nil error bound to the context", func(ctx context.Context, l *slog.Logger) {
			ctx = propagation.With(ctx, "last_error", typedNil, "broken", panicErr{}, "joined", error(joined))
			l.InfoContext(ctx, "first")
			l.InfoContext(ctx, "second")
		}},
		{"hostile values bound with With", func(ctx context.Context, l *slog.Logger) {
			l.With("error", typedNil, "v", panicValuer{}, "s", panicStringer{}).WithGroup("g").With("c", cyclic).InfoContext(ctx, "m", "k", 1)
		}},
		{"panicking LogValuer", func(ctx context.Context, l *slog.Logger) {
			l.InfoContext(ctx, "m", "v", panicValuer{}, "in", []any{panicValuer{}})
		}},
		{"self-returning LogValuer", func(ctx context.Context, l *slog.Logger) {
			l.InfoContext(ctx, "m", "v", selfValuer{}, "in", []any{selfValuer{}})
		}},
		{"panicking and nil Stringers", func(ctx context.Context, l *slog.Logger) {
			l.InfoContext(ctx, "m", "s", panicStringer{}, "n", (*nilStringer)(nil), "in", []any{panicStringer{}, (*nilStringer)(nil)})
		}},
		{"panicking json.Marshaler", func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "m", "j", []any{panicJSON{}}) }},
		{"the user's own hiding", func(ctx context.Context, l *slog.Logger) {
			l.InfoContext(ctx, "m", "p", ptrSecret{"hunter2"}, "ps", []ptrSecret{{"hunter2"}}, "lv", []hiddenValuer{{"hunter2"}})
		}},
		{"cycles", func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "m", "slice", cyclic, "map", cyclicMap) }},
		{"10,000 nested groups", func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "m", deep) }},
		{"10,000 WithGroup calls", func(ctx context.Context, l *slog.Logger) {
			for i := range 10_000 {
				l = l.WithGroup(fmt.Sprintf("g%d", i))
			}
			l.InfoContext(ctx, "m", "k", 1)
		}},
		{"50 MB string", func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "m", "big", huge) }},
		{"invalid UTF-8", func(ctx context.Context, l *slog.Logger) {
			l.InfoContext(ctx, "m\xff\xfe", "k\xc3", "v\xed\xa0\x80", slog.Group("g\xff", "x", "\x80"))
		}},
		{"control characters in keys and group names", func(ctx context.Context, l *slog.Logger) {
			l.WithGroup("grp\n\x00\u2028").InfoContext(ctx, "line1\nline2\r\u0085", "key\n\t\x1b[31m\u2029", "v\x00\n", slog.Group("g\r\n\u202e", "k\x7f", 1))
		}},
	}
}

// TestHostileValues drives every value class through the full default pipeline with each
// local exporter: no panic escapes a log call, every call returns, every record is one
// valid line, and the accounting invariant holds after Shutdown.
func TestHostileValues(t *testing.T) {
	exporters := []struct {
		name string
		json bool
		make func(t *testing.T) (sdklog.Exporter, func() []byte)
	}{
		{"jsonlines", true, func(t *testing.T) (sdklog.Exporter, func() []byte) {
			var buf lockedBuffer
			return exporter.NewJSONLines(&buf), buf.Bytes
		}},
		{"console", false, func(t *testing.T) (sdklog.Exporter, func() []byte) {
			var buf lockedBuffer
			return exporter.NewConsole(&buf), buf.Bytes
		}},
		{"file", true, func(t *testing.T) (sdklog.Exporter, func() []byte) {
			path := filepath.Join(t.TempDir(), "app.log")
			f, err := exporter.NewFile(exporter.FileConfig{Path: path, MaxSizeMB: 1024})
			if err != nil {
				t.Fatal(err)
			}
			return f, func() []byte {
				b, err := os.ReadFile(path)
				if err != nil && !errors.Is(err, fs.ErrNotExist) { // nothing written yet
					t.Fatal(err)
				}
				return b
			}
		}},
	}
	ctx := context.Background()
	for _, c := range hostileCases() {
		for _, e := range exporters {
			t.Run(c.name+"/"+e.name, func(t *testing.T) {
				exp, output := e.make(t)
				p, err := New(ctx, envOf(nil), WithServiceName("hostile"), WithSDKExporter(exp))
				if err != nil {
					t.Fatal(err)
				}
				returned := make(chan any, 1)
				go func() {
					defer func() { returned <- recover() }()
					c.log(ctx, p.Logger("hostile"))
				}()
				select {
				case v := <-returned:
					if v != nil {
						t.Errorf("a log call panicked: %v", v)
					}
				case <-time.After(30 * time.Second): // a generous watchdog, not a speed target
					t.Fatal("a log call did not return")
				}
				if err := p.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
				s := p.Stats()
				if s.Emitted == 0 || s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
					t.Errorf("accounting: %+v", s)
				}
				lines := splitLines(output())
				if uint64(len(lines)) != s.Exported {
					t.Errorf("%d lines for %d exported records", len(lines), s.Exported)
				}
				for i, line := range lines {
					if e.json && !json.Valid(line) {
						t.Errorf("line %d is not valid JSON: %.200q", i, line)
					}
				}
			})
		}
	}
}

// splitLines splits at \n, as a line-oriented reader does.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 200<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
