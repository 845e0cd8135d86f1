package resilogtest_test

import (
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/resilog/resilog/resilogtest"
)

type errorsSeen struct {
	mu   sync.Mutex
	errs []string
}

func (e *errorsSeen) Handle(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errs = append(e.errs, err.Error())
}

// TestAttackRecorderReadsResourceVariable shows that the Recorder, which "reads no
// environment variable", still has OTEL_RESOURCE_ATTRIBUTES read and parsed: the SDK's
// sdklog.WithResource merges resource.Environment() into the provider's resource, and
// since resolve (told to ignore the environment) never validated the variable, a
// malformed entry reaches the SDK's parser, which reports it through otel.Handle quoting
// the entry verbatim — by default to stderr, i.e. into the test log of every CI job. A
// variable malformed as "Authorization: Bearer …" (the common mistake the package's own
// errors refuse to quote) is printed whole. exactResource later hides the parsed value
// from records, but not the read nor the report. Correct: the Recorder's provider never
// reads the variable (nothing reaches otel.Handle), and no credential is quoted.
//
// Not fixed: the read is the SDK's own. sdklog.WithResource merges resource.Environment()
// unconditionally, and without it the provider takes resource.Default(), whose detectors
// read the variable too and report through otel.Handle; no LoggerProviderOption avoids
// it. Fixing it needs a provider that is not sdklog's (the lead's call); the limit is
// documented in the package doc meanwhile.
func TestAttackRecorderReadsResourceVariable(t *testing.T) {
	t.Skip("not fixed: the OpenTelemetry SDK's LoggerProvider reads OTEL_RESOURCE_ATTRIBUTES itself (sdklog.WithResource, resource.Default); documented in resilogtest's package doc")
	seen := new(errorsSeen)
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(seen)
	defer otel.SetErrorHandler(prev)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "Authorization: Bearer tok3n-s3cret")

	logs := resilogtest.New(t)
	logs.Logger("github.com/acme/shop").Info("hello")
	if logs.Len() != 1 {
		t.Fatalf("%d records", logs.Len())
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for _, e := range seen.errs {
		if strings.Contains(e, "tok3n-s3cret") {
			t.Errorf("the recorder's pipeline read OTEL_RESOURCE_ATTRIBUTES and reported it, credential quoted: %q", e)
		}
	}
}
