// Package collectortest starts a real OpenTelemetry Collector (resilog's distribution)
// in-process on free loopback ports, for tests. Everything the collector receives over
// OTLP goes through its real receivers and a batch processor into an in-memory sink that
// tests read with [Collector.Logs] and [Collector.Spans].
//
//	c := collectortest.Start(t)
//	p, _ := resilog.New(ctx, resilog.WithEndpoint(c.HTTPEndpoint()))
//	...
//	recs := c.WaitForLogs(t, 10, 5*time.Second)
//
// [Collector.Stop] and [Collector.Restart] take the collector away and bring it back on the
// same ports, for fault tests.
package collectortest
