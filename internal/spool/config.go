package spool

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/resilog/resilog/internal/accounting"
)

// Defaults.
const (
	DefaultMaxBytes     = 1 << 30
	DefaultSyncInterval = 100 * time.Millisecond
	// defaultSegmentBytes is the size of a segment when MaxBytes allows 16 of them.
	defaultSegmentBytes = 16 << 20
	minSegmentBytes     = 64 << 10
)

// SyncMode says when appended records are written to stable storage. Every mode keeps
// a record whose Append returned through the death of the process (SIGKILL, os.Exit, a
// panic, the OOM killer): it is in the kernel's page cache. The modes differ only on
// power loss or a kernel crash.
type SyncMode int

const (
	// SyncInterval syncs every Config.SyncInterval: power loss loses at most the records
	// appended during the last interval.
	SyncInterval SyncMode = iota
	// SyncBatch syncs only when the caller calls Sync, before it acknowledges a batch:
	// a record that was part of an acknowledged batch was on stable storage first.
	SyncBatch
)

// Config configures a spool. The zero value but Dir is the default.
type Config struct {
	// Dir is the spool directory; it is created if missing.
	Dir string
	// MaxBytes bounds the disk the spool takes (default 1 GiB); when a new segment would
	// pass it, Append reports Full until records are released.
	MaxBytes int64
	// SegmentBytes is the size of one segment file (default: MaxBytes/16, at most
	// 16 MiB, at least 64 KiB). A record larger than a segment is not spooled.
	SegmentBytes int64
	// Sync is when records reach stable storage; SyncInterval by default.
	Sync SyncMode
	// SyncInterval is SyncInterval's period (default 100ms).
	SyncInterval time.Duration
	// Name is how the spool's messages (Open's error, its stderr lines) name Dir, in
	// place of Dir, which a caller may not want quoted: a path can carry a credential
	// (a mounted secret's name) or control characters. "" names it by Dir.
	Name string
	// Report is where the spool's one line goes when it turns itself off (disk full,
	// read-only directory, I/O error); nil: the process's stderr report.
	Report *accounting.Report
}

// ErrInvalidConfig is wrapped by Validate's errors.
var ErrInvalidConfig = errors.New("spool: invalid configuration")

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("%w: no directory", ErrInvalidConfig)
	case c.MaxBytes < 0:
		return fmt.Errorf("%w: MaxBytes %d is negative", ErrInvalidConfig, c.MaxBytes)
	case c.SegmentBytes != 0 && c.SegmentBytes < minSegmentBytes:
		return fmt.Errorf("%w: SegmentBytes %d is below %d", ErrInvalidConfig, c.SegmentBytes, minSegmentBytes)
	case c.SyncInterval < 0:
		return fmt.Errorf("%w: SyncInterval %v is negative", ErrInvalidConfig, c.SyncInterval)
	case c.Sync != SyncInterval && c.Sync != SyncBatch:
		return fmt.Errorf("%w: unknown SyncMode %d", ErrInvalidConfig, c.Sync)
	}
	c = c.withDefaults()
	if c.SegmentBytes > c.MaxBytes {
		return fmt.Errorf("%w: SegmentBytes %d is above MaxBytes %d", ErrInvalidConfig, c.SegmentBytes, c.MaxBytes)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = max(minSegmentBytes, min(defaultSegmentBytes, c.MaxBytes/16))
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.Report == nil {
		c.Report = accounting.Stderr()
	}
	return c
}

// name returns how messages name the directory.
func (c Config) name() string {
	if c.Name == "" {
		return c.Dir
	}
	return c.Name
}

// named returns msg with the directory named as Name says: the directory and the
// paths in it, and its parent directories that a system error names ("mkdir PATH:").
func (c Config) named(msg string) string {
	if c.Name == "" || len(c.Dir) < 2 { // "/" names nothing
		return msg
	}
	msg = strings.ReplaceAll(msg, c.Dir, c.Name)
	for p := filepath.Dir(c.Dir); len(p) > 1; p = filepath.Dir(p) {
		msg = strings.ReplaceAll(msg, p+":", "a parent of "+c.Name+":")
	}
	return msg
}
