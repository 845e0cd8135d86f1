package exporter

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestFileRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	f, err := NewFile(FileConfig{Path: path, MaxSizeMB: 1, MaxBackups: 2})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 900)
	batch := make([]sdklog.Record, 100)
	for i := range batch {
		batch[i] = recordtest.Make("t", func(r *log.Record) {
			r.SetBody(attribute.StringValue("m"))
			r.AddAttributes(attribute.Int("seq", i), attribute.String("pad", big))
		})
	}
	// ~1 KB a record, 4,000 records: about 4 MB through a 1 MB file.
	for range 40 {
		if err := f.Export(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Old backups are removed on a goroutine of their own: give it a moment.
	var backups []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		backups = backups[:0]
		for _, e := range entries {
			if e.Name() != "app.log" {
				backups = append(backups, e.Name())
			}
			if info, err := e.Info(); err == nil && info.Size() > 1<<20 {
				t.Fatalf("%s is %d bytes, over the 1 MB limit", e.Name(), info.Size())
			}
		}
		if len(backups) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(backups) != 2 {
		t.Fatalf("backups %v, want exactly 2 (MaxBackups)", backups)
	}
	for _, name := range append(backups, "app.log") {
		fh, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) {
				t.Fatalf("%s holds a line that is not JSON (a record split by rotation?)", name)
			}
		}
		fh.Close()
	}
	if _, err := NewFile(FileConfig{}); err == nil {
		t.Error("a file exporter without a path was accepted")
	}
}

// TestFileCompressesAndKeepsBackups: with Compress and MaxBackups 1, after three
// rotations exactly one backup is left, gzipped, holding JSON lines; Shutdown waits for
// the cleanup, so it is done when Shutdown returns.
func TestFileCompressesAndKeepsBackups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	f, err := NewFile(FileConfig{Path: path, MaxBackups: 1, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := []sdklog.Record{recordtest.Make("t", func(r *log.Record) { r.SetBody(attribute.StringValue("m")) })}
	for range 3 {
		if err := f.Export(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		if err := f.Rotate(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // backup names carry the time to the millisecond
	}
	if err := f.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var backups []string
	for _, e := range entries {
		if e.Name() != "app.log" {
			backups = append(backups, e.Name())
		}
	}
	if len(backups) != 1 || !strings.HasSuffix(backups[0], ".log.gz") || !strings.HasPrefix(backups[0], "app-") {
		t.Fatalf("backups %v, want one app-<time>.log.gz", backups)
	}
	fh, err := os.Open(filepath.Join(dir, backups[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	lines := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("backup line is not JSON: %q", sc.Bytes())
		}
		lines++
	}
	if lines != 1 {
		t.Errorf("backup holds %d lines, want 1", lines)
	}
}
