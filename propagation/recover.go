package propagation

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"

	"github.com/resilog/resilog/internal/attrvalue"
	"github.com/resilog/resilog/internal/exception"
)

// Exception attribute keys (OpenTelemetry semantic conventions).
const (
	ExceptionTypeKey       = exception.TypeKey
	ExceptionMessageKey    = exception.MessageKey
	ExceptionStacktraceKey = exception.StacktraceKey
)

// PanicAttrs describes a recovered panic value with the exception.* attributes, the
// stack, and the request ID of ctx. Every place in resilog that recovers a panic logs
// these.
func PanicAttrs(ctx context.Context, recovered any, stack []byte) []slog.Attr {
	// The value as the converter reads a logged one: a byte slice as its text, a struct
	// as its fields, so that redaction reads them.
	typ, msg := fmt.Sprintf("%T", recovered), attrvalue.Text(recovered)
	if err, ok := recovered.(error); ok {
		// The same description as a logged error (see the bridge).
		typ, msg = exception.Type(err), exception.Message(err)
	}
	if recovered == nil {
		typ = "panic(nil)"
	}
	attrs := []slog.Attr{
		slog.String(ExceptionTypeKey, typ),
		slog.String(ExceptionMessageKey, msg),
		slog.String(ExceptionStacktraceKey, string(stack)),
	}
	if id := RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String(RequestIDKey, id))
	}
	return attrs
}

// PanicError is the error Run returns for a recovered panic.
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic.
func (e *PanicError) Error() string { return "panic: " + exception.Sprint("%v", e.Value) }

// Run calls fn(ctx). A panic in fn is recovered, logged at ERROR on log with its
// exception.* attributes, stack and request ID, and returned as a *PanicError.
func Run(ctx context.Context, log *slog.Logger, name string, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			log.LogAttrs(ctx, slog.LevelError, "panic in "+name, PanicAttrs(ctx, v, stack)...)
			err = &PanicError{Value: v, Stack: stack}
		}
	}()
	return fn(ctx)
}

// Go runs fn in a new goroutine with a detached copy of ctx (see Detach): the job keeps
// the request ID, the bound attributes and the trace of the request that started it, and
// outlives its cancellation. A panic is recovered and logged as by Run (nothing above a
// goroutine would catch it); an error fn returns is logged at ERROR. The channel receives
// fn's error, or the *PanicError, and is then closed.
func Go(ctx context.Context, log *slog.Logger, name string, fn func(context.Context) error) <-chan error {
	done := make(chan error, 1)
	ctx = Detach(ctx)
	go func() {
		defer close(done)
		err := Run(ctx, log, name, fn)
		if _, isPanic := err.(*PanicError); err != nil && !isPanic {
			log.ErrorContext(ctx, name+" failed", "error", err)
		}
		done <- err
	}()
	return done
}

// RecoverMiddleware recovers a panic in next and logs it at ERROR with its stack and
// request ID. If the response has not started, the client gets a 500. If it has (a status
// or part of the body is out), no error page can be sent any more, and appending one would
// hand the client a truncated body with a success status: the middleware then aborts the
// response by panicking with http.ErrAbortHandler, so that the server breaks the
// connection (HTTP/1) or resets the stream (HTTP/2) and the client sees a failed request.
// http.ErrAbortHandler from next is re-panicked as is, as net/http expects.
//
// next gets a ResponseWriter that notes when the response starts. It keeps the wrapped
// writer's Flush and Hijack (also through http.ResponseController, via Unwrap), and is an
// http.Pusher or http.CloseNotifier exactly when the wrapped writer is one.
//
// A write made on the writer Unwrap returns cannot be seen. So once next (or a
// ResponseController: SetWriteDeadline, EnableFullDuplex…) has called Unwrap, a panic
// aborts the response as if it had started, rather than risk appending an error page to
// a body under way: the client sees a failed request either way.
//
// The abort is a panic with http.ErrAbortHandler, which net/http's server recovers; a
// server or adapter that does not (httptest.NewRecorder, some serverless adapters) sees
// that panic escape the middleware.
func RecoverMiddleware(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startWriter{ResponseWriter: w}
		wrapped := sw.withOptional()
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			ctx := r.Context()
			log.LogAttrs(ctx, slog.LevelError, "panic serving "+r.Method+" "+r.URL.Path, PanicAttrs(ctx, v, debug.Stack())...)
			if sw.started || sw.unwrapped {
				panic(http.ErrAbortHandler)
			}
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}()
		next.ServeHTTP(wrapped, r)
	})
}

// startWriter notes whether the response has started: a final status, a body byte, a
// flush or a hijack. Like the ResponseWriter it wraps, it is for the handler's goroutine.
type startWriter struct {
	http.ResponseWriter
	started   bool
	unwrapped bool // Unwrap was called: a write may have bypassed Write
}

// withOptional returns w as a ResponseWriter that also has the optional interfaces of
// the writer it wraps that neither Unwrap nor http.ResponseController reach:
// http.Pusher and http.CloseNotifier.
func (w *startWriter) withOptional() http.ResponseWriter {
	_, push := w.ResponseWriter.(http.Pusher)
	//lint:ignore SA1019 kept for the handlers that still use it
	_, notify := w.ResponseWriter.(http.CloseNotifier)
	switch {
	case push && notify:
		return pushNotifyWriter{w}
	case push:
		return pushWriter{w}
	case notify:
		return notifyWriter{w}
	}
	return w
}

type pushWriter struct{ *startWriter }

func (w pushWriter) Push(target string, opts *http.PushOptions) error {
	return w.ResponseWriter.(http.Pusher).Push(target, opts)
}

type notifyWriter struct{ *startWriter }

func (w notifyWriter) CloseNotify() <-chan bool {
	//lint:ignore SA1019 kept for the handlers that still use it
	return w.ResponseWriter.(http.CloseNotifier).CloseNotify()
}

type pushNotifyWriter struct{ *startWriter }

func (w pushNotifyWriter) Push(target string, opts *http.PushOptions) error {
	return pushWriter(w).Push(target, opts)
}

func (w pushNotifyWriter) CloseNotify() <-chan bool { return notifyWriter(w).CloseNotify() }

func (w *startWriter) WriteHeader(code int) {
	// 1xx statuses other than 101 are informational: the final status is still to come.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.started = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *startWriter) Write(p []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps the wrapped writer's io.ReaderFrom (sendfile for files) in use.
func (w *startWriter) ReadFrom(r io.Reader) (int64, error) {
	w.started = true
	return io.Copy(w.ResponseWriter, r)
}

// Flush flushes the wrapped writer, if it can.
func (w *startWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController.Flush calls: the wrapped writer's error, or
// http.ErrNotSupported.
func (w *startWriter) FlushError() error {
	w.started = true
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands over the wrapped writer's connection, or returns http.ErrNotSupported.
func (w *startWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.started = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the wrapped writer's other methods. What is
// written there is not seen: see RecoverMiddleware.
func (w *startWriter) Unwrap() http.ResponseWriter {
	w.unwrapped = true
	return w.ResponseWriter
}
