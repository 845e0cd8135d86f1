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
	"github.com/resilog/resilog/internal/rebuild"
	"github.com/resilog/resilog/internal/recorduid"
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
//
// An exporter resilog does not own cannot write the log.record.uid of spooled records
// while encoding them, as resilog's own do (package recorduid): it is given copies of
// the records with the attribute added, made here, on the export's goroutine.
type guarded struct {
	sdklog.Exporter
	name string // said in the error: which exporter of the list failed
	turn turn   // nil: Exports may run concurrently (resilog's own exporters)
	// uidCopies builds the copies an exporter resilog does not own gets, in copies
	// (under turn: the exporter must not retain the slice); nil for resilog's own
	// exporters, which write the uids themselves.
	uidCopies *rebuild.Templates
	copies    []sdklog.Record
	// valueLimit: records may come from a user's provider with an attribute value length
	// limit (NewProcessor), which AddAttributes applies to the uid too.
	valueLimit bool
}

// guard wraps e, one of resilog's own exporters; t nil leaves its Exports concurrent.
func guard(e sdklog.Exporter, name string, t turn) sdklog.Exporter {
	return &guarded{Exporter: e, name: name, turn: t}
}

// guardForeign wraps e, an exporter resilog does not own (WithSDKExporter,
// WithAdditionalExporter, WithFallback), as guard does with a turn of its own, and
// gives it copies of the spooled records with their log.record.uid. userProvider: the
// records come from a provider that is not New's (NewProcessor), whose limits are the
// user's.
func guardForeign(e sdklog.Exporter, name string, userProvider bool) sdklog.Exporter {
	return &guarded{Exporter: e, name: name, turn: newTurn(), uidCopies: new(rebuild.Templates), valueLimit: userProvider}
}

func (g *guarded) Export(ctx context.Context, records []sdklog.Record) (err error) {
	if g.turn != nil {
		if err := g.turn.take(ctx); err != nil {
			return err
		}
		defer g.turn.give()
	}
	if uids := recorduid.FromContext(ctx); g.uidCopies != nil && uids.Any() {
		if c := uids.Copies(g.copies, records, g.uidCopies, g.valueLimit); len(c) > 0 && &c[0] != &records[0] {
			records = c
			defer func() {
				clear(c) // the copies' attributes go to the garbage collector; the slice is kept
				g.copies = c[:0]
			}()
		}
		// Written: an exporter of ours that e wraps must not write them again.
		ctx = recorduid.NewContext(ctx, recorduid.UIDs{})
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
