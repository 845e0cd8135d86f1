package resilog

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"sync"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
)

// turn is one writer at a time: the lock of an exporter that must not see concurrent
// Exports, or of a file descriptor several exporters write. Waiting for it ends with the
// export's context, so that a write blocked in another holder is abandoned at the
// export's deadline like any other.
type turn chan struct{}

func newTurn() turn { return make(turn, 1) }

func (t turn) take(ctx context.Context) error {
	select {
	case t <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t turn) give() { <-t }

// guarded is how the delivery core calls an exporter it does not own or one that shares
// a writer: one Export at a time per turn (the SDK promises an exporter that Export is
// never called concurrently, and a file descriptor written by two exporters at once
// tears lines), a panic turned into a permanent failure, and the error's text scrubbed of
// credentials and named after the exporter, since it is kept in Stats and printed on stderr.
type guarded struct {
	sdklog.Exporter
	name string // said in the error: which exporter of the list failed
	turn turn   // nil: Exports may run concurrently (resilog's own exporters)
}

// guard wraps e; t nil leaves its Exports concurrent.
func guard(e sdklog.Exporter, name string, t turn) sdklog.Exporter {
	return &guarded{Exporter: e, name: name, turn: t}
}

func (g *guarded) Export(ctx context.Context, records []sdklog.Record) (err error) {
	if g.turn != nil {
		if err := g.turn.take(ctx); err != nil {
			return err
		}
		defer g.turn.give()
	}
	defer func() {
		if v := recover(); v != nil {
			err = g.panicked(v)
		}
	}()
	err = g.Exporter.Export(ctx, records)
	if err == nil {
		return nil
	}
	ee, ok := err.(*exporter.ExportError)
	if !ok {
		return &exporter.ExportError{Err: scrubbedError{err: err, text: scrub(err.Error())}, Endpoint: g.endpoint()}
	}
	if ee.Endpoint != "" {
		return err // resilog's OTLP exporter: it names its endpoint without credentials
	}
	c := *ee // keeps Permanent, RetryAfter and the status the user's exporter classified
	c.Err, c.Endpoint = scrubbedError{err: ee.Err, text: scrub(fmt.Sprint(ee.Err))}, g.endpoint()
	return &c
}

// panickedOnce reports a panicking exporter on stderr once per process, with its stack:
// it is a bug to fix in that exporter, and its failures are counted like any other.
var panickedOnce sync.Map // exporter name → struct{}

func (g *guarded) panicked(v any) error {
	if _, told := panickedOnce.LoadOrStore(g.name, struct{}{}); !told {
		fmt.Fprintf(os.Stderr, "resilog: exporter %q panicked in Export: %v; its batches count as permanent failures\n%s",
			g.name, v, debug.Stack())
	}
	return &exporter.ExportError{Err: fmt.Errorf("panic: %s", scrub(fmt.Sprint(v))), Permanent: true, Endpoint: g.endpoint()}
}

// endpoint names the exporter where the failure report names an endpoint.
func (g *guarded) endpoint() string { return fmt.Sprintf("exporter %q", g.name) }

// scrubbedError keeps err for errors.Is and errors.As, with text for its message.
type scrubbedError struct {
	err  error
	text string
}

func (e scrubbedError) Error() string { return e.text }
func (e scrubbedError) Unwrap() error { return e.err }

// urlInText matches a URL with a scheme in an error's text (net/http quotes the request's).
var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// scrub removes the credentials a URL in text may carry: its userinfo, query and fragment.
func scrub(text string) string {
	return urlInText.ReplaceAllStringFunc(text, func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return "[url]"
		}
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		return u.String()
	})
}
