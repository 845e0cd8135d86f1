package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// OTLP protocols, spelled as in OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Compression values, spelled as in OTEL_EXPORTER_OTLP_COMPRESSION.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
)

// ErrInvalidOTLPConfig is wrapped by every error [NewOTLP] returns for a bad [OTLPConfig].
var ErrInvalidOTLPConfig = errors.New("invalid OTLP exporter configuration")

// OTLPConfig is a fully resolved OTLP exporter configuration. The zero value of a field
// means the default written beside it.
type OTLPConfig struct {
	// Protocol is ProtocolHTTP (default) or ProtocolGRPC.
	Protocol string
	// Endpoint is the URL records are sent to. For HTTP it is the complete logs URL
	// (default http://localhost:4318/v1/logs); for gRPC the path is ignored (default
	// http://localhost:4317). An http scheme means plaintext, https means TLS.
	Endpoint string
	// Headers are sent with every export request.
	Headers map[string]string
	// Timeout bounds one export (default 10s).
	Timeout time.Duration
	// Compression is CompressionNone (default) or CompressionGzip.
	Compression string
}

// Validate reports the first problem in c, wrapping [ErrInvalidOTLPConfig].
func (c OTLPConfig) Validate() error {
	switch c.Protocol {
	case "", ProtocolHTTP, ProtocolGRPC:
	default:
		return fmt.Errorf("%w: protocol %q (want %q or %q)", ErrInvalidOTLPConfig, c.Protocol, ProtocolHTTP, ProtocolGRPC)
	}
	if c.Endpoint != "" {
		if err := ValidateEndpoint(c.Endpoint); err != nil {
			return err
		}
	}
	switch c.Compression {
	case "", CompressionNone, CompressionGzip:
	default:
		return fmt.Errorf("%w: compression %q (want %q or %q)", ErrInvalidOTLPConfig, c.Compression, CompressionGzip, CompressionNone)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout %v", ErrInvalidOTLPConfig, c.Timeout)
	}
	return nil
}

// ValidateEndpoint checks that raw is an absolute http or https URL with a host. Its errors
// show the scheme and host only: an endpoint's user information, path or query may hold a
// credential, and url.Parse's own errors quote the whole URL.
func ValidateEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: endpoint is not a valid URL", ErrInvalidOTLPConfig)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: endpoint %s: scheme must be http or https", ErrInvalidOTLPConfig, shownURL(u))
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: endpoint %s: no host", ErrInvalidOTLPConfig, shownURL(u))
	}
	return nil
}

// shownURL returns what an error may say of u: its scheme and host, with the rest elided.
func shownURL(u *url.URL) string {
	if u.Opaque != "" || u.Host == "" {
		// "user:pass@host" parses as scheme "user": nothing of it is shown.
		return "(not shown)"
	}
	s := u.Scheme + "://"
	if u.User != nil {
		s += "…@"
	}
	s += u.Host
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		s += "/…"
	}
	return strconv.Quote(s)
}

// OTLP is the OTLP log exporter, with its failures classified: an error from Export is an
// [*ExportError] that says whether a retry can succeed and how long the server asked the
// client to wait. It makes one attempt per Export; [Failover] retries, so that one policy
// (which retries "connection refused", unlike otlploghttp) applies to both protocols.
// Requests are encoded directly from the records (internal/otlpenc) for both protocols,
// which costs a fraction of the upstream exporters' generated structs and reflection.
// OTLP also implements [Prober].
type OTLP struct {
	exp   sdklog.Exporter
	probe func(ctx context.Context) error
	close func() error
}

// NewOTLP returns the OTLP exporter for c. It never reads environment variables itself:
// every field of c is passed explicitly, so the caller's resolution (options > OTEL_*
// variables > defaults) is the only one that applies.
func NewOTLP(ctx context.Context, c OTLPConfig) (*OTLP, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Headers == nil {
		// An explicit empty set keeps the upstream exporter from reading
		// OTEL_EXPORTER_OTLP_HEADERS on its own.
		c.Headers = map[string]string{}
	}
	if c.Protocol == ProtocolGRPC {
		return newOTLPGRPC(ctx, c)
	}
	return newOTLPHTTP(ctx, c)
}

// Export sends records once. A failure is returned as an *ExportError.
func (o *OTLP) Export(ctx context.Context, records []sdklog.Record) error {
	return o.exp.Export(ctx, records)
}

// Probe sends an empty export request: it succeeds only if the collector answers it.
func (o *OTLP) Probe(ctx context.Context) error { return o.probe(ctx) }

// ForceFlush does nothing: OTLP holds no records.
func (o *OTLP) ForceFlush(ctx context.Context) error { return o.exp.ForceFlush(ctx) }

// Shutdown stops the exporter and closes its connections.
func (o *OTLP) Shutdown(ctx context.Context) error {
	err := o.exp.Shutdown(ctx)
	if o.close != nil {
		err = errors.Join(err, o.close())
	}
	return err
}
