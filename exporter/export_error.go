package exporter

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
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
