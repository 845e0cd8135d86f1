package processor

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
)

// Sampling configures a [Sample]: per message and severity, in each Interval, the first
// First records are kept, then one in Thereafter. The others are dropped and counted with
// reason sampled. Records at or above the Batch's FlushSeverity (ERROR) are never
// sampled. Off unless First > 0.
type Sampling struct {
	First      int
	Thereafter int           // 0 keeps none after the first First
	Interval   time.Duration // 1s when zero
}

// Validate reports a negative field, wrapping [ErrInvalidConfig].
func (s Sampling) Validate() error {
	if s.First < 0 || s.Thereafter < 0 || s.Interval < 0 {
		return fmt.Errorf("%w: negative sampling setting in %+v", ErrInvalidConfig, s)
	}
	return nil
}

// Sample thins out repeated records in front of a [Batch], which it wraps: the records it
// keeps go on to the Batch, those it drops are counted in the Batch's ledger (emitted,
// and dropped with reason sampled), so that the accounting still balances. Register the
// Sample in the Batch's place. It is safe for concurrent use.
type Sample struct {
	next *Batch
	s    *sampler // nil when sampling is off: every record goes on
}

var _ sdklog.Processor = (*Sample)(nil)

// NewSample returns a Sample in front of next. It returns an error wrapping
// [ErrInvalidConfig] if cfg does not validate.
func NewSample(next *Batch, cfg Sampling) (*Sample, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Sample{next: next, s: newSampler(cfg)}, nil
}

// Enabled returns true: the Batch behind it takes every record.
func (s *Sample) Enabled(ctx context.Context, p sdklog.EnabledParameters) bool {
	return s.next.Enabled(ctx, p)
}

// OnEmit passes r on to the Batch, unless sampling drops it.
func (s *Sample) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if s.s != nil && r.Severity() < s.next.cfg.FlushSeverity && !s.s.keep(r, time.Now()) {
		s.next.ledger.Emitted(1)
		s.next.ledger.Drop(accounting.Sampled, 1)
		return nil
	}
	return s.next.OnEmit(ctx, r)
}

// ForceFlush flushes the Batch.
func (s *Sample) ForceFlush(ctx context.Context) error { return s.next.ForceFlush(ctx) }

// Shutdown shuts the Batch down.
func (s *Sample) Shutdown(ctx context.Context) error { return s.next.Shutdown(ctx) }

// maxSampledMessages bounds the distinct messages tracked per shard; records with
// messages beyond it are kept (never dropped on a guess).
const maxSampledMessages = 4096

type sampler struct {
	cfg    Sampling
	seed   maphash.Seed
	shards [16]sampleShard
}

type sampleShard struct {
	mu     sync.Mutex
	counts map[sampleKey]*sampleCount
}

// sampleKey identifies a message by a hash of it, not the message itself: a map of
// messages would keep each distinct one's bytes (a request body logged as the message:
// up to 65,536 of any size). Two messages whose 64-bit hashes (random seed) collide
// share a count: one in about 10^10 at the most messages tracked.
type sampleKey struct {
	msg uint64
	sev int
}

type sampleCount struct {
	start time.Time
	n     int
}

func newSampler(c Sampling) *sampler {
	if c.First <= 0 {
		return nil
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	s := &sampler{cfg: c, seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].counts = map[sampleKey]*sampleCount{}
	}
	return s
}

// keep reports whether r passes the sampler.
func (s *sampler) keep(r *sdklog.Record, now time.Time) bool {
	body := r.Body()
	msg := ""
	if body.Type() == attribute.STRING {
		msg = body.AsString()
	}
	h := maphash.String(s.seed, msg)
	k := sampleKey{h, int(r.Severity())}
	sh := &s.shards[h%uint64(len(s.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c, ok := sh.counts[k]
	if !ok {
		if len(sh.counts) >= maxSampledMessages {
			// Forget the windows that are over rather than track without bound.
			for key, old := range sh.counts {
				if now.Sub(old.start) >= s.cfg.Interval {
					delete(sh.counts, key)
				}
			}
			if len(sh.counts) >= maxSampledMessages {
				return true
			}
		}
		c = &sampleCount{start: now}
		sh.counts[k] = c
	}
	if now.Sub(c.start) >= s.cfg.Interval {
		c.start, c.n = now, 0
	}
	c.n++
	if c.n <= s.cfg.First {
		return true
	}
	return s.cfg.Thereafter > 0 && (c.n-s.cfg.First)%s.cfg.Thereafter == 0
}
