package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/processor"
)

// Secrets that reach the real collector past redaction, default settings but for the
// count limit that makes processor.Limit rebuild a record: the logger's name (the
// record's scope), and a resource attribute set in the environment after New, which
// Limit's template provider reads again.
func TestScopeAndLateResourceSecretsNeverReachTheCollector(t *testing.T) {
	const key = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"
	c := collectortest.Start(t)
	p := newPipeline(t, resilog.WithEndpoint(c.HTTPEndpoint()),
		resilog.WithAttributeLimits(processor.LimitConfig{AttributeCount: 2}))
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "db.password=hunter2-S3cret")
	p.Logger(key).Info("scope")
	p.Logger("x").Info("over the count limit", "a", 1, "b", 2, "c", 3)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.WaitForLogs(t, 2, 10*time.Second) {
		got := fmt.Sprintf("%+v", r)
		for _, s := range []string{key, "hunter2-S3cret"} {
			if strings.Contains(got, s) {
				t.Errorf("the collector received %.20q… in record %q: %s", s, r.Body, got)
			}
		}
	}
}

// A resource attribute whose key holds a secret: redaction masks the key, and the SDK's
// own merge of OTEL_RESOURCE_ATTRIBUTES puts the original key back, with its value.
func TestResourceKeySecretNeverReachesTheCollector(t *testing.T) {
	const key = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", key+"=4242424242424242")
	c := collectortest.Start(t)
	p := newPipeline(t, resilog.WithEndpoint(c.HTTPEndpoint()))
	p.Logger("x").Info("started")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := fmt.Sprint(c.WaitForLogs(t, 1, 10*time.Second)[0].Resource)
	for _, s := range []string{key, "4242424242424242"} {
		if strings.Contains(res, s) {
			t.Errorf("the collector received %.20q… in the resource: %s", s, res)
		}
	}
}
