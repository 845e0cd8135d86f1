// Package resilogtest captures what your code logs through resilog, in memory, so that
// your tests can assert on it — the way zaptest/observer is used with zap.
//
//	func TestCheckout(t *testing.T) {
//		logs := resilogtest.New(t)
//		checkout(logs.Logger("github.com/acme/shop/checkout"), order)
//		got := logs.FilterMessage("payment failed")
//		if len(got) != 1 || got[0].Attrs["order_id"] != int64(1042) {
//			t.Errorf("logged %v", logs.Records())
//		}
//	}
//
// Records go through the same pipeline as in production — bridge, correlation, redaction,
// batching — with an in-memory exporter at the end, so a test also sees what redaction
// and correlation do. The Recorder reads no environment variable: OTEL_SDK_DISABLED=true,
// OTEL_LOGS_EXPORTER, RESILOG_LOG_LEVELS or the OTEL_* limits a shell or CI job exports
// change nothing a test captures. One limit: the OpenTelemetry SDK's LoggerProvider
// reads OTEL_RESOURCE_ATTRIBUTES itself, whatever it is told; its attributes never reach
// the records (they carry the pipeline's own resource), but a malformed value is reported
// by the SDK through otel's error handler, quoted whole.
package resilogtest
