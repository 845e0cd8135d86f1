package resilog

import (
	"context"
	"errors"
	"testing"
	"time"

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
	want := exporter.OTLPConfig{Protocol: "http/protobuf", Timeout: 10 * time.Second, Compression: "none", Headers: map[string]string{}}
	if s.otlp.Protocol != want.Protocol || s.otlp.Timeout != want.Timeout || s.otlp.Compression != want.Compression || s.otlp.Endpoint != "" || len(s.otlp.Headers) != 0 {
		t.Errorf("otlp = %+v, want %+v", s.otlp, want)
	}
	if s.exporter != ExporterOTLP || s.disabled {
		t.Errorf("exporter=%q disabled=%v", s.exporter, s.disabled)
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
		"OTEL_LOGS_EXPORTER":                  "console",
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
		if s.otlp.Timeout != 2500*time.Millisecond || s.otlp.Compression != "gzip" || s.exporter != "console" || s.serviceName != "from-env" {
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
		if s.otlp.Timeout != time.Second || s.otlp.Compression != "none" || s.exporter != "otlp" || s.serviceName != "opt" {
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
		{"unknown protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, nil},
		{"unknown protocol option", nil, []Option{WithProtocol("udp")}},
		{"unknown exporter", map[string]string{"OTEL_LOGS_EXPORTER": "zipkin"}, nil},
		{"two exporters", map[string]string{"OTEL_LOGS_EXPORTER": "otlp,console"}, nil},
		{"bad headers", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, nil},
		{"header with newline", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "a=b%0D%0Ac"}, nil},
		{"bad timeout", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, nil},
		{"zero timeout option", nil, []Option{WithTimeout(0)}},
		{"bad compression", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, nil},
		{"bad disabled", map[string]string{"OTEL_SDK_DISABLED": "maybe"}, nil},
		{"bad insecure", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "yes please"}, nil},
		{"bad levels", map[string]string{"RESILOG_LOG_LEVELS": "info,github.com/x=loud"}, nil},
		{"bad console format", map[string]string{"RESILOG_CONSOLE_FORMAT": "xml"}, nil},
		{"stalled bound above the queue bound", nil, []Option{WithBatch(processor.BatchConfig{MaxQueueBytes: 1 << 20, StalledQueueBytes: 2 << 20})}},
		{"negative stalled bound", nil, []Option{WithBatch(processor.BatchConfig{StalledQueueBytes: -1})}},
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
