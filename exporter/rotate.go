package exporter

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// rotatingFile is an io.Writer on a file rotated by size, with lumberjack's file names
// (app.log, app-2006-01-02T15-04-05.000.log, app-….log.gz), so that existing backups are
// recognised. Unlike lumberjack (v2.2.1), whose cleanup goroutine is started at the first
// write and never ends, it cleans up (removes and compresses backups) on a goroutine
// started per rotation that ends with it, and close waits for that goroutine until its
// context ends: a File leaves no goroutine behind.
type rotatingFile struct {
	path       string
	maxBytes   int64
	maxBackups int
	maxAge     time.Duration
	compress   bool

	mu   sync.Mutex
	file *os.File
	size int64

	cleaning sync.WaitGroup
	cleanMu  sync.Mutex // one cleanup at a time
}

const backupTimeFormat = "2006-01-02T15-04-05.000"

// Write writes p whole to the current file, rotating first if p would take it over its
// size. A p larger than the size limit is refused.
func (w *rotatingFile) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if int64(len(p)) > w.maxBytes {
		return 0, fmt.Errorf("write length %d exceeds maximum file size %d", len(p), w.maxBytes)
	}
	if w.file == nil {
		if err := w.openExistingOrNew(len(p)); err != nil {
			return 0, err
		}
	}
	if w.size+int64(len(p)) > w.maxBytes {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := w.file.Write(p)
	w.size += int64(n)
	return n, err
}

// Rotate closes the file, moves it aside and starts a new one.
func (w *rotatingFile) Rotate() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rotate()
}

// close closes the file and waits until ctx ends for a cleanup under way.
func (w *rotatingFile) close(ctx context.Context) error {
	w.mu.Lock()
	var err error
	if w.file != nil {
		err = w.file.Close()
		w.file = nil
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.cleaning.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("exporter: removing or compressing old log files: %w", ctx.Err()))
	}
	return err
}

func (w *rotatingFile) openExistingOrNew(writeLen int) error {
	info, err := os.Stat(w.path)
	if os.IsNotExist(err) {
		return w.openNew()
	}
	if err != nil {
		return fmt.Errorf("error getting log file info: %w", err)
	}
	if info.Size()+int64(writeLen) >= w.maxBytes {
		return w.rotate()
	}
	f, err := os.OpenFile(w.path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return w.openNew() // as lumberjack: start a new file instead
	}
	w.file, w.size = f, info.Size()
	w.cleanup() // backups left by an earlier run beyond the limits
	return nil
}

func (w *rotatingFile) rotate() error {
	if w.file != nil {
		if err := w.file.Close(); err != nil {
			return err
		}
		w.file = nil
	}
	if err := w.openNew(); err != nil {
		return err
	}
	w.cleanup()
	return nil
}

// openNew moves the current file aside (keeping its mode) and creates a new one.
func (w *rotatingFile) openNew() error {
	if err := os.MkdirAll(filepath.Dir(w.path), 0o755); err != nil {
		return fmt.Errorf("can't make directories for new logfile: %w", err)
	}
	mode := os.FileMode(0o600)
	if info, err := os.Stat(w.path); err == nil {
		mode = info.Mode()
		if err := os.Rename(w.path, w.backupName(time.Now().UTC())); err != nil {
			return fmt.Errorf("can't rename log file: %w", err)
		}
	}
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("can't open new logfile: %w", err)
	}
	w.file, w.size = f, 0
	return nil
}

func (w *rotatingFile) prefixAndExt() (prefix, ext string) {
	name := filepath.Base(w.path)
	ext = filepath.Ext(name)
	return name[:len(name)-len(ext)] + "-", ext
}

func (w *rotatingFile) backupName(t time.Time) string {
	prefix, ext := w.prefixAndExt()
	return filepath.Join(filepath.Dir(w.path), prefix+t.Format(backupTimeFormat)+ext)
}

// cleanup removes and compresses backups beyond the limits, on a goroutine of its own
// (compressing a 100 MB file must not hold up the writes).
func (w *rotatingFile) cleanup() {
	if w.maxBackups == 0 && w.maxAge == 0 && !w.compress {
		return
	}
	w.cleaning.Add(1)
	go func() {
		defer w.cleaning.Done()
		w.cleanMu.Lock()
		defer w.cleanMu.Unlock()
		_ = w.cleanOnce()
	}()
}

type backup struct {
	name string
	t    time.Time
}

// cleanOnce is lumberjack's millRunOnce.
func (w *rotatingFile) cleanOnce() error {
	dir := filepath.Dir(w.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	prefix, ext := w.prefixAndExt()
	var files []backup
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		stamp := strings.TrimPrefix(e.Name(), prefix)
		switch {
		case strings.HasSuffix(stamp, ext+".gz"):
			stamp = strings.TrimSuffix(stamp, ext+".gz")
		case strings.HasSuffix(stamp, ext):
			stamp = strings.TrimSuffix(stamp, ext)
		default:
			continue
		}
		if t, err := time.Parse(backupTimeFormat, stamp); err == nil {
			files = append(files, backup{e.Name(), t})
		}
	}
	slices.SortFunc(files, func(a, b backup) int { return b.t.Compare(a.t) }) // newest first

	var remove []backup
	if w.maxBackups > 0 {
		kept := map[string]bool{}
		var remaining []backup
		for _, f := range files {
			kept[strings.TrimSuffix(f.name, ".gz")] = true
			if len(kept) > w.maxBackups {
				remove = append(remove, f)
			} else {
				remaining = append(remaining, f)
			}
		}
		files = remaining
	}
	if w.maxAge > 0 {
		cutoff := time.Now().Add(-w.maxAge)
		var remaining []backup
		for _, f := range files {
			if f.t.Before(cutoff) {
				remove = append(remove, f)
			} else {
				remaining = append(remaining, f)
			}
		}
		files = remaining
	}
	for _, f := range remove {
		if e := os.Remove(filepath.Join(dir, f.name)); err == nil {
			err = e
		}
	}
	if w.compress {
		for _, f := range files {
			if !strings.HasSuffix(f.name, ".gz") {
				if e := compressFile(filepath.Join(dir, f.name)); err == nil {
					err = e
				}
			}
		}
	}
	return err
}

// compressFile gzips name into name.gz and removes name.
func compressFile(name string) (err error) {
	in, err := os.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(name+".gz", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, info.Mode())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(name + ".gz")
		}
	}()
	gz := gzip.NewWriter(out)
	if _, err = io.Copy(gz, in); err != nil {
		return err
	}
	if err = gz.Close(); err != nil {
		return err
	}
	if err = out.Close(); err != nil {
		return err
	}
	return os.Remove(name)
}
