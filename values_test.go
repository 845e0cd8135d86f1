package resilog

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/propagation"
)

// bombErr's Error panics with another bombErr: the recovered value itself cannot be
// printed without panicking again.
type bombErr struct{}

func (bombErr) Error() string { panic(bombErr{}) }

// TestLogCallPanicValueThatPanics: an error whose Error panics with a value that panics when
// printed escapes every guard: logged as an attribute, inside a slice, or bound to the
// context with propagation.With (then every later call with that context panics), through
// resilog.New's default pipeline.
func TestLogCallPanicValueThatPanics(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(l *slog.Logger){
		"attribute":       func(l *slog.Logger) { l.Error("m", "error", bombErr{}) },
		"in a slice":      func(l *slog.Logger) { l.Info("m", "errs", []error{bombErr{}}) },
		"bound with With": func(l *slog.Logger) { l.InfoContext(propagation.With(ctx, "last_error", bombErr{}), "m") },
	}
	for name, log := range cases {
		t.Run(name, func(t *testing.T) {
			var buf lockedBuffer
			p, err := New(ctx, envOf(nil), WithServiceName("attack"), WithSDKExporter(exporter.NewJSONLines(&buf)))
			if err != nil {
				t.Fatal(err)
			}
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Errorf("a log call panicked: %T", v)
					}
				}()
				log(p.Logger("attack"))
			}()
			p.Logger("attack").Info("after")
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if s := p.Stats(); s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
				t.Errorf("accounting: %+v", s)
			}
		})
	}
}

// customerName hides itself with MarshalText, which slog.JSONHandler honours.
type customerName string

func (customerName) MarshalText() ([]byte, error) { return []byte("[customer]"), nil }

// TestTextMarshalerHidesFromOutput: a value hidden with MarshalText (written "[customer]" by
// slog.JSONHandler) reaches the JSON-lines output in clear through the default pipeline.
func TestTextMarshalerHidesFromOutput(t *testing.T) {
	ctx := context.Background()
	var want bytes.Buffer
	slog.New(slog.NewJSONHandler(&want, nil)).Info("order", "customer", customerName("Alice Liddell"))
	var buf lockedBuffer
	p, err := New(ctx, envOf(nil), WithServiceName("attack"), WithSDKExporter(exporter.NewJSONLines(&buf)))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("attack").Info("order", "customer", customerName("Alice Liddell"))
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if out := buf.Bytes(); bytes.Contains(out, []byte("Alice")) {
		t.Errorf("slog.JSONHandler writes %s; resilog wrote %s", bytes.TrimSpace(want.Bytes()), bytes.TrimSpace(out))
	}
}

// TestBoundValueConvertedAtWith: propagation.With converts the bound values when it is
// called, as slog.Logger.With does: a map bound to a request's context and updated
// afterwards is logged as it was bound (it used to be converted again at every log call,
// showing later contents, and racing with a goroutine that updates it).
func TestBoundValueConvertedAtWith(t *testing.T) {
	ctx := context.Background()
	var buf lockedBuffer
	p, err := New(ctx, envOf(nil), WithServiceName("attack"), WithSDKExporter(exporter.NewJSONLines(&buf)))
	if err != nil {
		t.Fatal(err)
	}
	l := p.Logger("attack")
	state := map[string]string{"phase": "bound"}
	withLogger := l.With("state", state)
	bctx := propagation.With(ctx, "state", state)
	state["phase"] = "changed later"
	withLogger.Info("slog With")
	l.InfoContext(bctx, "propagation.With")
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, line := range splitLines(buf.Bytes()) {
		if bytes.Contains(line, []byte("changed later")) {
			t.Errorf("the record shows the map as it was at the log call, not as bound: %s", line)
		}
	}
}

// blockingStringer's String waits until released: a value whose method blocks.
type blockingStringer struct{ release chan struct{} }

func (b blockingStringer) String() string { <-b.release; return "released" }

// TestShutdownNotHeldByBlockedBoundValue: a bound value whose String blocks (a lock the
// application holds, a channel nobody sends on) blocks its caller, as with any slog
// handler, but never Shutdown(context.Background()), which its documentation bounds by the
// batch export timeout (1 s here). Bound values were converted inside the SDK's Emit (by
// Correlate), whose in-flight calls the SDK's Shutdown waits for on ctx alone; they are now
// converted in propagation.With, and Pipeline.Shutdown bounds itself.
func TestShutdownNotHeldByBlockedBoundValue(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, envOf(map[string]string{"OTEL_BLRP_EXPORT_TIMEOUT": "1000"}), WithServiceName("attack"),
		WithSDKExporter(exporter.NewJSONLines(io.Discard)))
	if err != nil {
		t.Fatal(err)
	}
	b := blockingStringer{make(chan struct{})}
	defer close(b.release)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		p.Logger("attack").InfoContext(propagation.With(ctx, "state", b), "m")
	}()
	time.Sleep(100 * time.Millisecond) // let the call reach String; not a speed assertion
	done := make(chan error, 1)
	go func() { done <- p.Shutdown(ctx) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a watchdog 20 times the documented bound
		t.Error("Shutdown(context.Background()) did not return within its documented bound")
	}
}
