package propagation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

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
	typ, msg := fmt.Sprintf("%T", recovered), fmt.Sprint(recovered)
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
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

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

// RecoverMiddleware recovers a panic in next, logs it at ERROR with its stack and request
// ID, and answers 500. http.ErrAbortHandler is re-panicked, as net/http expects, so that
// the server aborts the response without logging it as a failure.
func RecoverMiddleware(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			// If the handler already wrote a status, this is a no-op and the client sees a
			// truncated response, which is all that can be done.
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}
