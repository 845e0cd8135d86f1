package processor

import (
	"hash/maphash"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Sampling thins out repeated records: per message and severity, in each Interval, the
// first First records are kept, then one in Thereafter. The others are dropped and counted
// with reason sampled. Records at or above Batch's FlushSeverity (ERROR) are never
// sampled. Off unless First > 0.
type Sampling struct {
	First      int
	Thereafter int           // 0 keeps none after the first First
	Interval   time.Duration // 1s when zero
}

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

type sampleKey struct {
	msg string
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
	k := sampleKey{msg, int(r.Severity())}
	sh := &s.shards[maphash.String(s.seed, msg)%uint64(len(s.shards))]
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
