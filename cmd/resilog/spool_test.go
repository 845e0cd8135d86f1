//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/spool"
)

var t0 = time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)

// fillSpool writes n records to a spool in dir and leaves them there (not released), as
// a process that died would; the spool stays open when keepOpen.
func fillSpool(t *testing.T, dir string, n int, keepOpen bool) *spool.Spool {
	t.Helper()
	s, err := spool.Open(spool.Config{Dir: dir, Report: accounting.NewReport(&bytes.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "orders"))
	for i := range n {
		r := recordtest.Make("shop/orders", func(r *log.Record) {
			r.SetTimestamp(t0.Add(time.Duration(i) * time.Second))
			r.SetSeverity(log.SeverityInfo)
			r.SetBody(attribute.StringValue(fmt.Sprintf("order created %d", i)))
			r.AddAttributes(attribute.Int("order_id", i))
		}, sdklog.WithResource(res))
		if _, got := s.Append(&r); got != spool.Spooled {
			t.Fatalf("Append = %v", got)
		}
	}
	if keepOpen {
		t.Cleanup(func() { s.Close() })
		return s
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return nil
}

func runSpool(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"spool"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSpoolStatCountsRecordsPerRun(t *testing.T) {
	dir := t.TempDir()
	fillSpool(t, dir, 30, false)
	fillSpool(t, dir, 0, false) // a run that replayed nothing and wrote nothing
	s := fillSpool(t, dir, 12, true)

	code, out, errs := runSpool("stat", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("stat printed %d lines, want 2 runs and a total:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], "records=30 ") || !strings.Contains(lines[0], "oldest=2026-11-30T01:00:00Z newest=2026-11-30T01:00:29Z") {
		t.Errorf("first run: %q", lines[0])
	}
	if !strings.Contains(lines[1], "run "+s.Run().String()) || !strings.Contains(lines[1], fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(lines[1], "records=12 ") {
		t.Errorf("second run (still open, run %s): %q", s.Run(), lines[1])
	}
	if !regexp.MustCompile(`^total: runs=2 records=42 bytes=\d+ disk_bytes=\d+ corrupt=0 oldest=`).MatchString(lines[2]) {
		t.Errorf("total: %q", lines[2])
	}
}

func TestSpoolCatWritesJSONLinesWithUIDs(t *testing.T) {
	dir := t.TempDir()
	fillSpool(t, dir, 20, false)
	code, out, errs := runSpool("cat", dir)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	i := 0
	uids := map[string]bool{}
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i, err, sc.Text())
		}
		if m["msg"] != fmt.Sprintf("order created %d", i) || m["service"] != "orders" || m["logger"] != "shop/orders" {
			t.Errorf("line %d: %s", i, sc.Text())
		}
		uid, _ := m[spool.UIDKey].(string)
		if len(uid) != 32 || uids[uid] {
			t.Errorf("line %d: uid %q missing or repeated", i, uid)
		}
		uids[uid] = true
		i++
	}
	if i != 20 {
		t.Errorf("cat wrote %d records, want 20", i)
	}
}

func TestSpoolDamageIsCountedNotFatal(t *testing.T) {
	dir := t.TempDir()
	fillSpool(t, dir, 20, false)
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(files) != 1 {
		t.Fatalf("%d segment files, want 1", len(files))
	}
	data, _ := os.ReadFile(files[0])
	i := bytes.Index(data, []byte("order created 7"))
	data[i] ^= 0x20
	os.WriteFile(files[0], data, 0o600)

	code, out, _ := runSpool("stat", dir)
	if code != 0 || !strings.Contains(out, "records=19 ") || !strings.Contains(out, "corrupt=1 ") {
		t.Errorf("stat exit %d:\n%s", code, out)
	}
	code, out, errs := runSpool("cat", dir)
	if code != 0 || strings.Count(out, "\n") != 19 || strings.Contains(out, "order created 7\"") || !strings.Contains(errs, "1 damaged record(s) skipped") {
		t.Errorf("cat exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), errs)
	}
}

func TestSpoolUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"stat"}, {"frob", t.TempDir()}} {
		if code, _, errs := runSpool(args...); code != 2 || errs == "" {
			t.Errorf("spool %q: exit %d, stderr %q; want 2 and a usage line", args, code, errs)
		}
	}
	if code, _, errs := runSpool("stat", filepath.Join(t.TempDir(), "missing")); code != 1 || !strings.Contains(errs, "missing") {
		t.Errorf("missing directory: exit %d, stderr %q", code, errs)
	}
}

// The pipelines replay builds must not take a spool themselves: RESILOG_SPOOL_DIR, set
// for the service whose spool is replayed (here the very directory), would make them
// fail on the lock replay holds, or spool what they are sending.
func TestSpoolReplayIgnoresRESILOG_SPOOL_DIR(t *testing.T) {
	dir := t.TempDir()
	fillSpool(t, dir, 3, false)
	t.Setenv("RESILOG_SPOOL_DIR", dir)
	t.Setenv("OTEL_LOGS_EXPORTER", "console")
	code, _, stderr := runSpool("replay", dir)
	if code != 0 || !strings.Contains(stderr, "records=3 ") || !strings.Contains(stderr, "exported=3 ") {
		t.Fatalf("replay with RESILOG_SPOOL_DIR set: exit %d, stderr:\n%s", code, stderr)
	}
}
