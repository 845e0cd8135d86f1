package resilog

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"golang.org/x/net/http/httpguts"
	"google.golang.org/grpc"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/settingenv"
	"github.com/resilog/resilog/internal/spool"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/redact"
)

// ErrInvalidConfig is wrapped by every error [New] returns for bad options or environment
// variables, so callers can tell configuration mistakes from runtime failures.
var ErrInvalidConfig = errors.New("resilog: invalid configuration")

// Exporter names, as in OTEL_LOGS_EXPORTER.
const (
	ExporterOTLP    = "otlp"
	ExporterConsole = "console"
	ExporterNone    = "none"
)

// settings is the fully resolved configuration. Every knob is resolved here, once, with one
// precedence: explicit option > OTEL_* environment variable > default.
type settings struct {
	disabled    bool
	exporters   []string // each record goes to each; empty with "none"
	otlp        exporter.OTLPConfig
	serviceName string               // "" when neither option nor OTEL_SERVICE_NAME set it
	envResource []attribute.KeyValue // from OTEL_RESOURCE_ATTRIBUTES
	levels      *bridge.Levels
	batch       processor.BatchConfig
	limits      processor.LimitConfig
	console     string       // "json" or "text"
	fallback    string       // the default fallback's format: FallbackFormatJSON or FallbackFormatOTLPJSON
	spool       spool.Config // Dir "" : no spool
}

func resolve(o *options) (settings, error) {
	env := o.lookupEnv
	if env == nil {
		env = os.LookupEnv
	}
	// first returns the first variable of names that is set to a non-blank value.
	first := func(names ...string) (name, value string, ok bool) {
		for _, n := range names {
			if v, ok := env(n); ok && strings.TrimSpace(v) != "" {
				return n, strings.TrimSpace(v), true
			}
		}
		return "", "", false
	}
	var s settings
	var err error

	s.disabled = resolveDisabled(o, first)
	if s.exporters, err = resolveExporters(o, s.disabled, first); err != nil {
		return s, err
	}

	s.console = "json"
	if o.consoleFormat != nil {
		s.console = *o.consoleFormat
	} else if _, v, ok := first("RESILOG_CONSOLE_FORMAT"); ok {
		s.console = strings.ToLower(v)
	}
	if s.console != "json" && s.console != "text" {
		return s, fmt.Errorf("%w: console format %s (want json or text)", ErrInvalidConfig, shown(s.console))
	}

	if o.serviceName != nil {
		s.serviceName = *o.serviceName
	} else if _, v, ok := first("OTEL_SERVICE_NAME"); ok && !optionServiceName(o) {
		s.serviceName = v
	}

	if n, v, ok := first("OTEL_RESOURCE_ATTRIBUTES"); ok {
		kv := map[string]string{}
		if err := parseHeaders(v, kv); err != nil {
			return s, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, n, err)
		}
		for k, v := range kv {
			s.envResource = append(s.envResource, attribute.String(k, v))
		}
	}

	if s.levels, err = resolveLevels(o, first); err != nil {
		return s, err
	}

	if usesOTLP(o, s) {
		if s.otlp, err = resolveOTLP(o, first); err != nil {
			return s, err
		}
	}
	if s.batch, err = resolveBatch(o, first); err != nil {
		return s, err
	}
	if err = validateDelivery(o); err != nil {
		return s, err
	}
	if s.limits, err = resolveLimits(o, first); err != nil {
		return s, err
	}
	if s.fallback, err = resolveFallbackFormat(o, first); err != nil {
		return s, err
	}
	if s.spool, err = resolveSpool(o, first); err != nil {
		return s, err
	}
	return s, nil
}

// Fallback formats, as in RESILOG_FALLBACK_FORMAT.
const (
	// FallbackFormatJSON is the readable JSON lines of exporter.JSONLines (default).
	FallbackFormatJSON = "json"
	// FallbackFormatOTLPJSON is OTLP/JSON lines (exporter.OTLPJSONLines): every field
	// kept, for `resilog replay`.
	FallbackFormatOTLPJSON = "otlp-json"
)

// resolveFallbackFormat picks the default fallback's format: WithFallbackFormat, then
// RESILOG_FALLBACK_FORMAT, then JSON lines.
func resolveFallbackFormat(o *options, first func(...string) (string, string, bool)) (string, error) {
	f := FallbackFormatJSON
	if o.fallbackFormat != nil {
		f = *o.fallbackFormat
	} else if o.fallback != nil {
		return f, nil // WithFallback's exporter replaces the default fallback: the variable is not read
	} else if _, v, ok := first("RESILOG_FALLBACK_FORMAT"); ok {
		f = strings.ToLower(v)
	}
	if f != FallbackFormatJSON && f != FallbackFormatOTLPJSON {
		return f, fmt.Errorf("%w: fallback format %s (want %q or %q)", ErrInvalidConfig, shown(f), FallbackFormatJSON, FallbackFormatOTLPJSON)
	}
	return f, nil
}

// customExporter names WithSDKExporter's exporter in Stats.Exporters.
const customExporter = "custom"

// resolveExporters reads the exporter list (WithExporter, else OTEL_LOGS_EXPORTER, else
// otlp). The specification allows a comma-separated list: each record goes to each
// exporter. "none" stands alone, and a name appears at most once. WithSDKExporter
// replaces the list: OTEL_LOGS_EXPORTER is then not read. With telemetry disabled the
// list is the console exporter alone, or none when it says none: disabling telemetry
// never adds an output, and the variable is read for "none" only, never refused.
func resolveExporters(o *options, disabled bool, first func(...string) (string, string, bool)) ([]string, error) {
	names, source := []string{ExporterOTLP}, "WithExporter"
	if o.exporters != nil {
		names = o.exporters
	} else if o.sdkExporter != nil && !disabled {
		// WithSDKExporter replaces the list; buildExporters does not look at it.
	} else if n, v, ok := first("OTEL_LOGS_EXPORTER"); ok {
		if disabled {
			if strings.EqualFold(v, ExporterNone) {
				return []string{}, nil
			}
			return []string{ExporterConsole}, nil
		}
		names, source = strings.Split(v, ","), n
	}
	var list []string
	for _, name := range names {
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case ExporterOTLP, ExporterConsole, ExporterNone:
		default:
			return nil, fmt.Errorf("%w: %s: exporter %s (want %q, %q or %q)", ErrInvalidConfig, source, shown(name), ExporterOTLP, ExporterConsole, ExporterNone)
		}
		if slices.Contains(list, name) {
			return nil, fmt.Errorf("%w: %s: exporter %q listed twice", ErrInvalidConfig, source, name)
		}
		list = append(list, name)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: %s: no exporter named", ErrInvalidConfig, source)
	}
	seen := map[string]bool{}
	for _, x := range o.additional {
		if x.name == "" || x.exporter == nil || seen[x.name] || slices.Contains(list, x.name) || x.name == customExporter && o.sdkExporter != nil {
			return nil, fmt.Errorf("%w: WithAdditionalExporter: each needs an exporter and a name of its own, got %s", ErrInvalidConfig, shown(x.name))
		}
		seen[x.name] = true
	}
	if slices.Contains(list, ExporterNone) {
		if len(list) > 1 {
			return nil, fmt.Errorf("%w: %s: exporter %q cannot be listed with others", ErrInvalidConfig, source, ExporterNone)
		}
		return []string{}, nil
	}
	if disabled {
		// Telemetry off, the service's own logs on: to stdout, never over OTLP (nor to
		// WithSDKExporter's or WithAdditionalExporter's exporters, see buildExporters).
		return []string{ExporterConsole}, nil
	}
	return list, nil
}

// resolveDisabled reads WithDisabled, else OTEL_SDK_DISABLED as the specification reads
// a boolean variable: true only for "true" in any case; any other value is false, and a
// value other than "false" gets a warning on stderr (not an error: the variable is a
// kill switch, and a typo in it must not stop the service).
func resolveDisabled(o *options, first func(...string) (string, string, bool)) bool {
	if o.disabled != nil {
		return *o.disabled
	}
	n, v, ok := first("OTEL_SDK_DISABLED")
	switch {
	case !ok || strings.EqualFold(v, "false"):
		return false
	case strings.EqualFold(v, "true"):
		return true
	}
	accounting.Stderr().Print(fmt.Sprintf("resilog: %s=%s is neither true nor false: read as false (telemetry on)", n, shown(v)))
	return false
}

// optionServiceName reports whether an option other than WithServiceName sets
// service.name: WithResourceAttributes, or the resource given to WithResource. Either beats
// OTEL_SERVICE_NAME (option > variable), as sdktrace.WithResource's resource beats it,
// so that logs and traces sharing a resource name the same service.
func optionServiceName(o *options) bool {
	for _, kv := range o.resourceAttrs {
		if kv.Key == semconv.ServiceNameKey {
			return true
		}
	}
	if o.resource != nil {
		_, ok := o.resource.Set().Value(semconv.ServiceNameKey)
		return ok
	}
	return false
}

// usesOTLP reports whether the pipeline builds the OTLP exporter, whose settings (and
// their variables, certificate files included) are read and checked only then: not with
// telemetry disabled, with WithSDKExporter, nor with a list without otlp.
func usesOTLP(o *options, s settings) bool {
	return !s.disabled && o.sdkExporter == nil && slices.Contains(s.exporters, ExporterOTLP)
}

// resolveLevels builds the levels by logger name. The spec is WithLevels', else
// RESILOG_LOG_LEVELS', else "" (INFO for every name); WithLevel, an option, beats the
// spec's default entry, whichever gave the spec (option > variable > default, as for
// every setting), and stays the default of later specs that have none.
func resolveLevels(o *options, first func(...string) (string, string, bool)) (*bridge.Levels, error) {
	spec := ""
	if o.levels != nil {
		spec = *o.levels
	} else if _, v, ok := first("RESILOG_LOG_LEVELS"); ok {
		spec = v
	}
	levels, err := bridge.ParseLevels(spec)
	if err != nil {
		if shown(spec) != strconv.Quote(spec) {
			// The parser's error quotes the spec.
			return nil, fmt.Errorf("%w: levels %s: not a level list", ErrInvalidConfig, shown(spec))
		}
		return nil, fmt.Errorf("%w: levels %s: %w", ErrInvalidConfig, shown(spec), err)
	}
	if o.level != nil {
		if v := reflect.ValueOf(o.level); v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, fmt.Errorf("%w: WithLevel: a nil %T (an unset *slog.LevelVar?)", ErrInvalidConfig, o.level)
		}
		levels.SetDefault(o.level)
	}
	return levels, nil
}

// resolveLimits applies the attribute limits under the explicit fields of
// WithAttributeLimits: the log-record variables first, then the generic ones, as the
// OpenTelemetry specification orders them; fields left zero take processor.LimitConfig's
// defaults (128 attributes, whole values).
func resolveLimits(o *options, first func(...string) (string, string, bool)) (processor.LimitConfig, error) {
	c := o.limits
	env := func(dst *int, names ...string) error {
		if *dst != 0 {
			return nil
		}
		if n, v, ok := first(names...); ok {
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				return fmt.Errorf("%w: %s=%s is not a positive integer", ErrInvalidConfig, n, shown(v))
			}
			*dst = i
		}
		return nil
	}
	return c, errors.Join(
		env(&c.AttributeCount, "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"),
		env(&c.AttributeValueLength, "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
	)
}

// resolveBatch applies OTEL_BLRP_* under the explicit fields of WithBatch; fields left
// zero take processor.BatchConfig's defaults.
func resolveBatch(o *options, first func(...string) (string, string, bool)) (processor.BatchConfig, error) {
	c := o.batch
	envInt := func(dst *int, name string) error {
		if *dst != 0 {
			return nil
		}
		if n, v, ok := first(name); ok {
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				return fmt.Errorf("%w: %s=%s is not a positive integer", ErrInvalidConfig, n, shown(v))
			}
			*dst = i
		}
		return nil
	}
	envMillis := func(dst *time.Duration, name string) error {
		if *dst != 0 {
			return nil
		}
		if n, v, ok := first(name); ok {
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				return fmt.Errorf("%w: %s=%s is not a positive number of milliseconds", ErrInvalidConfig, n, shown(v))
			}
			*dst = time.Duration(i) * time.Millisecond
		}
		return nil
	}
	if err := errors.Join(
		envInt(&c.MaxQueueRecords, "OTEL_BLRP_MAX_QUEUE_SIZE"),
		envInt(&c.MaxBatch, "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"),
		envMillis(&c.Interval, "OTEL_BLRP_SCHEDULE_DELAY"),
		envMillis(&c.ExportTimeout, "OTEL_BLRP_EXPORT_TIMEOUT"),
	); err != nil {
		return c, err
	}
	if o.overflow != nil {
		c.Overflow = *o.overflow
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// validateDelivery checks the options of the delivery core that no variable sets: retries,
// breaker and fallback buffer (WithFailover), and sampling (WithSampling).
func validateDelivery(o *options) error {
	if err := errors.Join(o.failover.Validate(), o.sampling.Validate()); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

func resolveOTLP(o *options, first func(...string) (string, string, bool)) (exporter.OTLPConfig, error) {
	var c exporter.OTLPConfig

	// Fields left zero take exporter.OTLPConfig's defaults, written there; the values
	// each field accepts are its Validate's, checked here field by field so that an
	// error names the option or variable that set the bad one.
	from := "WithProtocol"
	if o.protocol != nil {
		c.Protocol = *o.protocol
	} else if n, v, ok := first("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"); ok {
		c.Protocol, from = v, n
	}
	if err := (exporter.OTLPConfig{Protocol: c.Protocol}).Validate(); err != nil {
		return c, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, from, err)
	}
	grpc := c.Protocol == exporter.ProtocolGRPC

	// Endpoint: a signal-specific URL is used as is; a base URL gets /v1/logs for HTTP.
	var raw, source string
	var isBase bool
	switch {
	case o.logsEndpoint != nil:
		raw, source = *o.logsEndpoint, "WithLogsEndpoint"
	case o.endpoint != nil:
		raw, source, isBase = *o.endpoint, "WithEndpoint", true
	default:
		if n, v, ok := first("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"); ok {
			raw, source = v, n
		} else if n, v, ok := first("OTEL_EXPORTER_OTLP_ENDPOINT"); ok {
			raw, source, isBase = v, n, true
		}
	}
	insecure := false
	if o.endpoint == nil && o.logsEndpoint == nil {
		if n, v, ok := first("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("%w: %s=%s is not a boolean", ErrInvalidConfig, n, shown(v))
			}
			insecure = b
		}
	}
	if raw != "" {
		// gRPC endpoints may be given as host:port; the insecure flag then picks the scheme.
		// Anything else without "://" is a mistake ("https//user:pw@host" lost its colon),
		// refused before a scheme is prepended, which would hide it as a path.
		if grpc && !strings.Contains(raw, "://") && !bareHostPort(raw) {
			return c, fmt.Errorf("%w: %s: a gRPC endpoint without a scheme must be host:port (no spaces, quotes, path or credentials): write it as https://host:port (http:// for plaintext)", ErrInvalidConfig, source)
		}
		if grpc && !strings.Contains(raw, "://") {
			if insecure {
				raw = "http://" + raw
			} else {
				raw = "https://" + raw
			}
		}
		if err := exporter.ValidateEndpoint(raw); err != nil {
			return c, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, source, err)
		}
		if isBase && !grpc {
			u, _ := url.Parse(raw)
			if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/v1/logs") {
				return c, fmt.Errorf("%w: %s is a base URL and ends in /v1/logs, which is appended to it: remove /v1/logs, or set the complete URL with OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (WithLogsEndpoint)", ErrInvalidConfig, source)
			}
			u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/logs"
			raw = u.String()
		}
		c.Endpoint = raw
	}

	// A name or value that HTTP cannot carry would fail every export: the headers are
	// checked by OTLPConfig.Validate, here so that the error names where they came from.
	if o.headers != nil {
		if err := (exporter.OTLPConfig{Headers: o.headers}).Validate(); err != nil {
			return c, fmt.Errorf("%w: WithHeaders: %w", ErrInvalidConfig, err)
		}
		c.Headers = o.headers
	} else {
		c.Headers = map[string]string{}
		// The generic variable first, so that the logs-specific one wins per key.
		for _, n := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"} {
			if _, v, ok := first(n); ok {
				if err := parseHeaders(v, c.Headers); err != nil {
					return c, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, n, err)
				}
				if err := (exporter.OTLPConfig{Headers: c.Headers}).Validate(); err != nil {
					return c, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, n, err)
				}
			}
		}
	}

	// A zero Timeout is exporter.OTLPConfig's default (10s), written there.
	if o.timeout != nil {
		c.Timeout = *o.timeout
		if c.Timeout <= 0 {
			return c, fmt.Errorf("%w: OTLP timeout must be positive, got %v", ErrInvalidConfig, c.Timeout)
		}
	} else if n, v, ok := first("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"); ok {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			return c, fmt.Errorf("%w: %s=%s is not a positive number of milliseconds", ErrInvalidConfig, n, shown(v))
		}
		c.Timeout = time.Duration(ms) * time.Millisecond
	}

	from = "WithCompression"
	if o.compression != nil {
		c.Compression = *o.compression
	} else if n, v, ok := first("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"); ok {
		c.Compression, from = strings.ToLower(v), n
	}
	if err := (exporter.OTLPConfig{Compression: c.Compression}).Validate(); err != nil {
		return c, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, from, err)
	}
	resolveOTLPTLS(o, first, &c)
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// resolveOTLPTLS sets c's TLS settings: WithTLSConfig, WithHTTPClient (for OTLP/HTTP:
// its Transport carries them) and WithGRPCDialOptions as given, and
// otherwise the certificate files named by OTEL_EXPORTER_OTLP_{LOGS_,}CERTIFICATE,
// _CLIENT_CERTIFICATE and _CLIENT_KEY, the logs-specific variable first. The files are
// read by c.Validate.
func resolveOTLPTLS(o *options, first func(...string) (string, string, bool), c *exporter.OTLPConfig) {
	c.TLS, c.HTTPClient, c.DialOptions = o.tlsConfig, o.httpClient, o.dialOptions
	if c.TLS != nil || c.HTTPClient != nil && c.Protocol != exporter.ProtocolGRPC {
		return
	}
	if c.Protocol == exporter.ProtocolGRPC && hasTransportCredentials(c.DialOptions) {
		return // grpc.WithTransportCredentials replaces the TLS settings, the variables too
	}
	_, c.CertificateFile, _ = first("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE")
	_, c.ClientCertificateFile, _ = first("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE")
	_, c.ClientKeyFile, _ = first("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY")
}

// hasTransportCredentials reports whether opts give the connection its transport
// credentials (grpc.WithTransportCredentials, grpc.WithCredentialsBundle). A DialOption
// cannot be inspected, so it asks grpc: NewClient refuses options without transport
// security, and connects to nothing until used (this one never is).
func hasTransportCredentials(opts []grpc.DialOption) bool {
	if len(opts) == 0 {
		return false
	}
	cc, err := grpc.NewClient("passthrough:///resilog-credentials-check", opts...)
	if err != nil {
		return false
	}
	_ = cc.Close()
	return true
}

// parseHeaders parses the W3C-baggage-like "k1=v1,k2=v2" form of OTEL_EXPORTER_OTLP_HEADERS
// and OTEL_RESOURCE_ATTRIBUTES, percent-decoding keys and values, into dst. Its errors name
// the entry by position and never quote it: headers carry credentials, and a malformed
// entry ("Authorization: Bearer …") is most often one.
func parseHeaders(s string, dst map[string]string) error {
	for i, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("entry %d has no '='", i+1)
		}
		key, err := url.PathUnescape(strings.TrimSpace(k))
		if err != nil || !validHeaderName(key) {
			return fmt.Errorf("entry %d: invalid name", i+1)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil || !httpguts.ValidHeaderFieldValue(val) { // no control character but tab
			return fmt.Errorf("entry %d: invalid value", i+1)
		}
		dst[key] = val
	}
	return nil
}

// bareHostPort reports whether raw is a plain host or host:port, the form a gRPC endpoint
// may take without a scheme.
func bareHostPort(raw string) bool {
	return raw != "" && !strings.ContainsAny(raw, "/@?#\"' \t\r\n")
}

// validHeaderName reports whether k can be sent as a header name (or resource key): not
// empty, no space, line break, control character or colon.
func validHeaderName(k string) bool {
	return k != "" && strings.IndexFunc(k, func(r rune) bool { return r <= ' ' || r == ':' || r == 0x7f }) < 0
}

// shown quotes a configuration value for an error message when it looks like the word or
// number the variable expects, and the redaction engine finds nothing in it: a value set in
// the wrong variable by mistake may be a credential ("Authorization: Bearer …"). Variables
// meant to carry credentials (endpoints, headers, resource attributes) are never quoted.
func shown(v string) string {
	plain := len(v) <= 64 && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/+-,=", r))
	}) < 0
	if plain {
		if r, err := redact.New(redact.Config{}); err == nil && r.String(v) == v {
			return strconv.Quote(v)
		}
	}
	return "(value not shown: it may hold a credential)"
}

func init() {
	settingenv.Ignore = withLookupEnv(func(string) (string, bool) { return "", false })
}
