package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/resilog/resilog/internal/accounting"
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

// failureKind names the kind of an export failure for the report: the first failure of
// each kind is reported at once.
func failureKind(err error) string {
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

// maxReportedError bounds the error text in a report line (a server's answer can be
// 64 KiB).
const maxReportedError = 512

// oneLine makes s safe for one report line: line breaks, controls and bidi overrides
// become spaces, and it is cut at maxReportedError bytes.
func oneLine(s string) string {
	if len(s) > maxReportedError {
		s = strings.ToValidUTF8(s[:maxReportedError], "") + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || breaksLine(r) {
			return ' '
		}
		return r
	}, s)
}

// failureReport says on the drop report's writer why exports fail: the first failure of
// each kind at once, with its cause and the endpoint; then at most one line per kind per
// interval while failures persist; and a line when delivery resumes after failures that
// were reported. A collector that flaps therefore costs at most two lines per kind per
// interval. It keeps the last error for Stats. Its methods never wait on I/O.
type failureReport struct {
	drops   *accounting.Drops // its Report is the one writer; its Interval the pace
	failing atomic.Bool       // since the last success; lets succeeded skip the lock

	mu        sync.Mutex
	endpoint  string               // from the last ExportError that named one
	printed   map[string]time.Time // when a line for each kind was last written
	seen      map[string]int       // failures of each kind since the last success
	since     time.Time            // first failure since the last success
	failures  int                  // since then
	told      bool                 // a line was written about these failures
	lastErr   string
	lastErrAt time.Time
}

func (fr *failureReport) target() string {
	if fr.endpoint == "" {
		return "the primary exporter"
	}
	return fr.endpoint
}

// failed records a failed export or probe.
func (fr *failureReport) failed(err error) {
	now := time.Now()
	kind := failureKind(err)
	msg := oneLine(err.Error())
	fr.mu.Lock()
	defer fr.mu.Unlock()
	var ee *ExportError
	if errors.As(err, &ee) && ee.Endpoint != "" {
		fr.endpoint = ee.Endpoint
	}
	fr.lastErr, fr.lastErrAt = msg, now
	if fr.printed == nil {
		fr.printed = map[string]time.Time{}
	}
	if !fr.failing.Load() {
		fr.failing.Store(true)
		fr.seen, fr.since, fr.failures, fr.told = map[string]int{}, now, 0, false
	}
	fr.failures++
	fr.seen[kind]++
	if last, ok := fr.printed[kind]; ok && now.Sub(last) < fr.drops.Interval() {
		return
	}
	var line string
	if n := fr.seen[kind]; n == 1 {
		line = fmt.Sprintf("resilog: export to %s failed (%s): %s; records go to the fallback while it fails",
			fr.target(), kind, msg)
	} else {
		line = fmt.Sprintf("resilog: export to %s still failing (%s): %d failures since %s, %d of this kind; last: %s",
			fr.target(), kind, fr.failures, fr.since.UTC().Format(time.RFC3339), n, msg)
	}
	fr.printed[kind], fr.told = now, true
	fr.drops.Report().Print(line)
}

// succeeded records a successful export: after failures, delivery has resumed.
func (fr *failureReport) succeeded() {
	if !fr.failing.Load() {
		return
	}
	now := time.Now()
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if !fr.failing.Swap(false) || !fr.told {
		return
	}
	fr.drops.Report().Print(fmt.Sprintf("resilog: export to %s resumed after %d failures in %v",
		fr.target(), fr.failures, now.Sub(fr.since).Round(time.Millisecond)))
}

// last returns the last failure and its time.
func (fr *failureReport) last() (string, time.Time) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return fr.lastErr, fr.lastErrAt
}
