package processor

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/delivery"
)

// ErrInvalidConfig is wrapped by every error a config's Validate returns.
var ErrInvalidConfig = errors.New("invalid processor configuration")

// Route is where a [Batch] sends its records, given at construction: the primary exporter
// (the collector), how to probe it while the breaker is open, and the fallback.
type Route struct {
	// Primary takes the batches while it can. An *exporter.ExportError from its Export
	// says whether a failure is worth retrying and how long to wait; any other error is
	// retried as transient.
	Primary sdklog.Exporter
	// Probe checks the primary is back without sending records (exporter.OTLP.Probe).
	// Nil: while the breaker is open, one batch in each ProbeInterval is tried instead.
	Probe func(context.Context) error
	// Fallback takes what the primary cannot, and what the queue cannot hold (stdout JSON
	// lines in resilog.New). Nil: those records are dropped and counted (export_failed,
	// queue_full).
	Fallback sdklog.Exporter
}

// Breaker states, as reported by [BatchStats].
const (
	BreakerClosed = "closed" // batches go to the primary
	BreakerOpen   = "open"   // records go straight to the fallback; the primary is probed
)

// FailoverConfig tunes retries, the circuit breaker and the fallback's buffer of a
// [Batch]. Zero fields take the default written beside them.
type FailoverConfig struct {
	// RetryInitial is the first backoff delay (100ms); it doubles up to RetryMax (2s), with
	// jitter, and never undercuts a delay the server asked for (Retry-After, RetryInfo).
	RetryInitial, RetryMax time.Duration
	// RetryMaxElapsed bounds the retries of one batch (15s); then it goes to the fallback.
	// It also bounds the route's Shutdown and ForceFlush when their context has no deadline.
	RetryMaxElapsed time.Duration
	// BreakerFailures is how many transient failures in a row open the breaker (3).
	BreakerFailures int
	// ProbeInterval is how often an open breaker probes the primary (500ms); delivery
	// resumes at the first successful probe.
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe (1s), at least 1ms: no probe succeeds in less, and the
	// breaker would never close.
	ProbeTimeout time.Duration
	// FallbackRecords and FallbackBytes bound the fallback's own buffer (16,384 records,
	// 16 MiB); records beyond them are dropped with reason fallback_full.
	FallbackRecords, FallbackBytes int
	// FallbackWait is how long an export waits for room in a full fallback buffer (1s)
	// before dropping; the log call itself never waits for it.
	FallbackWait time.Duration
}

// Validate reports the first problem in c (a negative field, a ProbeTimeout under 1ms,
// RetryInitial above RetryMax), wrapping [ErrInvalidConfig].
func (c FailoverConfig) Validate() error {
	for _, d := range []struct {
		name string
		v    int64
	}{
		{"RetryInitial", int64(c.RetryInitial)}, {"RetryMax", int64(c.RetryMax)}, {"RetryMaxElapsed", int64(c.RetryMaxElapsed)},
		{"BreakerFailures", int64(c.BreakerFailures)}, {"ProbeInterval", int64(c.ProbeInterval)}, {"ProbeTimeout", int64(c.ProbeTimeout)},
		{"FallbackRecords", int64(c.FallbackRecords)}, {"FallbackBytes", int64(c.FallbackBytes)}, {"FallbackWait", int64(c.FallbackWait)},
	} {
		if d.v < 0 {
			return fmt.Errorf("%w: FailoverConfig.%s is negative", ErrInvalidConfig, d.name)
		}
	}
	if c.ProbeTimeout > 0 && c.ProbeTimeout < minTimeout {
		return fmt.Errorf("%w: FailoverConfig.ProbeTimeout %v is under the least, %v: no probe could succeed in it", ErrInvalidConfig, c.ProbeTimeout, minTimeout)
	}
	if c.RetryInitial > 0 && c.RetryMax > 0 && c.RetryInitial > c.RetryMax {
		return fmt.Errorf("%w: FailoverConfig.RetryInitial %v exceeds RetryMax %v", ErrInvalidConfig, c.RetryInitial, c.RetryMax)
	}
	return nil
}

// policy returns c with its defaults, for the delivery core.
func (c FailoverConfig) policy() delivery.Policy {
	return delivery.Policy{
		RetryInitial: c.RetryInitial, RetryMax: c.RetryMax, RetryMaxElapsed: c.RetryMaxElapsed,
		BreakerFailures: c.BreakerFailures, ProbeInterval: c.ProbeInterval, ProbeTimeout: c.ProbeTimeout,
		FallbackRecords: c.FallbackRecords, FallbackBytes: c.FallbackBytes, FallbackWait: c.FallbackWait,
	}.WithDefaults()
}
