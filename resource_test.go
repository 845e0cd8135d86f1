package resilog

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog/internal/recordtest"
)

// New describes the process as the SDK's standard detectors do (host, OS, process, Go
// runtime, container where there is one), on Pipeline.Resource and on every record,
// under OTEL_RESOURCE_ATTRIBUTES and the options.
func TestNewDetectsTheStandardResource(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), WithSDKExporter(exp), WithServiceName("orders"),
		envOf(map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "host.name=from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("m")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	want := map[attribute.Key]attribute.Value{
		semconv.HostNameKey:              attribute.StringValue("from-env"), // the variable beats detection
		semconv.OSTypeKey:                attribute.StringValue(runtime.GOOS),
		semconv.ProcessPIDKey:            attribute.IntValue(os.Getpid()),
		semconv.ProcessExecutableNameKey: attribute.StringValue(filepath.Base(exe)),
		semconv.ProcessRuntimeNameKey:    attribute.StringValue("go"),
		semconv.ProcessRuntimeVersionKey: attribute.StringValue(runtime.Version()),
		semconv.ServiceNameKey:           attribute.StringValue("orders"),
		semconv.TelemetrySDKLanguageKey:  attribute.StringValue("go"),
	}
	for _, set := range []attribute.Set{*p.Resource().Set(), *exp.Records()[0].Resource().Set()} {
		for k, v := range want {
			if got, ok := set.Value(k); !ok || got != v {
				t.Errorf("%s = %v, want %v (resource %v)", k, got.String(), v.String(), set.Encoded(attribute.DefaultEncoder()))
			}
		}
		// Command lines carry credentials (--password=…) and can be long: not detected.
		if v, ok := set.Value(semconv.ProcessCommandArgsKey); ok {
			t.Errorf("process.command_args detected: %v", v.String())
		}
	}
}

// WithResource replaces detection: the resource is the one given, plus the service name.
func TestWithResourceSkipsDetection(t *testing.T) {
	p, err := New(context.Background(), WithSDKExporter(discard{}), envOf(nil),
		WithResource(resource.NewSchemaless(attribute.String("team", "shop"))))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if _, ok := p.Resource().Set().Value(semconv.ProcessPIDKey); ok {
		t.Errorf("detected attributes added to a given resource: %s", p.Resource())
	}
}

// BenchmarkNew measures New with the default resource detection, the cost paid once per
// process.
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := New(ctx, envOf(nil), WithServiceName("bench"), WithSDKExporter(discard{}))
		if err != nil {
			b.Fatal(err)
		}
		_ = p.Shutdown(ctx)
	}
}
