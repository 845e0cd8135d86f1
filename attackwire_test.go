package resilog

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// TestResourceSchemaURLIsRedacted guards against what adversary attackwire found (fixed): the resource's
// schema URL leaves the process as given, unredacted, while the scope's schema URL is
// redacted (redactedScopes) and so is every resource attribute (buildResource): a schema
// URL with credentials, "https://admin:hunter2-S3cret@schemas.example.com/1.26.0" (a
// private schema registry), reaches every exporter and the fallback with its password, in
// every batch (ResourceLogs.schema_url). `resilog replay` builds each pipeline with
// WithResource(resource.NewWithAttributes(the file's schemaUrl, ...)): a replayed file's
// resource schema URL is exported unredacted the same way.
// Correct: the resource's schema URL goes through the engine like the scope's.
func TestResourceSchemaURLIsRedacted(t *testing.T) {
	const secret = "hunter2-S3cret"
	p, w := attackPipeline(t, WithResource(resource.NewWithAttributes(
		"https://admin:"+secret+"@schemas.example.com/1.26.0", attribute.String("service.name", "orders"))))
	p.Logger("x").Info("hello")
	assertNoLeak(t, shipped(t, p, w), secret)
}
