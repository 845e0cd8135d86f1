package resilog

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/grpc"

	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/redact"
)

// Option configures [New]. An option given to New always beats the matching OTEL_*
// environment variable, which beats the documented default (README: Configuration).
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// options holds what the caller set explicitly; nil or zero means "not set".
type options struct {
	serviceName    *string
	resourceAttrs  []attribute.KeyValue
	resource       *resource.Resource
	exporters      []string
	protocol       *string
	endpoint       *string
	logsEndpoint   *string
	headers        map[string]string
	timeout        *time.Duration
	compression    *string
	tlsConfig      *tls.Config
	httpClient     *http.Client
	dialOptions    []grpc.DialOption
	disabled       *bool
	global         bool
	level          slog.Leveler
	levels         *string
	consoleFormat  *string
	source         bool
	errorStack     bool
	sdkExporter    sdklog.Exporter
	fallback       sdklog.Exporter
	fallbackFormat *string
	additional     []namedExporter
	batch          processor.BatchConfig
	limits         processor.LimitConfig
	overflow       *processor.Overflow
	failover       processor.FailoverConfig
	sampling       processor.Sampling
	meterProvider  metric.MeterProvider
	redaction      redact.Config
	correlation    processor.CorrelateConfig
	noRedaction    bool
	lookupEnv      func(string) (string, bool)
	spoolDir       *string
	spoolSync      *string
	spoolMaxBytes  *int64

	// ownProvider is set by New, not by an Option: the records come from New's own
	// LoggerProvider, which has no attribute limits of the SDK's.
	ownProvider bool
}

func ptr[T any](v T) *T { return &v }

// WithServiceName sets the service.name resource attribute (env: OTEL_SERVICE_NAME).
func WithServiceName(name string) Option {
	return optionFunc(func(o *options) { o.serviceName = ptr(name) })
}

// WithResourceAttributes adds resource attributes; they override OTEL_RESOURCE_ATTRIBUTES
// entries with the same key. Like record attributes, resource attributes are redacted
// (unless WithoutRedaction).
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(o *options) { o.resourceAttrs = append(o.resourceAttrs, attrs...) })
}

// WithResource uses res as the base Resource instead of detecting one, so that logs share
// the Resource of an existing TracerProvider. Its attributes beat OTEL_RESOURCE_ATTRIBUTES',
// which only fill in keys res lacks; WithServiceName and WithResourceAttributes still
// apply on top of it.
func WithResource(res *resource.Resource) Option {
	return optionFunc(func(o *options) { o.resource = res })
}

// WithExporter selects the exporters: "otlp" (default), "console", both, or "none"
// (env: OTEL_LOGS_EXPORTER, a comma-separated list such as "otlp,console"). Each record
// goes to each exporter, through a queue, retries and a fallback of its own, and is
// counted per exporter in Stats.Exporters.
func WithExporter(names ...string) Option {
	return optionFunc(func(o *options) { o.exporters = append([]string{}, names...) })
}

// WithAdditionalExporter sends every record to e as well, besides the exporters of
// WithExporter or OTEL_LOGS_EXPORTER (or WithSDKExporter): a second sink, such as a
// file or a vendor's exporter. e sees the records redacted, as every exporter does, after
// correlation and attribute limits, through a queue, retries, breaker and fallback of its
// own (WithFallback's exporter, or JSON lines on stdout); its accounting is the entry
// named name in Stats.Exporters. Names must differ from each other and from the list's.
// The pipeline shuts e down.
func WithAdditionalExporter(name string, e sdklog.Exporter) Option {
	return optionFunc(func(o *options) { o.additional = append(o.additional, namedExporter{name: name, exporter: e}) })
}

type namedExporter struct {
	name     string
	exporter sdklog.Exporter
}

// WithProtocol selects the OTLP protocol: "http/protobuf" (default), "http/json" or "grpc"
// (env: OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL).
func WithProtocol(protocol string) Option {
	return optionFunc(func(o *options) { o.protocol = ptr(protocol) })
}

// WithEndpoint sets the OTLP base URL, e.g. "http://127.0.0.1:4318"; for HTTP "/v1/logs" is
// appended (env: OTEL_EXPORTER_OTLP_ENDPOINT).
func WithEndpoint(baseURL string) Option {
	return optionFunc(func(o *options) { o.endpoint = ptr(baseURL) })
}

// WithLogsEndpoint sets the complete OTLP logs URL, used as is
// (env: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).
func WithLogsEndpoint(url string) Option {
	return optionFunc(func(o *options) { o.logsEndpoint = ptr(url) })
}

// WithHeaders sets headers sent with every export; they replace the headers from
// OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_LOGS_HEADERS.
func WithHeaders(headers map[string]string) Option {
	return optionFunc(func(o *options) {
		o.headers = make(map[string]string, len(headers))
		for k, v := range headers {
			o.headers[k] = v
		}
	})
}

// WithTimeout bounds one export (env: OTEL_EXPORTER_OTLP_LOGS_TIMEOUT,
// OTEL_EXPORTER_OTLP_TIMEOUT in milliseconds; default 10s).
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.timeout = ptr(d) })
}

// WithCompression selects "gzip", "zstd" or "none" (default) for OTLP payloads
// (env: OTEL_EXPORTER_OTLP_LOGS_COMPRESSION, OTEL_EXPORTER_OTLP_COMPRESSION).
func WithCompression(c string) Option {
	return optionFunc(func(o *options) { o.compression = ptr(c) })
}

// WithTLSConfig sets the TLS configuration for an https OTLP endpoint: the roots that
// verify the collector, and a client certificate for mTLS. It replaces the certificate
// files of OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and
// OTEL_EXPORTER_OTLP_CLIENT_KEY (and their _LOGS_ forms); cfg is cloned when New runs.
// With an http:// endpoint (the default one included) New returns a configuration error
// rather than send in cleartext.
func WithTLSConfig(cfg *tls.Config) Option {
	return optionFunc(func(o *options) { o.tlsConfig = cfg })
}

// WithHTTPClient sends the OTLP/HTTP exports (http/protobuf, http/json) with client, whose Transport then
// carries the TLS settings (WithTLSConfig and the certificate variables must not also be
// set). The pipeline uses a copy that never follows a redirect. Ignored for gRPC.
func WithHTTPClient(client *http.Client) Option {
	return optionFunc(func(o *options) { o.httpClient = client })
}

// WithGRPCDialOptions adds options to the gRPC connection, after resilog's own, so they
// win over them (a grpc.WithTransportCredentials replaces the TLS settings). Ignored
// for OTLP/HTTP.
func WithGRPCDialOptions(opts ...grpc.DialOption) Option {
	return optionFunc(func(o *options) { o.dialOptions = append(o.dialOptions, opts...) })
}

// WithDisabled, when true, turns telemetry off but not the service's logs: nothing is
// exported over OTLP, nor to WithSDKExporter's or WithAdditionalExporter's exporters, and
// records go to stdout through the console exporter alone (its format set by
// WithConsoleFormat), redacted as ever, with the fallback on stderr unless WithFallback
// says otherwise (env: OTEL_SDK_DISABLED). The same holds for NewProcessor.
func WithDisabled(disabled bool) Option {
	return optionFunc(func(o *options) { o.disabled = ptr(disabled) })
}

// WithGlobal makes New install the pipeline as the process-wide default, so that it
// captures everything the process logs: slog.SetDefault with a logger named by the service
// name (which also routes the standard log package into the pipeline) and
// otel.SetLoggerProvider. The OpenTelemetry SDK's own error handler is pointed at stderr
// so that an export failure can never log itself into the pipeline that is failing. Off
// by default: a library never changes globals unless asked. The provider set in otel is
// one for the whole process, pointed at the pipeline installed last: after a second New
// with WithGlobal (a reload), every logger moves to it, those a library obtained from
// otel before the first New included.
func WithGlobal() Option {
	return optionFunc(func(o *options) { o.global = true })
}

// WithLevel sets the default level of the pipeline's levels: the minimum level of the
// loggers whose name no prefix of WithLevels or RESILOG_LOG_LEVELS matches (default
// slog.LevelInfo). It beats the default entry of those specs (an option beats a variable)
// and keeps their prefix entries. A *slog.LevelVar changes it at run time.
func WithLevel(l slog.Leveler) Option {
	return optionFunc(func(o *options) { o.level = l })
}

// WithLevels sets minimum levels by logger-name prefix, the longest match winning:
// "info,github.com/acme/shop=debug,github.com/acme/shop/db=warn" (env: RESILOG_LOG_LEVELS).
// Change them at run time with Pipeline.Levels().Set, or mount Pipeline.Levels() as an
// http.Handler. They gate every logger of the pipeline by its name, those a library
// creates on Pipeline.LoggerProvider or on the global provider (WithGlobal) included.
func WithLevels(spec string) Option {
	return optionFunc(func(o *options) { o.levels = &spec })
}

// WithSource adds the call site to every record: code.file.path, code.line.number and
// code.function.name. Off by default: it costs a stack lookup per record.
func WithSource() Option {
	return optionFunc(func(o *options) { o.source = true })
}

// WithErrorStack captures the stack at the log call as exception.stacktrace for records at
// ERROR and above whose error carries no stack of its own.
func WithErrorStack() Option {
	return optionFunc(func(o *options) { o.errorStack = true })
}

// WithConsoleFormat picks the console exporter's format: "json" (default: JSON lines, for
// containers) or "text" (for a terminal) (env: RESILOG_CONSOLE_FORMAT).
func WithConsoleFormat(format string) Option {
	return optionFunc(func(o *options) { o.consoleFormat = &format })
}

// WithSDKExporter replaces the exporters New would build from configuration with e: for
// tests, benchmarks, and exporters resilog does not ship. The processors stay as they
// are; its accounting is the entry named "custom" in Stats.Exporters.
func WithSDKExporter(e sdklog.Exporter) Option {
	return optionFunc(func(o *options) { o.sdkExporter = e })
}

// WithFallback sets the exporter that takes records the collector cannot: by default JSON
// lines on stdout (exporter.NewJSONLines(os.Stdout)), or on stderr when the primary is
// the console exporter.
func WithFallback(e sdklog.Exporter) Option {
	return optionFunc(func(o *options) { o.fallback = e })
}

// WithFallbackFormat picks the format of the default fallback (stdout, or stderr when
// the primary is the console exporter): "json" (default: readable JSON lines) or
// "otlp-json" (OTLP/JSON lines that keep every field, which `resilog replay FILE` exports
// later) (env: RESILOG_FALLBACK_FORMAT). It does not apply to an exporter given to
// WithFallback.
func WithFallbackFormat(format string) Option {
	return optionFunc(func(o *options) { o.fallbackFormat = &format })
}

// WithBatch tunes the batching processor. Non-zero fields of c override the OTEL_BLRP_*
// variables and the defaults documented on processor.BatchConfig.
func WithBatch(c processor.BatchConfig) Option {
	return optionFunc(func(o *options) { o.batch = c })
}

// WithAttributeLimits sets how many attributes a record keeps and how long their string
// values may be; non-zero fields of c override OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT and
// OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT, which override OTEL_ATTRIBUTE_COUNT_LIMIT and
// OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT (default: 128 attributes, whole values). The limits
// apply after redaction, so that a cut value never hides a secret from it, and exception
// and correlation attributes are kept first (see processor.Limit); what they remove is
// counted in Stats. A variable must hold a positive integer: 0, which the specification
// allows for a count, is refused rather than dropping every attribute.
func WithAttributeLimits(c processor.LimitConfig) Option {
	return optionFunc(func(o *options) { o.limits = c })
}

// WithSampling thins out repeated records (off by default): per message and severity, the
// first N in each interval, then one in M; the rest are dropped with reason sampled.
// Records at ERROR and above are never sampled. It puts a processor.Sample in front of
// each exporter's batching processor.
func WithSampling(s processor.Sampling) Option {
	return optionFunc(func(o *options) { o.sampling = s })
}

// WithOverflow sets what happens when the queue is full (default
// processor.OverflowFallback: the record goes to the fallback; the log call never waits).
func WithOverflow(policy processor.Overflow) Option {
	return optionFunc(func(o *options) { o.overflow = &policy })
}

// WithFailover tunes retries, the circuit breaker and the fallback's buffer; zero fields
// keep the defaults documented on processor.FailoverConfig.
func WithFailover(c processor.FailoverConfig) Option {
	return optionFunc(func(o *options) { o.failover = c })
}

// WithMeterProvider publishes the pipeline's accounting ([Pipeline.Stats]) as OpenTelemetry
// metrics named resilog.records.* on mp.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) { o.meterProvider = mp })
}

// WithRedaction configures redaction, which is on by default with every rule group (see
// redact.Config and the README's table of what each rule catches).
func WithRedaction(c redact.Config) Option {
	return optionFunc(func(o *options) { o.redaction, o.noRedaction = c, false })
}

// WithCorrelation configures what processor.Correlate adds besides the request ID and
// the bound attributes, which it always adds: baggage members, Datadog fields.
func WithCorrelation(c processor.CorrelateConfig) Option {
	return optionFunc(func(o *options) { o.correlation = c })
}

// WithoutRedaction turns redaction off: records reach the exporters as they were logged.
func WithoutRedaction() Option {
	return optionFunc(func(o *options) { o.noRedaction = true })
}

// withLookupEnv replaces os.LookupEnv; tests use it to resolve settings without touching
// the process environment.
func withLookupEnv(f func(string) (string, bool)) Option {
	return optionFunc(func(o *options) { o.lookupEnv = f })
}
