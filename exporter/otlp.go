package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// OTLP protocols, spelled as in OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolHTTP     = "http/protobuf"
	ProtocolHTTPJSON = "http/json" // OTLP/HTTP with the JSON encoding
	ProtocolGRPC     = "grpc"
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
	// Protocol is ProtocolHTTP (default), ProtocolHTTPJSON or ProtocolGRPC.
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
	case "", ProtocolHTTP, ProtocolHTTPJSON, ProtocolGRPC:
	default:
		return fmt.Errorf("%w: protocol %q (want %q, %q or %q)", ErrInvalidOTLPConfig, c.Protocol, ProtocolHTTP, ProtocolHTTPJSON, ProtocolGRPC)
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
// quote nothing of raw but a well-known scheme: in a malformed endpoint any part may be a
// credential ("ftp://bob:4242…" parses the password as the port, a token pasted where the
// host goes is the host), and url.Parse's own errors quote the whole URL.
func ValidateEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: endpoint is not a valid URL", ErrInvalidOTLPConfig)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: endpoint scheme %s: must be http or https", ErrInvalidOTLPConfig, shownScheme(u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: endpoint has no host", ErrInvalidOTLPConfig)
	}
	return nil
}

// shownScheme returns what an error may say of a URL scheme: the scheme itself when it is
// one people mistype for http ("ftp", "grpc", "tcp"…); otherwise nothing, since
// "user:pass@host" parses as the scheme "user".
func shownScheme(scheme string) string {
	switch strings.ToLower(scheme) {
	case "":
		return "missing"
	case "ftp", "ftps", "grpc", "grpcs", "tcp", "udp", "unix", "dns", "file", "ws", "wss", "otlp":
		return strconv.Quote(scheme)
	}
	return "(not shown)"
}

// OTLP is the OTLP log exporter, with its failures classified: an error from Export is an
// [*ExportError] that says whether a retry can succeed and how long the server asked the
// client to wait. It makes one attempt per Export; [Failover] retries, so that one policy
// (which retries "connection refused", unlike otlploghttp) applies to both protocols.
// Requests are encoded directly from the records (internal/otlpenc) for every protocol,
// which costs a fraction of the upstream exporters' generated structs and reflection.
// OTLP also implements [Prober].
//
// Its errors name the endpoint without credentials ([ExportError].Endpoint), and their
// text never holds the endpoint's userinfo or query, nor a header value: they are written
// to stderr when exports fail.
type OTLP struct {
	exp   sdklog.Exporter
	probe func(ctx context.Context) error
	close func() error
	creds endpointCreds // set by NewOTLP
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
	var o *OTLP
	var err error
	if c.Protocol == ProtocolGRPC {
		o, err = newOTLPGRPC(ctx, c)
	} else {
		o, err = newOTLPHTTP(ctx, c)
	}
	if o != nil {
		o.creds = credentialsOf(c)
	}
	return o, err
}

// Export sends records once. A failure is returned as an *ExportError.
func (o *OTLP) Export(ctx context.Context, records []sdklog.Record) error {
	return o.creds.describe(o.exp.Export(ctx, records))
}

// Probe sends an empty export request: it succeeds only if the collector answers it.
func (o *OTLP) Probe(ctx context.Context) error { return o.creds.describe(o.probe(ctx)) }

// endpointCreds is what an OTLP exporter must keep out of its error messages.
type endpointCreds struct {
	endpoint string   // the endpoint as shown: no userinfo, query or fragment
	shown    []string // forms of the endpoint in error messages, replaced by endpoint
	secrets  []string // userinfo, query and header values, replaced by [REDACTED]
}

// minSecret is the shortest header value scrubbed from messages: shorter ones ("1",
// "gzip") would mangle the text and are no credential.
const minSecret = 4

func credentialsOf(c OTLPConfig) endpointCreds {
	raw := c.Endpoint
	if raw == "" {
		raw = "http://localhost:4318/v1/logs"
		if c.Protocol == ProtocolGRPC {
			raw = "http://localhost:4317"
		}
	}
	var cr endpointCreds
	u, err := url.Parse(raw)
	if err != nil {
		return endpointCreds{endpoint: "(unparsable endpoint)", shown: []string{raw}}
	}
	cr.shown = []string{raw, u.String(), u.Redacted()}
	if u.User != nil {
		// net/http's form in its errors (url.Error): the password as "***".
		cr.shown = append(cr.shown, strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1))
		cr.secrets = append(cr.secrets, u.User.String(), u.User.Username())
		if pw, ok := u.User.Password(); ok {
			cr.secrets = append(cr.secrets, pw)
		}
	}
	if u.RawQuery != "" {
		cr.secrets = append(cr.secrets, u.RawQuery)
		for _, vs := range u.Query() {
			cr.secrets = append(cr.secrets, vs...)
		}
	}
	for _, v := range c.Headers {
		cr.secrets = append(cr.secrets, v)
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	cr.endpoint = u.String()
	return cr
}

// describe returns err as an *ExportError that names the endpoint, its text scrubbed of
// credentials.
func (cr endpointCreds) describe(err error) error {
	if err == nil {
		return nil
	}
	ee, ok := err.(*ExportError)
	if !ok {
		ee = &ExportError{Err: err}
	}
	ee.Endpoint = cr.endpoint
	msg := ee.Err.Error()
	clean := msg
	for _, s := range cr.shown {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, cr.endpoint)
		}
	}
	for _, s := range cr.secrets {
		if len(s) >= minSecret {
			clean = strings.ReplaceAll(clean, s, "[REDACTED]")
		}
	}
	if clean != msg {
		ee.Err = &scrubbedError{msg: clean, err: ee.Err}
	}
	return ee
}

// scrubbedError is an error whose text had credentials removed; errors.Is and As still
// reach the original.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

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
