package resilog

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/resilog/resilog/internal/recordtest"
)

// TestServiceNameOptionsBeatVariable: service.name from WithResource or WithResourceAttributes beats OTEL_SERVICE_NAME.
// Found by an attack: it showed that OTEL_SERVICE_NAME (a variable)
// beats the options that set service.name other than WithServiceName: the resource given
// to WithResource ("share the TracerProvider's") and WithResourceAttributes. With
// WithResource(res) where res says service.name=checkout and OTEL_SERVICE_NAME=env set by
// the platform, the SDK's TracerProvider (sdktrace.WithResource merges the environment
// *under* res) says checkout while every log record says env: logs and traces no longer
// describe the same service. The README: "an option passed to resilog.New beats the
// standard environment variable". Correct: service.name from an option (WithResource,
// WithResourceAttributes) wins over OTEL_SERVICE_NAME.
func TestServiceNameOptionsBeatVariable(t *testing.T) {
	env := envOf(map[string]string{"OTEL_SERVICE_NAME": "from-env"})
	for name, opt := range map[string]Option{
		"WithResource":           WithResource(resource.NewSchemaless(semconv.ServiceName("checkout"))),
		"WithResourceAttributes": WithResourceAttributes(semconv.ServiceName("checkout")),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := New(context.Background(), env, opt, WithSDKExporter(new(recordtest.Exporter)))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Shutdown(context.Background())
			if v, _ := p.Resource().Set().Value(semconv.ServiceNameKey); v.AsString() != "checkout" {
				t.Errorf("service.name = %q with the option saying \"checkout\" and OTEL_SERVICE_NAME=from-env", v.AsString())
			}
		})
	}
}

// TestDisabledKeepsExporterNone: disabling telemetry keeps exporter none: nothing on stdout.
// Found by an attack: it showed that OTEL_SDK_DISABLED=true turns
// records *on* for a service that chose WithExporter("none"): resolve replaces the list
// with the console exporter whatever it was, so a program whose stdout is its output (a
// CLI printing JSON, a protocol on stdout) and that asked for no log export starts
// interleaving JSON log lines into its stdout when the platform sets the variable to turn
// telemetry *off*. The option (none) loses to a variable about something else.
// Correct: disabling telemetry never adds an output; with exporter none it stays none
// (the same for OTEL_LOGS_EXPORTER=none).
func TestDisabledKeepsExporterNone(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		opts []Option
	}{
		"WithExporter(none)":      {map[string]string{"OTEL_SDK_DISABLED": "true"}, []Option{WithExporter(ExporterNone)}},
		"OTEL_LOGS_EXPORTER=none": {map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_LOGS_EXPORTER": "none"}, nil},
		"WithDisabled(true)":      {map[string]string{"OTEL_LOGS_EXPORTER": "none"}, []Option{WithDisabled(true)}},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := New(context.Background(), append([]Option{envOf(c.env)}, c.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Shutdown(context.Background())
			for _, e := range p.Stats().Exporters {
				t.Errorf("exporter none, telemetry disabled: the pipeline has an exporter %q (stdout)", e.Name)
			}
		})
	}
}

// TestReplacedVariableNotRead: a variable an option replaced is not read, so cannot fail New.
// Found by an attack: it showed that a variable whose setting an option
// replaced is still parsed, and its bad value makes New fail: WithSDKExporter "replaces
// the exporters New would build from configuration", yet OTEL_LOGS_EXPORTER=otlp2 (a typo
// in a shell, a CI job's value for another service) makes New return ErrInvalidConfig;
// and RESILOG_FALLBACK_FORMAT, which "does not apply to an exporter given to
// WithFallback", fails New when WithFallback is given. WithExporter, by contrast, makes New
// ignore OTEL_LOGS_EXPORTER entirely. Correct: option > variable: a variable the options
// made irrelevant is not read (or at least cannot fail New).
func TestReplacedVariableNotRead(t *testing.T) {
	for name, c := range map[string]struct {
		env map[string]string
		opt Option
	}{
		"WithSDKExporter/OTEL_LOGS_EXPORTER":   {map[string]string{"OTEL_LOGS_EXPORTER": "otlp2"}, nil},
		"WithFallback/RESILOG_FALLBACK_FORMAT": {map[string]string{"RESILOG_FALLBACK_FORMAT": "yaml"}, WithFallback(new(recordtest.Exporter))},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := New(context.Background(), envOf(c.env), WithSDKExporter(new(recordtest.Exporter)), c.opt)
			if err != nil {
				t.Errorf("New: %v", err)
				return
			}
			_ = p.Shutdown(context.Background())
		})
	}
}

// TestHandlerHandleObeysLevels: Pipeline.Handler's Handle drops a record below the logger's level.
// Found by an attack: it showed that Pipeline.Handler's handler is built on
// the ungated provider and gates only in Enabled: a caller that invokes Handle directly —
// a fan-out or middleware slog.Handler wrapping p.Handler(name), which many do without
// asking each child's Enabled — exports a DEBUG record from a logger whose level is ERROR.
// The provider's own loggers drop such a record in Emit ("for bridges that emit without
// asking"); the handler resilog itself hands out does not. Correct: Handle drops a record
// below the logger's level, as gatedLogger.Emit does.
func TestHandlerHandleObeysLevels(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(exp), WithLevels("error"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	h := p.Handler("github.com/acme/shop")
	if h.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("DEBUG enabled at level ERROR")
	}
	_ = h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelDebug, "below the level", 0))
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.Records()); n != 0 {
		t.Errorf("%d record(s) at DEBUG exported from a logger at ERROR, through Handle", n)
	}
}

// TestGRPCCredentialsReplaceCertificateVariables: grpc.WithTransportCredentials makes the certificate variables unread.
// Found by an attack: it showed that WithGRPCDialOptions(
// grpc.WithTransportCredentials(...)), which the README says "replaces the TLS settings",
// does not replace the certificate variables: OTEL_EXPORTER_OTLP_CERTIFICATE is still
// read, and a file missing in this container (a value inherited from a base image or a
// sidecar's environment) makes New fail, although the credentials the option gives are
// the only ones the connection would use. WithTLSConfig and WithHTTPClient both make the
// variables unread. Correct: with transport credentials given as a dial option, New does
// not read the certificate files (option > variable), or the README says they still must
// exist.
func TestGRPCCredentialsReplaceCertificateVariables(t *testing.T) {
	p, err := New(context.Background(), envOf(map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"}),
		WithProtocol("grpc"), WithEndpoint("https://127.0.0.1:4317"),
		WithGRPCDialOptions(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatalf("New with grpc.WithTransportCredentials and OTEL_EXPORTER_OTLP_CERTIFICATE naming a missing file: %v", err)
	}
	_ = p.Shutdown(context.Background())
}

// TestDisabledIgnoresTelemetryVariables: with telemetry disabled, the OTLP and exporter-list variables are not read.
// Found by an attack: it showed that OTEL_SDK_DISABLED=true — the
// platform's kill switch, typically flipped *because* the telemetry configuration is
// broken (a CA file gone after a rotation, an endpoint written without its scheme) — does
// not make New ignore that configuration: the OTLP variables, which the disabled pipeline
// never uses (it exports to stdout alone), are still validated, the certificate files
// still read, and New returns ErrInvalidConfig, so the service either refuses to start or
// runs with no logs at all — the opposite of "telemetry off, the logs on". Correct: with
// telemetry disabled, New succeeds whatever the OTLP and exporter-list variables hold.
func TestDisabledIgnoresTelemetryVariables(t *testing.T) {
	for name, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    "collector:4318",
		"OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem",
		"OTEL_EXPORTER_OTLP_PROTOCOL":    "http",
		"OTEL_LOGS_EXPORTER":             "otlp2",
	} {
		t.Run(name, func(t *testing.T) {
			p, err := New(context.Background(), envOf(map[string]string{"OTEL_SDK_DISABLED": "true", name: v}))
			if err != nil {
				t.Errorf("OTEL_SDK_DISABLED=true, %s=%s: New: %v", name, v, err)
				return
			}
			_ = p.Shutdown(context.Background())
		})
	}
}

// TestDisabledVariableParsedPerSpecification: OTEL_SDK_DISABLED is true only for "true" in
// any case; any other value is false (with a warning on stderr), never an error: the
// specification's boolean, and a kill switch whose typo must not stop the service.
func TestDisabledVariableParsedPerSpecification(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "TRUE": true, " True ": true, "false": false, "FALSE": false, "1": false, "yes": false, "maybe": false, "": false} {
		s, err := resolveWith(t, map[string]string{"OTEL_SDK_DISABLED": v})
		if err != nil {
			t.Errorf("OTEL_SDK_DISABLED=%q: %v", v, err)
			continue
		}
		if s.disabled != want {
			t.Errorf("OTEL_SDK_DISABLED=%q: disabled = %v, want %v", v, s.disabled, want)
		}
	}
}
