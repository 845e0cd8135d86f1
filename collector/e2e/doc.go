// Package e2e holds resilog's end-to-end tests: records go through the real library into a
// real collector (collectortest) over OTLP, and are read back as the collector received them.
package e2e
