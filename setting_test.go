package resilog

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
)

func envOf(kv map[string]string) Option {
	return withLookupEnv(func(k string) (string, bool) { v, ok := kv[k]; return v, ok })
}

func resolveWith(t *testing.T, env map[string]string, opts ...Option) (settings, error) {
	t.Helper()
	var o options
	for _, opt := range append([]Option{envOf(env)}, opts...) {
		opt.apply(&o)
	}
	return resolve(&o)
}

func TestResolveDefaults(t *testing.T) {
	s, err := resolveWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Zero fields take exporter.OTLPConfig's defaults, written there (http/protobuf, 10s, none).
	want := exporter.OTLPConfig{Protocol: "", Timeout: 0, Compression: "", Headers: map[string]string{}}
	if s.otlp.Protocol != want.Protocol || s.otlp.Timeout != want.Timeout || s.otlp.Compression != want.Compression || s.otlp.Endpoint != "" || len(s.otlp.Headers) != 0 {
		t.Errorf("otlp = %+v, want %+v", s.otlp, want)
	}
	if !slices.Equal(s.exporters, []string{ExporterOTLP}) || s.disabled {
		t.Errorf("exporters=%q disabled=%v", s.exporters, s.disabled)
	}
}

func TestResolvePrecedence(t *testing.T) {
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":         "http://env-base:4318/prefix/",
		"OTEL_EXPORTER_OTLP_PROTOCOL":         "http/protobuf",
		"OTEL_EXPORTER_OTLP_HEADERS":          "a=1,b=2",
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS":     "b=3,c=%20x",
		"OTEL_EXPORTER_OTLP_TIMEOUT":          "2500",
		"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "GZIP",
		"OTEL_LOGS_EXPORTER":                  "otlp,console",
		"OTEL_SERVICE_NAME":                   "from-env",
	}
	t.Run("env over default", func(t *testing.T) {
		s, err := resolveWith(t, env)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.otlp.Endpoint; got != "http://env-base:4318/prefix/v1/logs" {
			t.Errorf("endpoint = %q", got)
		}
		if s.otlp.Headers["a"] != "1" || s.otlp.Headers["b"] != "3" || s.otlp.Headers["c"] != " x" {
			t.Errorf("headers = %v (logs-specific must win per key, values percent-decoded)", s.otlp.Headers)
		}
		if s.otlp.Timeout != 2500*time.Millisecond || s.otlp.Compression != "gzip" || !slices.Equal(s.exporters, []string{"otlp", "console"}) || s.serviceName != "from-env" {
			t.Errorf("settings = %+v", s)
		}
	})
	t.Run("logs endpoint over base", func(t *testing.T) {
		e := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://b:2/custom"}
		s, err := resolveWith(t, e)
		if err != nil {
			t.Fatal(err)
		}
		if s.otlp.Endpoint != "http://b:2/custom" {
			t.Errorf("endpoint = %q, want the logs endpoint as is", s.otlp.Endpoint)
		}
	})
	t.Run("options over env", func(t *testing.T) {
		s, err := resolveWith(t, env,
			WithEndpoint("https://opt:4318"), WithHeaders(map[string]string{"z": "9"}),
			WithTimeout(time.Second), WithCompression("none"), WithExporter("otlp"), WithServiceName("opt"),
			WithProtocol("grpc"))
		if err != nil {
			t.Fatal(err)
		}
		if s.otlp.Endpoint != "https://opt:4318" || s.otlp.Protocol != "grpc" {
			t.Errorf("endpoint=%q protocol=%q (gRPC takes the base URL as is)", s.otlp.Endpoint, s.otlp.Protocol)
		}
		if len(s.otlp.Headers) != 1 || s.otlp.Headers["z"] != "9" {
			t.Errorf("headers = %v, want only the option's", s.otlp.Headers)
		}
		if s.otlp.Timeout != time.Second || s.otlp.Compression != "none" || !slices.Equal(s.exporters, []string{"otlp"}) || s.serviceName != "opt" {
			t.Errorf("settings = %+v", s)
		}
	})
	t.Run("grpc host:port with insecure", func(t *testing.T) {
		s, err := resolveWith(t, map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true",
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.otlp.Endpoint != "http://collector:4317" {
			t.Errorf("endpoint = %q", s.otlp.Endpoint)
		}
	})
	t.Run("sdk disabled", func(t *testing.T) {
		s, err := resolveWith(t, map[string]string{"OTEL_SDK_DISABLED": "TRUE"})
		if err != nil || !s.disabled {
			t.Fatalf("disabled=%v err=%v", s.disabled, err)
		}
		s, err = resolveWith(t, map[string]string{"OTEL_SDK_DISABLED": "true"}, WithDisabled(false))
		if err != nil || s.disabled {
			t.Fatalf("option must beat env: disabled=%v err=%v", s.disabled, err)
		}
	})
}

func TestResolveErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		opts []Option
	}{
		{"endpoint without scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"}, nil},
		{"endpoint bad scheme", nil, []Option{WithEndpoint("ftp://x:1")}},
		{"endpoint unparsable", nil, []Option{WithLogsEndpoint("http://[::1")}},
		{"endpoint no host", nil, []Option{WithLogsEndpoint("http:///v1/logs")}},
		{"unknown protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/xml"}, nil},
		{"unknown protocol option", nil, []Option{WithProtocol("udp")}},
		{"unknown exporter", map[string]string{"OTEL_LOGS_EXPORTER": "zipkin"}, nil},
		{"exporter listed twice", map[string]string{"OTEL_LOGS_EXPORTER": "otlp,console,otlp"}, nil},
		{"none with others", map[string]string{"OTEL_LOGS_EXPORTER": "otlp,none"}, nil},
		{"unknown exporter in a list", nil, []Option{WithExporter("console", "zipkin")}},
		{"no exporter", nil, []Option{WithExporter()}},
		{"additional exporter without a name", nil, []Option{WithAdditionalExporter("", exporter.NewJSONLines(io.Discard))}},
		{"additional exporter named like the list's", nil, []Option{WithAdditionalExporter("otlp", exporter.NewJSONLines(io.Discard))}},
		{"additional exporter nil", nil, []Option{WithAdditionalExporter("file", nil)}},
		{"additional exporters named alike", nil, []Option{WithExporter("none"), WithAdditionalExporter("file", exporter.NewJSONLines(io.Discard)), WithAdditionalExporter("file", exporter.NewJSONLines(io.Discard))}},
		{"bad headers", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, nil},
		{"header with newline", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=b%0D%0Ac"}, nil},
		{"bad timeout", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, nil},
		{"zero timeout option", nil, []Option{WithTimeout(0)}},
		{"bad compression", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "brotli"}, nil},
		{"bad insecure", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "yes please"}, nil},
		{"bad levels", map[string]string{"RESILOG_LOG_LEVELS": "info,github.com/x=loud"}, nil},
		{"bad console format", map[string]string{"RESILOG_CONSOLE_FORMAT": "xml"}, nil},
		{"bad fallback format", map[string]string{"RESILOG_FALLBACK_FORMAT": "protobuf"}, nil},
		{"bad fallback format option", nil, []Option{WithFallbackFormat("otlp")}},
		{"stalled bound above the queue bound", nil, []Option{WithBatch(processor.BatchConfig{MaxQueueBytes: 1 << 20, StalledQueueBytes: 2 << 20})}},
		{"negative stalled bound", nil, []Option{WithBatch(processor.BatchConfig{StalledQueueBytes: -1})}},
		{"batch above the largest", nil, []Option{WithBatch(processor.BatchConfig{MaxBatch: processor.MaxBatchLimit + 1})}},
		{"negative retry delay", nil, []Option{WithFailover(processor.FailoverConfig{RetryMax: -time.Second})}},
		{"first retry above the longest", nil, []Option{WithFailover(processor.FailoverConfig{RetryInitial: 5 * time.Second, RetryMax: time.Second})}},
		{"negative fallback buffer", nil, []Option{WithFailover(processor.FailoverConfig{FallbackRecords: -1})}},
		{"negative sampling", nil, []Option{WithSampling(processor.Sampling{First: 10, Thereafter: -1})}},
		{"bad count limit", map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": "many"}, nil},
		{"zero generic count limit", map[string]string{"OTEL_ATTRIBUTE_COUNT_LIMIT": "0"}, nil},
		{"negative length limit", map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": "-5"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := resolveWith(t, c.env, c.opts...)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			// New must refuse the same configuration rather than build half a pipeline.
			p, err := New(context.Background(), append([]Option{envOf(c.env)}, c.opts...)...)
			if p != nil || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, %v; want nil, ErrInvalidConfig", p, err)
			}
		})
	}
}

func TestResolveAttributeLimits(t *testing.T) {
	for _, c := range []struct {
		name          string
		env           map[string]string
		opts          []Option
		count, length int
	}{
		{"defaults", nil, nil, 0, 0}, // processor.NewLimit turns zero into 128 and no limit
		{"generic", map[string]string{"OTEL_ATTRIBUTE_COUNT_LIMIT": "10", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "100"}, nil, 10, 100},
		{"log-record over generic", map[string]string{
			"OTEL_ATTRIBUTE_COUNT_LIMIT": "10", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "100",
			"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": "20", "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": "200",
		}, nil, 20, 200},
		{"option over variables, per field", map[string]string{
			"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": "20", "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": "200",
		}, []Option{WithAttributeLimits(processor.LimitConfig{AttributeCount: 5})}, 5, 200},
		{"option: no limit", map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": "20"},
			[]Option{WithAttributeLimits(processor.LimitConfig{AttributeCount: -1, AttributeValueLength: -1})}, -1, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := resolveWith(t, c.env, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if s.limits.AttributeCount != c.count || s.limits.AttributeValueLength != c.length {
				t.Errorf("limits = %+v, want count %d, length %d", s.limits, c.count, c.length)
			}
		})
	}
}

// TestConfigErrorsNeverQuoteCredentials plants a marker secret in every variable and option
// that can carry a credential, malformed in each way that makes New fail, and checks that
// the error names the problem without quoting the marker.
func TestConfigErrorsNeverQuoteCredentials(t *testing.T) {
	const marker = "hunter2"
	endpoints := []string{
		"ftp://bob:hunter2@collector:4318",           // wrong scheme, password
		"ftp://hunter2@collector:4318",               // wrong scheme, token as user
		"bob:hunter2@collector:4318",                 // no scheme: parses as scheme "bob"
		"hunter2:x@collector:4318",                   // likewise, the secret as scheme
		"http://bob:hunter2",                         // no '@': the password taken for a port
		"http://bob:hunter2@",                        // no host
		"http://bob:hunter2@[::1",                    // unclosed IPv6 host
		"http://bob:hunter2@collector:4318/\x7f\x00", // control characters
		"ftp://collector:4318/hunter2",               // the secret in the path
		"ftp://collector:4318/?api_key=hunter2",      // the secret in the query
	}
	headers := []string{
		"Authorization: Bearer hunter2",    // a colon instead of '='
		"Authorization=Bearer hunter2%zz",  // bad escape in the value
		"Authorization=Bearer%20x,hunter2", // a comma inside the value splits it
		"Bearer hunter2=x",                 // space in the name
		"hunter2%=x",                       // bad escape in the name
		"x-api-key=hunter2%0D%0Ainjected",  // CRLF in the value
		"=hunter2",                         // empty name
	}
	type tc struct {
		name string
		env  map[string]string
		opts []Option
	}
	var cases []tc
	for i, e := range endpoints {
		for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"} {
			cases = append(cases, tc{fmt.Sprintf("%s/%d", v, i), map[string]string{v: e}, nil})
		}
		cases = append(cases,
			tc{fmt.Sprintf("WithEndpoint/%d", i), nil, []Option{WithEndpoint(e)}},
			tc{fmt.Sprintf("WithLogsEndpoint/%d", i), nil, []Option{WithLogsEndpoint(e)}},
			tc{fmt.Sprintf("grpc/%d", i), map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": e}, nil})
	}
	for i, h := range headers {
		for _, v := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_LOGS_HEADERS", "OTEL_RESOURCE_ATTRIBUTES"} {
			cases = append(cases, tc{fmt.Sprintf("%s/%d", v, i), map[string]string{v: "ok=1," + h}, nil})
		}
	}
	// A credential put in a variable that never holds one, by mistake.
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_LOGS_EXPORTER", "OTEL_EXPORTER_OTLP_COMPRESSION",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_BLRP_MAX_QUEUE_SIZE",
		"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "RESILOG_LOG_LEVELS"} {
		cases = append(cases, tc{v + "/misplaced", map[string]string{v: "Authorization: Bearer " + marker}, nil})
	}
	failed := 0
	for _, c := range cases {
		_, err := New(context.Background(), append([]Option{envOf(c.env)}, c.opts...)...)
		switch {
		case err == nil:
			// Some endpoints are valid once gRPC adds a scheme; the others must fail.
			if !strings.HasPrefix(c.name, "grpc/") {
				t.Errorf("%s: New accepted %v", c.name, c.env)
			}
		case !errors.Is(err, ErrInvalidConfig):
			t.Errorf("%s: err = %v, want ErrInvalidConfig", c.name, err)
		case strings.Contains(err.Error(), marker):
			t.Errorf("%s: the error quotes the credential: %v", c.name, err)
		default:
			failed++
		}
	}
	if failed < len(cases)-len(endpoints) {
		t.Errorf("only %d of %d configurations were refused", failed, len(cases))
	}
}

// A header given in code with a line break would fail every export, permanently: New
// refuses it, without quoting it.
func TestWithHeadersRefusesLineBreaks(t *testing.T) {
	for _, h := range []map[string]string{
		{"Authorization": "Bearer tok3n-value\nX-Injected: 1"},
		{"Authorization": "Bearer tok3n-value\r"},
		{"X-Bad\nName": "tok3n-value"},
	} {
		_, err := New(context.Background(), WithHeaders(h))
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%q: err = %v, want ErrInvalidConfig", h, err)
			continue
		}
		if strings.Contains(err.Error(), "tok3n") {
			t.Errorf("the error quotes the header: %v", err)
		}
	}
}

// precedence is one option/variable pair: what the setting is by default, with only the
// variable set, and with the option given as well.
type precedence struct {
	option  Option
	env     map[string]string // the variable, set to a value the option contradicts
	get     func(o *options, s settings) any
	def     any // neither given
	fromEnv any // the variable alone
	fromOpt any // both: the option wins
}

// precedences lists every option/variable pair New reads, one row per pair (a setting
// with a generic and a logs-specific variable has a row for each). A default the OTLP
// exporter fills in (exporter.OTLPConfig's zero fields) is the zero value here. Add a row with each new
// pair: TestEveryVariableHasAPrecedenceRow checks that setting.go reads no variable
// missing here.
func precedences(t *testing.T) map[string]precedence {
	ca, cert, key := certificateFiles(t)
	endpoint := func(_ *options, s settings) any { return s.otlp.Endpoint }
	protocol := func(_ *options, s settings) any { return s.otlp.Protocol }
	header := func(_ *options, s settings) any { return s.otlp.Headers["a"] }
	timeout := func(_ *options, s settings) any { return s.otlp.Timeout }
	compression := func(_ *options, s settings) any { return s.otlp.Compression }
	level := func(_ *options, s settings) any { return s.levels.Level("example.com/somelib") }
	resourceAttr := func(o *options, s settings) any {
		res, err := buildResource(context.Background(), o, s, nil)
		if err != nil {
			return err
		}
		v, _ := res.Set().Value("k")
		return v.AsString()
	}
	limits := func(get func(processor.LimitConfig) int) func(*options, settings) any {
		return func(_ *options, s settings) any { return get(s.limits) }
	}
	batch := func(get func(processor.BatchConfig) any) func(*options, settings) any {
		return func(_ *options, s settings) any { return get(s.batch) }
	}
	// Where the TLS settings come from: the option's tls.Config, or the files the
	// variables name (read by Validate: they must exist).
	tlsSource := func(_ *options, s settings) any {
		if s.otlp.TLS != nil {
			return "option"
		}
		return s.otlp.CertificateFile + "|" + s.otlp.ClientCertificateFile + "|" + s.otlp.ClientKeyFile
	}
	tlsOption := WithTLSConfig(&tls.Config{ServerName: "collector"})
	// TLS settings need an https:// endpoint: with the default http:// one they are refused.
	const https = "https://collector:4318"
	clientPair := func(prefix string) map[string]string {
		return map[string]string{prefix + "CLIENT_CERTIFICATE": cert, prefix + "CLIENT_KEY": key, "OTEL_EXPORTER_OTLP_ENDPOINT": https}
	}
	rows := map[string]precedence{
		"WithTLSConfig/OTEL_EXPORTER_OTLP_CERTIFICATE": {tlsOption, map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": ca, "OTEL_EXPORTER_OTLP_ENDPOINT": https},
			tlsSource, "||", ca + "||", "option"},
		"WithTLSConfig/OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE": {tlsOption, map[string]string{"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE": ca, "OTEL_EXPORTER_OTLP_ENDPOINT": https},
			tlsSource, "||", ca + "||", "option"},
		"WithTLSConfig/OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": {tlsOption, clientPair("OTEL_EXPORTER_OTLP_"),
			tlsSource, "||", "|" + cert + "|" + key, "option"},
		"WithTLSConfig/OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE": {tlsOption, clientPair("OTEL_EXPORTER_OTLP_LOGS_"),
			tlsSource, "||", "|" + cert + "|" + key, "option"},
		"WithTLSConfig/OTEL_EXPORTER_OTLP_CLIENT_KEY": {tlsOption, clientPair("OTEL_EXPORTER_OTLP_"),
			tlsSource, "||", "|" + cert + "|" + key, "option"},
		"WithTLSConfig/OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY": {tlsOption, clientPair("OTEL_EXPORTER_OTLP_LOGS_"),
			tlsSource, "||", "|" + cert + "|" + key, "option"},
	}
	for name, row := range map[string]precedence{
		"WithDisabled/OTEL_SDK_DISABLED": {WithDisabled(false), map[string]string{"OTEL_SDK_DISABLED": "true"},
			func(_ *options, s settings) any { return s.disabled }, false, true, false},
		"WithExporter/OTEL_LOGS_EXPORTER": {WithExporter("none"), map[string]string{"OTEL_LOGS_EXPORTER": "console"},
			func(_ *options, s settings) any { return strings.Join(s.exporters, ",") }, "otlp", "console", ""},
		"WithConsoleFormat/RESILOG_CONSOLE_FORMAT": {WithConsoleFormat("json"), map[string]string{"RESILOG_CONSOLE_FORMAT": "text"},
			func(_ *options, s settings) any { return s.console }, "json", "text", "json"},
		"WithSpool/RESILOG_SPOOL_DIR": {WithSpool("/opt"), map[string]string{"RESILOG_SPOOL_DIR": "/env"},
			func(_ *options, s settings) any { return s.spool.Dir }, "", "/env", "/opt"},
		"WithSpoolSync/RESILOG_SPOOL_SYNC": {WithSpoolSync("batch"), map[string]string{"RESILOG_SPOOL_DIR": "/d", "RESILOG_SPOOL_SYNC": "250ms"},
			func(_ *options, s settings) any { return fmt.Sprint(s.spool.Sync, s.spool.SyncInterval) }, "0 0s", "0 250ms", "1 0s"},
		"WithSpoolMaxBytes/RESILOG_SPOOL_MAX_BYTES": {WithSpoolMaxBytes(1 << 20), map[string]string{"RESILOG_SPOOL_DIR": "/d", "RESILOG_SPOOL_MAX_BYTES": "2097152"},
			func(_ *options, s settings) any { return s.spool.MaxBytes }, int64(0), int64(2 << 20), int64(1 << 20)},
		"WithFallbackFormat/RESILOG_FALLBACK_FORMAT": {WithFallbackFormat(FallbackFormatJSON), map[string]string{"RESILOG_FALLBACK_FORMAT": "otlp-json"},
			func(_ *options, s settings) any { return s.fallback }, FallbackFormatJSON, FallbackFormatOTLPJSON, FallbackFormatJSON},
		"WithServiceName/OTEL_SERVICE_NAME": {WithServiceName("opt"), map[string]string{"OTEL_SERVICE_NAME": "env"},
			func(_ *options, s settings) any { return s.serviceName }, "", "env", "opt"},
		"WithResourceAttributes/OTEL_RESOURCE_ATTRIBUTES": {WithResourceAttributes(attribute.String("k", "opt")), map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "k=env"},
			resourceAttr, "", "env", "opt"},
		"WithResource/OTEL_RESOURCE_ATTRIBUTES": {WithResource(resource.NewSchemaless(attribute.String("k", "opt"))), map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "k=env"},
			resourceAttr, "", "env", "opt"},
		"WithLevels/RESILOG_LOG_LEVELS": {WithLevels("error"), map[string]string{"RESILOG_LOG_LEVELS": "debug"},
			level, slog.LevelInfo, slog.LevelDebug, slog.LevelError},
		"WithLevel/RESILOG_LOG_LEVELS": {WithLevel(slog.LevelWarn), map[string]string{"RESILOG_LOG_LEVELS": "debug"},
			level, slog.LevelInfo, slog.LevelDebug, slog.LevelWarn},
		"WithProtocol/OTEL_EXPORTER_OTLP_PROTOCOL": {WithProtocol("http/protobuf"), map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			protocol, "", "grpc", "http/protobuf"},
		"WithProtocol/OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": {WithProtocol("http/protobuf"), map[string]string{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "grpc"},
			protocol, "", "grpc", "http/protobuf"},
		"WithEndpoint/OTEL_EXPORTER_OTLP_ENDPOINT": {WithEndpoint("http://opt:4318"), map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318"},
			endpoint, "", "http://env:4318/v1/logs", "http://opt:4318/v1/logs"},
		"WithLogsEndpoint/OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": {WithLogsEndpoint("http://opt:4318/logs"), map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://env:4318/logs"},
			endpoint, "", "http://env:4318/logs", "http://opt:4318/logs"},
		"WithHeaders/OTEL_EXPORTER_OTLP_HEADERS": {WithHeaders(map[string]string{"a": "opt"}), map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=env"},
			header, "", "env", "opt"},
		"WithHeaders/OTEL_EXPORTER_OTLP_LOGS_HEADERS": {WithHeaders(map[string]string{"a": "opt"}), map[string]string{"OTEL_EXPORTER_OTLP_LOGS_HEADERS": "a=env"},
			header, "", "env", "opt"},
		"WithTimeout/OTEL_EXPORTER_OTLP_TIMEOUT": {WithTimeout(time.Second), map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "2500"},
			timeout, time.Duration(0), 2500 * time.Millisecond, time.Second},
		"WithTimeout/OTEL_EXPORTER_OTLP_LOGS_TIMEOUT": {WithTimeout(time.Second), map[string]string{"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT": "2500"},
			timeout, time.Duration(0), 2500 * time.Millisecond, time.Second},
		"WithCompression/OTEL_EXPORTER_OTLP_COMPRESSION": {WithCompression("none"), map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"},
			compression, "", "gzip", "none"},
		"WithCompression/OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": {WithCompression("none"), map[string]string{"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "gzip"},
			compression, "", "gzip", "none"},
		"WithBatch/OTEL_BLRP_MAX_QUEUE_SIZE": {WithBatch(processor.BatchConfig{MaxQueueRecords: 5000}), map[string]string{"OTEL_BLRP_MAX_QUEUE_SIZE": "3000"},
			batch(func(c processor.BatchConfig) any { return c.MaxQueueRecords }), 0, 3000, 5000},
		"WithBatch/OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": {WithBatch(processor.BatchConfig{MaxBatch: 50}), map[string]string{"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "30"},
			batch(func(c processor.BatchConfig) any { return c.MaxBatch }), 0, 30, 50},
		"WithBatch/OTEL_BLRP_SCHEDULE_DELAY": {WithBatch(processor.BatchConfig{Interval: time.Second}), map[string]string{"OTEL_BLRP_SCHEDULE_DELAY": "300"},
			batch(func(c processor.BatchConfig) any { return c.Interval }), time.Duration(0), 300 * time.Millisecond, time.Second},
		"WithBatch/OTEL_BLRP_EXPORT_TIMEOUT": {WithBatch(processor.BatchConfig{ExportTimeout: time.Second}), map[string]string{"OTEL_BLRP_EXPORT_TIMEOUT": "300"},
			batch(func(c processor.BatchConfig) any { return c.ExportTimeout }), time.Duration(0), 300 * time.Millisecond, time.Second},
		"WithAttributeLimits/OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": {WithAttributeLimits(processor.LimitConfig{AttributeCount: 5}), map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": "20"},
			limits(func(c processor.LimitConfig) int { return c.AttributeCount }), 0, 20, 5},
		"WithAttributeLimits/OTEL_ATTRIBUTE_COUNT_LIMIT": {WithAttributeLimits(processor.LimitConfig{AttributeCount: 5}), map[string]string{"OTEL_ATTRIBUTE_COUNT_LIMIT": "20"},
			limits(func(c processor.LimitConfig) int { return c.AttributeCount }), 0, 20, 5},
		"WithAttributeLimits/OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": {WithAttributeLimits(processor.LimitConfig{AttributeValueLength: 5}), map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": "20"},
			limits(func(c processor.LimitConfig) int { return c.AttributeValueLength }), 0, 20, 5},
		"WithAttributeLimits/OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": {WithAttributeLimits(processor.LimitConfig{AttributeValueLength: 5}), map[string]string{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "20"},
			limits(func(c processor.LimitConfig) int { return c.AttributeValueLength }), 0, 20, 5},
	} {
		rows[name] = row
	}
	return rows
}

// certificateFiles writes a self-signed certificate (as CA and client certificate) and its
// key, PEM-encoded, and returns their paths.
func certificateFiles(t *testing.T) (ca, cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "resilog test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, cert, key
}

// Issue 14, item 3: one precedence for every setting: an option given to New beats its
// environment variable, which beats the default.
func TestPrecedenceOptionOverVariableOverDefault(t *testing.T) {
	for name, row := range precedences(t) {
		t.Run(name, func(t *testing.T) {
			if row.def == row.fromEnv || row.fromEnv == row.fromOpt {
				t.Fatalf("the row cannot tell the sources apart: default %v, variable %v, option %v", row.def, row.fromEnv, row.fromOpt)
			}
			get := func(env map[string]string, opts ...Option) any {
				t.Helper()
				var o options
				for _, opt := range append([]Option{envOf(env)}, opts...) {
					opt.apply(&o)
				}
				s, err := resolve(&o)
				if err != nil {
					t.Fatal(err)
				}
				return row.get(&o, s)
			}
			if got := get(nil); got != row.def {
				t.Errorf("default: %v, want %v", got, row.def)
			}
			if got := get(row.env); got != row.fromEnv {
				t.Errorf("variable alone: %v, want %v", got, row.fromEnv)
			}
			if got := get(row.env, row.option); got != row.fromOpt {
				t.Errorf("option and variable: %v, want the option's %v", got, row.fromOpt)
			}
		})
	}
}

// The variables read without an option of their own.
var variablesWithoutOption = map[string]bool{
	"OTEL_EXPORTER_OTLP_INSECURE":      true, // WithEndpoint's scheme says it
	"OTEL_EXPORTER_OTLP_LOGS_INSECURE": true,
}

// Every variable the package reads (quoted in a non-test file: setting.go today) has its
// precedence row, or is listed as having no option: a new pair cannot skip
// TestPrecedenceOptionOverVariableOverDefault.
func TestEveryVariableHasAPrecedenceRow(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src []byte
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	covered := map[string]bool{}
	for name := range precedences(t) {
		_, v, _ := strings.Cut(name, "/")
		covered[v] = true
	}
	read := regexp.MustCompile(`"((?:OTEL|RESILOG)_[A-Z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(read) < 20 {
		t.Fatalf("found only %d variables read", len(read))
	}
	for _, m := range read {
		if !covered[m[1]] && !variablesWithoutOption[m[1]] {
			t.Errorf("%s has no row in precedences()", m[1])
		}
	}
}
