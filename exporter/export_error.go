package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ExportError is a classified export failure.
type ExportError struct {
	Err error
	// Permanent is true when retrying the same request cannot succeed (HTTP 400, 401, 403,
	// 413…; gRPC InvalidArgument, PermissionDenied…).
	Permanent bool
	// RetryAfter is the least delay the server asked for (HTTP Retry-After, gRPC
	// RetryInfo); 0 when it asked for none.
	RetryAfter time.Duration
	// Endpoint is where the request was sent, without credentials (no userinfo, query or
	// fragment); "" when the exporter did not say.
	Endpoint string

	status int // the HTTP status answered, 0 if none
}

// Error describes the failure and whether it is worth retrying.
func (e *ExportError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s export failure (retry after %v): %v", kind, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("%s export failure: %v", kind, e.Err)
}

// Unwrap returns the underlying error.
func (e *ExportError) Unwrap() error { return e.Err }

// retryableStatus follows the OTLP/HTTP specification.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableCode follows the OTLP/gRPC specification: ResourceExhausted only when the
// server sent RetryInfo.
func retryableCode(c codes.Code, hasRetryInfo bool) bool {
	switch c {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		return true
	case codes.ResourceExhausted:
		return hasRetryInfo
	}
	return false
}

// parseRetryAfter reads delay-seconds or an HTTP date; anything else is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 3600 {
			secs = 3600 // a server asking for hours is capped; the breaker handles long outages
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, time.Hour)
		}
	}
	return 0
}

// FailureKind names the kind of an export failure as resilog's stderr report says it
// ("connection refused", "HTTP 503", "TLS: certificate signed by an unknown authority",
// "gRPC Unavailable", "timeout"…; "error" when it knows none): the report says the first
// failure of each kind at once.
func FailureKind(err error) string {
	var ee *ExportError
	if errors.As(err, &ee) && ee.status != 0 {
		return "HTTP " + strconv.Itoa(ee.status)
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &unknownCA):
		return "TLS: certificate signed by an unknown authority"
	case errors.As(err, &hostname):
		return "TLS: certificate not valid for the host"
	case errors.As(err, &certErr):
		return "TLS: certificate not trusted"
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls's form of an alert from the server: most often a client certificate
		// missing or not trusted ("tls: certificate required", "tls: bad certificate").
		return "TLS: refused by the collector"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		// Also how a TLS 1.3 collector's refusal of a missing client certificate often
		// arrives: its alert comes after the client's handshake is done, and the
		// request's write may meet the closed connection before the alert is read.
		return "connection reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		// The collector (or a proxy before it) closed the connection without an answer.
		return "connection closed"
	case errors.As(err, &dnsErr):
		return "DNS lookup failed"
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.OK && st.Code() != codes.Unknown {
		return "gRPC " + st.Code().String()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return "timeout"
	}
	return "error"
}
