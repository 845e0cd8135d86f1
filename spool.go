package resilog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/delivery"
	"github.com/resilog/resilog/internal/spool"
)

// WithSpool keeps every record on disk in dir, from the moment its log call accepts it
// (after redaction: no secret reaches the disk) until it is exported, written to the
// fallback or dropped and counted (env: RESILOG_SPOOL_DIR; default: no spool). A record
// whose log call returned then survives SIGKILL, os.Exit, log.Fatal, an unrecovered
// panic and the OOM killer: the next New on dir exports it first, with its own
// timestamp, resource and scope, and Stats().Replayed counts it. Each spooled record
// carries log.record.uid, so that a backend can drop the copy delivered twice when a
// crash came between an export and its release.
//
// New fails if another process holds dir (the error names it). New's context bounds the
// replay: see [New]. The directory is named in errors and on stderr as other settings'
// values are, withheld when it may hold a credential. With several exporters,
// the spool keeps the records of the first one (Stats().Exporters[0]); the others get
// them from memory, as without a spool.
func WithSpool(dir string) Option {
	return optionFunc(func(o *options) { o.spoolDir = ptr(dir) })
}

// WithSpoolSync says when the spool reaches stable storage, which matters only on power
// loss or a kernel crash (env: RESILOG_SPOOL_SYNC): a duration ("100ms", the default)
// loses at most the records of the last interval; "batch" syncs before each export, so
// that a record the collector acknowledged was on disk first.
func WithSpoolSync(mode string) Option {
	return optionFunc(func(o *options) { o.spoolSync = ptr(mode) })
}

// WithSpoolMaxBytes bounds the disk the spool takes (env: RESILOG_SPOOL_MAX_BYTES;
// default 1 GiB). When it is full, new records take the memory path, counted in
// Stats().SpoolFull.
func WithSpoolMaxBytes(n int64) Option {
	return optionFunc(func(o *options) { o.spoolMaxBytes = ptr(n) })
}

// resolveSpool reads the spool settings: the options, then RESILOG_SPOOL_DIR,
// RESILOG_SPOOL_SYNC and RESILOG_SPOOL_MAX_BYTES. A zero Dir: no spool.
func resolveSpool(o *options, first func(...string) (string, string, bool)) (spool.Config, error) {
	var c spool.Config
	if o.spoolDir != nil {
		c.Dir = *o.spoolDir
	} else if _, v, ok := first("RESILOG_SPOOL_DIR"); ok {
		c.Dir = v
	}
	mode, source := "", "WithSpoolSync"
	if o.spoolSync != nil {
		mode = strings.TrimSpace(*o.spoolSync)
	} else if n, v, ok := first("RESILOG_SPOOL_SYNC"); ok {
		mode, source = v, n
	}
	switch {
	case mode == "":
	case strings.EqualFold(mode, "batch"):
		c.Sync = spool.SyncBatch
	default:
		d, err := time.ParseDuration(mode)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%w: %s: spool sync %s (want a positive duration such as 100ms, or batch)", ErrInvalidConfig, source, shown(mode))
		}
		c.SyncInterval = d
	}
	if o.spoolMaxBytes != nil {
		c.MaxBytes = *o.spoolMaxBytes
	} else if n, v, ok := first("RESILOG_SPOOL_MAX_BYTES"); ok {
		b, err := strconv.ParseInt(v, 10, 64)
		if err != nil || b <= 0 {
			return c, fmt.Errorf("%w: %s=%s is not a positive number of bytes", ErrInvalidConfig, n, shown(v))
		}
		c.MaxBytes = b
	}
	if c.Dir == "" {
		return spool.Config{}, nil
	}
	// The directory is named in messages as other settings' values are: a path can carry
	// a credential (a mounted secret's name) or control characters.
	c.Name = shown(c.Dir)
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// openSpool opens the spool cfg names (none when cfg.Dir is "") for the first sink, and
// queues the records earlier runs left in it before any new record: New returns once
// they are all queued (the queue's bounds hold; New waits for exports to make room), or
// once ctx is done: the records not queued then stay in the spool for the next run, and
// one line on stderr says so.
func openSpool(ctx context.Context, cfg spool.Config, first *sink) (*spool.Spool, error) {
	if cfg.Dir == "" || first == nil {
		return nil, nil
	}
	s, err := spool.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("resilog: %w", err)
	}
	replay, corrupt := delivery.SpoolBatch(first.batch, s, cfg.Sync == spool.SyncBatch)
	for seq, r := range s.Earlier() {
		if ctx.Err() != nil || !replay(ctx, r, seq) {
			report := cfg.Report
			if report == nil {
				report = accounting.Stderr()
			}
			report.Print(fmt.Sprintf("resilog: spool %s: replay stopped (%v): the records of earlier runs not queued stay in the spool for the next run",
				cfg.Name, context.Cause(ctx)))
			break
		}
	}
	// Records earlier runs lost to damage (a torn tail, flipped bytes) are counted here,
	// as emitted and dropped (corrupt), so that the balance holds.
	corrupt(s.Stats().Corrupt)
	return s, nil
}
