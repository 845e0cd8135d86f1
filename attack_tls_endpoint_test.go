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

// Attack (attacktls): the endpoint hints and credential scrubbing are bypassed for
// gRPC. resolveOTLP prefixes any gRPC endpoint without "://" with https:// before the
// hints run, so "https//user:s3cr3t@collector:4317" (the colon of the scheme dropped)
// gets no "has a scheme but no //" hint as it does for OTLP/HTTP: it becomes
// https://https//user:s3cr3t@collector:4317 — host "https", the credentials in the
// *path* — and passes. The exporter strips userinfo and query from the endpoint it
// shows, not the path, so every export failure's Endpoint (the stderr report line
// "export to … failed", Stats) prints the password. Correct: the same hint as for
// OTLP/HTTP (or, at least, no credential in ExportError.Endpoint or the error text).
func TestAttackGRPCEndpointHintBypassLeaksPassword(t *testing.T) {
	const pw = "s3cr3tPassw0rd"
	s, err := resolveWith(t, map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "https//user:" + pw + "@collector:4317",
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "2000",
	})
	if err != nil {
		if strings.Contains(err.Error(), pw) {
			t.Fatalf("the configuration error quotes the password: %v", err)
		}
		return // refused with a hint: correct
	}
	o, err := exporter.NewOTLP(context.Background(), s.otlp)
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

// Attack (attacktls): the headers variable accepts a value with a control character
// other than CR, LF or NUL ("%01" percent-decoded), which net/http refuses to send: New
// succeeds and every export then fails, retried as transient (see
// exporter.TestAttackValidatePassesHeaderHTTPCannotSend). Correct: a configuration error
// naming the entry, as for CR/LF.
func TestAttackHeadersVariableControlCharacterAccepted(t *testing.T) {
	_, err := resolveWith(t, map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "api-key=k-live%01-7f3a9c"})
	if err == nil {
		t.Error("OTEL_EXPORTER_OTLP_HEADERS with a \\x01 in a value was accepted; net/http cannot send it")
	}
}
