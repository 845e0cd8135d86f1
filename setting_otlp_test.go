package resilog

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/resilog/resilog/exporter"
)

// Issue 14 item 1: the certificate variables reach the exporter's configuration, the
// logs-specific one first, and an option in code replaces them.
func TestResolveOTLPCertificates(t *testing.T) {
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_CERTIFICATE":             "/etc/ca.pem",
		"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE":        "/etc/logs-ca.pem",
		"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE":      "/etc/client.pem",
		"OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY":         "/etc/logs-client.key",
		"OTEL_EXPORTER_OTLP_CLIENT_KEY":              "/etc/client.key",
		"OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE": "",
	}
	var c exporter.OTLPConfig
	resolveOTLPTLS(&options{}, firstOf(env), &c)
	if c.CertificateFile != "/etc/logs-ca.pem" || c.ClientCertificateFile != "/etc/client.pem" || c.ClientKeyFile != "/etc/logs-client.key" {
		t.Errorf("files = %q %q %q", c.CertificateFile, c.ClientCertificateFile, c.ClientKeyFile)
	}

	cfg := &tls.Config{ServerName: "collector"}
	client := &http.Client{}
	dial := grpc.WithUserAgent("x")
	for name, tc := range map[string]struct {
		opts  []Option
		files bool
	}{
		"WithTLSConfig":             {[]Option{WithTLSConfig(cfg)}, false},
		"WithHTTPClient":            {[]Option{WithHTTPClient(client)}, false},
		"WithHTTPClient, http/json": {[]Option{WithHTTPClient(client), WithProtocol("http/json")}, false},
		"WithHTTPClient over gRPC":  {[]Option{WithHTTPClient(client), WithProtocol("grpc")}, true},
		"WithGRPCDialOptions":       {[]Option{WithGRPCDialOptions(dial)}, true},
	} {
		var o options
		for _, opt := range append([]Option{envOf(env)}, tc.opts...) {
			opt.apply(&o)
		}
		// The files named do not exist: resolve would fail reading them, so look at what
		// it sets before Validate.
		var c exporter.OTLPConfig // Protocol "": the default, http/protobuf
		if o.protocol != nil {
			c.Protocol = *o.protocol
		}
		resolveOTLPTLS(&o, firstOf(env), &c)
		if got := c.CertificateFile != ""; got != tc.files {
			t.Errorf("%s: certificate files used: %v, want %v", name, got, tc.files)
		}
		if o.tlsConfig != nil && c.TLS != cfg || o.httpClient != nil && c.HTTPClient != client || o.dialOptions != nil && len(c.DialOptions) != 1 {
			t.Errorf("%s: option not passed on: %+v", name, c)
		}
	}
}

// firstOf is resolve's lookup of the first non-blank variable, over env.
func firstOf(env map[string]string) func(...string) (string, string, bool) {
	return func(names ...string) (string, string, bool) {
		for _, n := range names {
			if v := strings.TrimSpace(env[n]); v != "" {
				return n, v, true
			}
		}
		return "", "", false
	}
}

// A certificate file that cannot be read fails New's resolution as a configuration
// error.
func TestResolveOTLPMissingCertificate(t *testing.T) {
	_, err := resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v", err)
	}
}

// Issue 14 item 11: the usual mistakes in an endpoint variable say how to fix them.
func TestResolveOTLPEndpointHints(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		hint string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"}, "add http://"},
		{map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "collector:4318/v1/logs"}, "add http://"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": `"http://collector:4318"`}, "quotes"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/v1/logs"}, "remove /v1/logs"},
	} {
		_, err := resolveWith(t, tc.env)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%v: %v, want a hint with %q", tc.env, err, tc.hint)
		}
		if err != nil && strings.Contains(err.Error(), "collector") {
			t.Errorf("%v: the error quotes the host: %v", tc.env, err)
		}
	}
	// gRPC takes host:port: the insecure flag picks the scheme, as the specification says.
	s, err := resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true"})
	if err != nil || s.otlp.Endpoint != "http://127.0.0.1:4317" {
		t.Errorf("gRPC host:port, insecure: %q, %v", s.otlp.Endpoint, err)
	}
	s, err = resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "127.0.0.1:4317"})
	if err != nil || s.otlp.Endpoint != "https://127.0.0.1:4317" {
		t.Errorf("gRPC host:port: %q, %v (TLS unless insecure)", s.otlp.Endpoint, err)
	}
	// A bad protocol or compression names the variable that set it.
	for n, v := range map[string]string{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "udp", "OTEL_EXPORTER_OTLP_COMPRESSION": "brotli"} {
		_, err := resolveWith(t, map[string]string{n: v})
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), n+": ") || !strings.Contains(err.Error(), `"`+v+`"`) {
			t.Errorf("%s=%s: %v", n, v, err)
		}
	}
}

// Issue 14 item 9: zstd is accepted from the variable and the option.
func TestResolveOTLPZstd(t *testing.T) {
	s, err := resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"})
	if err != nil || s.otlp.Compression != exporter.CompressionZstd {
		t.Errorf("variable: %q, %v", s.otlp.Compression, err)
	}
	s, err = resolveWith(t, nil, WithCompression("zstd"))
	if err != nil || s.otlp.Compression != exporter.CompressionZstd {
		t.Errorf("option: %q, %v", s.otlp.Compression, err)
	}
}
