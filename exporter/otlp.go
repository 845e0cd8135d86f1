package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	"golang.org/x/net/http/httpguts"
	"google.golang.org/grpc"
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
	// CompressionZstd is zstd, which the Collector's OTLP receivers decode on both
	// protocols; it costs less CPU than gzip for a similar ratio on log batches.
	CompressionZstd = "zstd"
)

// Defaults of [OTLPConfig]'s zero fields, written here only.
const (
	defaultTimeout      = 10 * time.Second
	defaultHTTPEndpoint = "http://localhost:4318/v1/logs"
	defaultGRPCEndpoint = "http://localhost:4317"
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
	// Headers are sent with every export request. Names and values must be ones HTTP can
	// carry (no control characters; names are HTTP tokens).
	Headers map[string]string
	// Timeout bounds one export (default 10s).
	Timeout time.Duration
	// Compression is CompressionNone (default), CompressionGzip or CompressionZstd.
	Compression string

	// TLS is the client TLS configuration for an https endpoint (nil: the system's
	// roots). It is cloned, never modified. Set it or the certificate files, not both.
	// TLS settings (this field or the certificate files) with an http:// endpoint are a
	// configuration error: records would go out in cleartext.
	TLS *tls.Config
	// CertificateFile is a PEM file of the certificate authorities trusted for the
	// collector's certificate, in place of the system's roots
	// (OTEL_EXPORTER_OTLP_CERTIFICATE). Each certificate file must be a regular file of
	// at most 1 MiB (a CA bundle is a few hundred KiB): a FIFO or a device named by
	// mistake is refused rather than read.
	CertificateFile string
	// ClientCertificateFile and ClientKeyFile are the PEM certificate chain and private
	// key presented to a collector that requires client certificates (mTLS); set both
	// or neither (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_KEY).
	// The files are read when the exporter is built (and by Validate): a certificate
	// renewed on disk later is used from the next NewOTLP, that is, the next start.
	ClientCertificateFile, ClientKeyFile string

	// HTTPClient sends the OTLP/HTTP requests (http/protobuf, http/json) in place of a
	// client built from the
	// fields above: its Transport carries the TLS settings (TLS and the certificate files
	// must then be unset). It is copied, and the copy never follows a redirect: a
	// redirected export is reported as a permanent failure (see [OTLP]). Shutdown closes
	// its idle connections. Ignored for gRPC. A nil pointer as its Transport is refused.
	HTTPClient *http.Client
	// DialOptions are added after resilog's own gRPC dial options, so they win over them
	// (a grpc.WithTransportCredentials here replaces the TLS settings above). Ignored for
	// OTLP/HTTP. A nil option is refused.
	DialOptions []grpc.DialOption
}

// Validate reports the first problem in c, wrapping [ErrInvalidOTLPConfig]. It reads the
// certificate files, so that a missing or malformed one is a configuration error.
func (c OTLPConfig) Validate() error {
	_, err := c.check()
	return err
}

// check validates c and returns the TLS configuration its fields describe: nil for the
// defaults (system roots).
func (c OTLPConfig) check() (*tls.Config, error) {
	switch c.Protocol {
	case "", ProtocolHTTP, ProtocolHTTPJSON, ProtocolGRPC:
	default:
		return nil, fmt.Errorf("%w: protocol %s (want %q, %q or %q)", ErrInvalidOTLPConfig, shownValue(c.Protocol), ProtocolHTTP, ProtocolHTTPJSON, ProtocolGRPC)
	}
	if c.Endpoint != "" {
		if err := ValidateEndpoint(c.Endpoint); err != nil {
			return nil, err
		}
	}
	switch c.Compression {
	case "", CompressionNone, CompressionGzip, CompressionZstd:
	default:
		return nil, fmt.Errorf("%w: compression %s (want %q, %q or %q)", ErrInvalidOTLPConfig, shownValue(c.Compression), CompressionGzip, CompressionZstd, CompressionNone)
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout %v", ErrInvalidOTLPConfig, c.Timeout)
	}
	// net/http refuses to send what these rules refuse, and every export would then fail
	// before reaching the collector. Neither the name nor the value is quoted: headers
	// carry credentials.
	for k, v := range c.Headers {
		if !httpguts.ValidHeaderFieldName(k) || !httpguts.ValidHeaderFieldValue(v) {
			return nil, fmt.Errorf("%w: a header name or value holds a character HTTP cannot send (not shown: headers carry credentials)", ErrInvalidOTLPConfig)
		}
	}
	for i, o := range c.DialOptions {
		if o == nil {
			return nil, fmt.Errorf("%w: gRPC dial option %d is nil", ErrInvalidOTLPConfig, i+1)
		}
	}
	if c.HTTPClient != nil && isNilPointer(c.HTTPClient.Transport) {
		return nil, fmt.Errorf("%w: the HTTP client's Transport is a nil %T", ErrInvalidOTLPConfig, c.HTTPClient.Transport)
	}
	return c.tlsConfig()
}

// isNilPointer reports whether v is an interface holding a nil pointer (a typed nil),
// which compares unequal to nil and panics when used.
func isNilPointer(v any) bool {
	if v == nil {
		return false
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// tlsConfig checks the TLS fields and builds the configuration they describe.
func (c OTLPConfig) tlsConfig() (*tls.Config, error) {
	files := c.CertificateFile != "" || c.ClientCertificateFile != "" || c.ClientKeyFile != ""
	switch {
	case c.TLS != nil && files:
		return nil, fmt.Errorf("%w: both a TLS configuration and certificate files: set the roots and client certificate in the TLS configuration", ErrInvalidOTLPConfig)
	case c.HTTPClient != nil && c.Protocol != ProtocolGRPC && (c.TLS != nil || files):
		return nil, fmt.Errorf("%w: both an HTTP client and TLS settings: set the TLS settings on the client's Transport", ErrInvalidOTLPConfig)
	case (c.ClientCertificateFile == "") != (c.ClientKeyFile == ""):
		return nil, fmt.Errorf("%w: a client certificate needs both its certificate file and its key file", ErrInvalidOTLPConfig)
	case c.TLS != nil:
		return c.TLS.Clone(), c.checkTLSEndpoint()
	case !files:
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CertificateFile != "" {
		pem, err := readPEMFile("CA certificate file", c.CertificateFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: the CA certificate file holds no PEM certificate", ErrInvalidOTLPConfig)
		}
	}
	if c.ClientCertificateFile != "" {
		certPEM, err := readPEMFile("client certificate file", c.ClientCertificateFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := readPEMFile("client key file", c.ClientKeyFile)
		if err != nil {
			return nil, err
		}
		// X509KeyPair's errors say what is wrong, never what the PEM holds.
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate and key: %w", ErrInvalidOTLPConfig, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, c.checkTLSEndpoint()
}

// checkTLSEndpoint refuses TLS settings with an http:// endpoint (the default one
// included): the user evidently wants TLS, and the records and headers would go out in
// cleartext without a word. For gRPC, OTEL_EXPORTER_OTLP_INSECURE=true is how a bare
// host:port gets http://.
func (c OTLPConfig) checkTLSEndpoint() error {
	if strings.HasPrefix(strings.ToLower(c.withDefaults().Endpoint), "http:") {
		return fmt.Errorf("%w: TLS settings (a TLS configuration or certificate files) with a plaintext http:// endpoint: use https:// (for gRPC, unset OTEL_EXPORTER_OTLP_INSECURE)", ErrInvalidOTLPConfig)
	}
	return nil
}

// maxPEMFile bounds the size of a certificate file: a CA bundle is a few hundred KiB (a
// system's whole bundle about 200 KiB), and a setting that names /dev/zero or a huge file
// by mistake must not fill the memory.
const maxPEMFile = 1 << 20

// readPEMFile reads the file named path, which must be a regular file of at most
// maxPEMFile bytes: opening a FIFO would block (NewOTLP, and so the service's start,
// forever), and a device has no end. Its errors never quote path: the variable that
// should name the key file is sometimes given the key itself, which an "open …: no such
// file" would print in full, and a path may name a secret's mount.
func readPEMFile(what, path string) ([]byte, error) {
	if strings.Contains(path, "-----BEGIN") || strings.ContainsAny(path, "\r\n") {
		return nil, fmt.Errorf("%w: %s: the setting holds PEM content; give the path of a file that holds it", ErrInvalidOTLPConfig, what)
	}
	fail := func(err error) ([]byte, error) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // "no such file or directory", "permission denied"…
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidOTLPConfig, what, err)
	}
	notRegular := fmt.Errorf("%w: %s is not a regular file", ErrInvalidOTLPConfig, what)
	// Stat first: opening a FIFO blocks until a writer comes.
	if fi, err := os.Stat(path); err != nil {
		return fail(err)
	} else if !fi.Mode().IsRegular() {
		return nil, notRegular
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return fail(err)
	} else if !fi.Mode().IsRegular() { // replaced between the two looks
		return nil, notRegular
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return fail(err)
	}
	if len(b) > maxPEMFile {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB", ErrInvalidOTLPConfig, what, maxPEMFile>>20)
	}
	return b, nil
}

// withDefaults returns c with its zero fields set to their defaults.
func (c OTLPConfig) withDefaults() OTLPConfig {
	if c.Protocol == "" {
		c.Protocol = ProtocolHTTP
	}
	if c.Endpoint == "" {
		c.Endpoint = defaultHTTPEndpoint
		if c.Protocol == ProtocolGRPC {
			c.Endpoint = defaultGRPCEndpoint
		}
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.Compression == "" {
		c.Compression = CompressionNone
	}
	if c.Headers == nil {
		// An explicit empty set keeps the upstream exporter from reading
		// OTEL_EXPORTER_OTLP_HEADERS on its own.
		c.Headers = map[string]string{}
	}
	return c
}

// ValidateEndpoint checks that raw is an absolute http or https URL with a host, and
// says how to fix the usual mistakes (a missing scheme, quotes kept from a shell or a
// YAML file). Its errors quote nothing of raw but a well-known scheme: in a malformed
// endpoint any part may be a credential ("ftp://bob:4242…" parses the password as the
// port, a token pasted where the host goes is the host), and url.Parse's own errors quote
// the whole URL.
func ValidateEndpoint(raw string) error {
	if hint := endpointHint(raw); hint != "" {
		return fmt.Errorf("%w: endpoint %s", ErrInvalidOTLPConfig, hint)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: endpoint is not a valid URL", ErrInvalidOTLPConfig)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: endpoint scheme %s: must be http or https (http:// for plaintext, https:// for TLS)", ErrInvalidOTLPConfig, shownScheme(u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: endpoint has no host: write it as http://host:port (https:// for TLS)", ErrInvalidOTLPConfig)
	}
	return nil
}

// endpointHint recognises the usual ways an endpoint is miswritten and says how to write
// it; "" when raw is none of them.
func endpointHint(raw string) string {
	switch {
	case raw == "":
		return "is empty"
	case raw != strings.TrimSpace(raw):
		return "has leading or trailing spaces: remove them"
	case strings.ContainsAny(raw[:1], `"'`) || strings.ContainsAny(raw[len(raw)-1:], `"'`):
		return "is wrapped in quotes: remove them"
	case !strings.Contains(raw, "://"):
		// "127.0.0.1:4318", "localhost:4318", "collector", "http:collector:4318".
		if s, _, ok := strings.Cut(raw, ":"); ok && (strings.EqualFold(s, "http") || strings.EqualFold(s, "https")) {
			return "has a scheme but no \"//\": write it as http://host:port (https:// for TLS)"
		}
		return "has no scheme: add http:// (or https:// for TLS), as in http://host:4318"
	}
	return ""
}

// shownValue quotes a value in an error when it is short and plainly a word, as a
// protocol or compression name is ("http/json", "brotli"); anything else, digits
// included, may be a credential set in the wrong field.
func shownValue(v string) string {
	if len(v) <= 16 && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '/' || r == '-' || r == '_')
	}) < 0 {
		return strconv.Quote(v)
	}
	return "(not shown)"
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
// client to wait. It makes one attempt per Export; processor.Batch retries, so that one policy
// (which retries "connection refused", unlike otlploghttp) applies to both protocols.
// Requests are encoded directly from the records (internal/otlpenc) for every protocol,
// which costs a fraction of the upstream exporters' generated structs and reflection.
// [OTLP.Probe] checks the collector is up; give it to processor.Route.
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
	tlsCfg, err := c.check()
	if err != nil {
		return nil, err
	}
	c = c.withDefaults()
	var o *OTLP
	if c.Protocol == ProtocolGRPC {
		o, err = newOTLPGRPC(ctx, c, tlsCfg)
	} else {
		o, err = newOTLPHTTP(ctx, c, tlsCfg)
	}
	if o != nil {
		o.creds = credentialsOf(c)
	}
	return o, err
}

// Export sends records once. A failure is returned as an *ExportError. A panic below it
// (a user's http.RoundTripper or gRPC dial option) is returned as a permanent failure:
// Export runs on the batcher's goroutine, where a panic would end the process.
func (o *OTLP) Export(ctx context.Context, records []sdklog.Record) (err error) {
	defer recoverExport(&err)
	return o.creds.describe(o.exp.Export(ctx, records))
}

// Probe sends an empty export request: it succeeds only if the collector answers it. A
// panic is returned as an error, as in Export.
func (o *OTLP) Probe(ctx context.Context) (err error) {
	defer recoverExport(&err)
	return o.creds.describe(o.probe(ctx))
}

// errExportPanicked is the cause of a failure that was a recovered panic. The panic's
// value is not kept: it may quote anything, credentials included.
var errExportPanicked = errors.New("the export panicked")

// recoverExport turns a panic into a permanent *ExportError in *err.
func recoverExport(err *error) {
	if p := recover(); p != nil {
		*err = &ExportError{Err: fmt.Errorf("%w (%T)", errExportPanicked, p), Permanent: true}
	}
}

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
	raw := c.withDefaults().Endpoint
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
	if c.Protocol == ProtocolGRPC {
		// gRPC ignores the path; whatever it holds (a password, when a scheme lost its
		// colon) is not shown.
		if p := strings.Trim(u.Path, "/"); p != "" {
			cr.secrets = append(cr.secrets, p)
		}
		u.Path, u.RawPath = "", ""
	} else {
		u.Path, u.RawPath = shownPath(u.Path, &cr.secrets), ""
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	cr.endpoint = u.String()
	return cr
}

// shownPath returns the path with every segment that may be a credential (anything but a
// short word or a version such as "v1") replaced by REDACTED, and appends those segments
// to secrets: some services take an API key in the URL's path.
func shownPath(path string, secrets *[]string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		word := len(s) <= 32 && strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.')
		}) < 0
		version := len(s) >= 2 && len(s) <= 4 && s[0] == 'v' && strings.IndexFunc(s[1:], func(r rune) bool { return r < '0' || r > '9' }) < 0
		if !word && !version {
			*secrets = append(*secrets, s)
			segs[i] = "REDACTED"
		}
	}
	return strings.Join(segs, "/")
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
