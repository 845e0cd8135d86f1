// Package e2e holds resilog's end-to-end tests: records go through the real library into a
// real collector (collectortest) over OTLP, and are read back as the collector received them.
// TestAgentGatewayChain runs the shipped agent and gateway configs as separate collector
// processes: the test binary re-executed as resilog-collector (see TestMain).
package e2e
