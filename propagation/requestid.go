package propagation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// DefaultRequestIDHeader is the header request IDs are read from and written to.
const DefaultRequestIDHeader = "X-Request-ID"

// RequestIDKey is the attribute a request ID is recorded under, on records and spans.
const RequestIDKey = "request.id"

// MaxRequestIDLen is the longest inbound request ID accepted.
const MaxRequestIDLen = 128

type requestIDKey struct{}

// WithRequestID returns a context carrying id. It does not validate id: use
// ValidRequestID on anything that came from outside.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID in ctx, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ValidRequestID reports whether id may be used as it is: 1 to 128 characters of
// [A-Za-z0-9._:-]. Anything else (newlines, control characters, quotes, spaces, non-ASCII,
// huge values) could forge log lines or break headers, and is replaced.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// NewRequestID returns a random request ID: 32 lowercase hex digits.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// RequestIDOption configures RequestIDMiddleware.
type RequestIDOption func(*requestIDConfig)

type requestIDConfig struct{ header string }

// WithRequestIDHeader reads and writes the request ID under header instead of
// X-Request-ID.
func WithRequestIDHeader(header string) RequestIDOption {
	return func(c *requestIDConfig) { c.header = http.CanonicalHeaderKey(header) }
}

// RequestIDMiddleware gives every request an ID: the inbound header's value if it is valid
// (see ValidRequestID), a new one otherwise. The ID is set on the response header, stored
// in the request context (RequestID) and added to the active span as request.id. Put it
// inside otelhttp's handler so that the span exists.
func RequestIDMiddleware(next http.Handler, opts ...RequestIDOption) http.Handler {
	c := requestIDConfig{header: DefaultRequestIDHeader}
	for _, o := range opts {
		o(&c)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(c.header)
		if !ValidRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(c.header, id)
		ctx := WithRequestID(r.Context(), id)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String(RequestIDKey, id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Transport forwards the context's request ID on outbound requests, under the
// X-Request-ID header unless the request already has one. Trace context is otelhttp's
// job; the two compose: Transport(otelhttp.NewTransport(http.DefaultTransport)).
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper{base}
}

type roundTripper struct{ base http.RoundTripper }

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if id := RequestID(r.Context()); id != "" && r.Header.Get(DefaultRequestIDHeader) == "" {
		r = r.Clone(r.Context()) // a RoundTripper must not modify the caller's request
		r.Header.Set(DefaultRequestIDHeader, id)
	}
	return t.base.RoundTrip(r)
}
