package resilog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/recordtest"
)

// Found by attacktls: the endpoint hints and credential scrubbing are bypassed for
// gRPC. resolveOTLP prefixes any gRPC endpoint without "://" with https:// before the
// hints run, so "https//user:s3cr3t@collector:4317" (the colon of the scheme dropped)
// gets no "has a scheme but no //" hint as it does for OTLP/HTTP: it becomes
// https://https//user:s3cr3t@collector:4317 — host "https", the credentials in the
// *path* — and passes. The exporter strips userinfo and query from the endpoint it
// shows, not the path, so every export failure's Endpoint (the stderr report line
// "export to … failed", Stats) prints the password. Correct: the same hint as for
// OTLP/HTTP (or, at least, no credential in ExportError.Endpoint or the error text).
func TestGRPCEndpointWithoutSchemeColonRefused(t *testing.T) {
	const pw = "s3cr3tPassw0rd"
	s, err := resolveWith(t, map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "https//user:" + pw + "@collector:4317",
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "2000",
	})
	if err == nil {
		t.Errorf("the gRPC endpoint was accepted as %q: no hint", s.otlp.Endpoint)
	} else if strings.Contains(err.Error(), pw) {
		t.Fatalf("the configuration error quotes the password: %v", err)
	}
	// What it was resolved to before the fix: the exporter does not show the path
	// either, whatever it holds.
	o, err := exporter.NewOTLP(context.Background(), exporter.OTLPConfig{Protocol: exporter.ProtocolGRPC, Endpoint: "https://https//user:" + pw + "@collector:4317", Timeout: 2 * time.Second})
	if err != nil {
		if strings.Contains(err.Error(), pw) {
			t.Fatalf("NewOTLP's error quotes the password: %v", err)
		}
		return
	}
	defer o.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec := recordtest.Make("github.com/acme/shop", func(r *log.Record) { r.SetBody(attribute.StringValue("hello")) })
	err = o.Export(ctx, []sdklog.Record{rec})
	var ee *exporter.ExportError
	if !errors.As(err, &ee) {
		t.Fatalf("Export = %v, want an ExportError", err)
	}
	if strings.Contains(ee.Endpoint, pw) || strings.Contains(err.Error(), pw) {
		t.Errorf("the gRPC endpoint %q was accepted (no hint) and its export failure names endpoint %q (error %q): the password is printed", "https//user:"+pw+"@collector:4317", ee.Endpoint, err)
	}
}

// Found by attacktls: the headers variable accepts a value with a control character
// other than CR, LF or NUL ("%01" percent-decoded), which net/http refuses to send: New
// succeeds and every export then fails, retried as transient (see
// exporter.TestValidateRefusesHeaderHTTPCannotSend). Correct: a configuration error
// naming the entry, as for CR/LF.
func TestHeadersVariableControlCharacterRefused(t *testing.T) {
	_, err := resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "api-key=k-live%01-7f3a9c"})
	if err == nil {
		t.Error("OTEL_EXPORTER_OTLP_HEADERS with a \\x01 in a value was accepted; net/http cannot send it")
	}
}

// OTEL_EXPORTER_OTLP_INSECURE=true makes a bare gRPC endpoint plaintext: with a
// certificate file set too, the configuration contradicts itself and is refused rather
// than sent in cleartext.
func TestGRPCInsecureWithCertificateFileRefused(t *testing.T) {
	ca, _, _ := certificateFiles(t)
	_, err := resolveWith(t, map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL":    "grpc",
		"OTEL_EXPORTER_OTLP_ENDPOINT":    "collector:4317",
		"OTEL_EXPORTER_OTLP_INSECURE":    "true",
		"OTEL_EXPORTER_OTLP_CERTIFICATE": ca,
	})
	if !errors.Is(err, exporter.ErrInvalidOTLPConfig) {
		t.Errorf("gRPC INSECURE=true with a CA file: %v, want an ErrInvalidOTLPConfig", err)
	}
}

// A path segment of an OTLP/HTTP endpoint that may be a credential (some services take
// an API key in the path) is not shown in an export failure.
func TestHTTPEndpointPathCredentialNotShown(t *testing.T) {
	const key = "k7Hq2xLp9Vz3"
	s, err := resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://127.0.0.1:1/" + key + "/v1/logs"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := exporter.NewOTLP(context.Background(), s.otlp)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	rec := recordtest.Make("github.com/acme/shop", func(r *log.Record) { r.SetBody(attribute.StringValue("hello")) })
	err = o.Export(context.Background(), []sdklog.Record{rec})
	var ee *exporter.ExportError
	if !errors.As(err, &ee) {
		t.Fatalf("Export = %v, want an ExportError", err)
	}
	if strings.Contains(ee.Endpoint, key) || strings.Contains(err.Error(), key) {
		t.Errorf("the export failure shows the path's key: endpoint %q, error %q", ee.Endpoint, err)
	}
	if !strings.HasSuffix(ee.Endpoint, "/v1/logs") {
		t.Errorf("endpoint shown as %q: the plain segments should stay", ee.Endpoint)
	}
}
