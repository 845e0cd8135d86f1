package exporter

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// FileConfig configures [NewFile]. Zero fields take the default written beside them.
type FileConfig struct {
	// Path is the file written to; rotated backups sit beside it. Required.
	Path string
	// MaxSizeMB is the size at which the file is rotated (100).
	MaxSizeMB int
	// MaxBackups is how many rotated files are kept (0: all, within MaxAgeDays).
	MaxBackups int
	// MaxAgeDays removes backups older than this (0: never by age).
	MaxAgeDays int
	// Compress gzips rotated files.
	Compress bool
}

// File writes records as JSON lines (the schema of [JSONLines]) to a file rotated by size,
// age and count (backups named as lumberjack names them: app-2006-01-02T15-04-05.000.log):
// the RotatingFileHandler of Python's logging. Use it as
// the primary (a service without a collector) or as the fallback (WithFallback).
type File struct {
	*JSONLines
	w *rotatingFile
}

// ErrInvalidFileConfig is wrapped by NewFile's errors.
var ErrInvalidFileConfig = errors.New("invalid file exporter configuration")

// NewFile returns a File exporter. The file is created on the first write.
func NewFile(c FileConfig) (*File, error) {
	if c.Path == "" {
		return nil, fmt.Errorf("%w: no path", ErrInvalidFileConfig)
	}
	if c.MaxSizeMB < 0 || c.MaxBackups < 0 || c.MaxAgeDays < 0 {
		return nil, fmt.Errorf("%w: negative limit in %+v", ErrInvalidFileConfig, c)
	}
	if c.MaxSizeMB == 0 {
		c.MaxSizeMB = 100
	}
	w := &rotatingFile{
		path:       c.Path,
		maxBytes:   int64(c.MaxSizeMB) << 20,
		maxBackups: c.MaxBackups,
		maxAge:     time.Duration(c.MaxAgeDays) * 24 * time.Hour,
		compress:   c.Compress,
	}
	return &File{JSONLines: NewJSONLines(w), w: w}, nil
}

var _ sdklog.Exporter = (*File)(nil)

// Shutdown closes the file, and waits until ctx ends for the removal or compression of
// old backups under way: it leaves no goroutine behind.
func (f *File) Shutdown(ctx context.Context) error { return f.w.close(ctx) }

// Rotate closes the file and starts a new one now (for example on SIGHUP).
func (f *File) Rotate() error { return f.w.Rotate() }
