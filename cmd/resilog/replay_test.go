package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayUsage(t *testing.T) {
	for _, args := range [][]string{{"replay"}, {"replay", "a", "b"}, {"replay", "-x"}} {
		var stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), new(bytes.Buffer), &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: resilog replay FILE") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"replay", filepath.Join(t.TempDir(), "missing")}, nil, new(bytes.Buffer), &stderr); code != 1 {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr.String())
	}
}

// TestReplaySkipsLinesThatAreNotOTLPJSON: a line that is not an OTLP/JSON request (a torn
// last line, a readable JSON line) is reported with its number and skipped; the others are
// still replayed, and the exit status says the file was not all replayed.
func TestReplaySkipsLinesThatAreNotOTLPJSON(t *testing.T) {
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	in := `{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"body":{"stringValue":"ok"}}]}]}]}
{"time":"2026-05-07T14:32:01Z","level":"INFO","msg":"readable JSON line"}

{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"traceId":"zz"}]}]}]}
{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringVa`
	path := filepath.Join(t.TempDir(), "fallback.jsonl")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{path, "-"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"replay", arg}, strings.NewReader(in), &stdout, &stderr)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", arg, code)
		}
		for _, want := range []string{"line 2 skipped: no resourceLogs", "line 4 skipped", "line 5 skipped", "lines=4 skipped=3 records=1 "} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s: stderr lacks %q:\n%s", arg, want, stderr.String())
			}
		}
		if strings.Contains(stderr.String(), "line 1 skipped") {
			t.Errorf("%s: a valid line was skipped:\n%s", arg, stderr.String())
		}
	}
}

// TestReplayFiltersNoLevel: the records passed their levels when they were logged; the
// levels of the replaying environment (RESILOG_LOG_LEVELS, prefixes included) filter none.
func TestReplayFiltersNoLevel(t *testing.T) {
	t.Setenv("OTEL_LOGS_EXPORTER", "console") // stdout: no collector needed
	t.Setenv("RESILOG_LOG_LEVELS", "error,github.com/acme=error")
	in := `{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"github.com/acme/shop"},"logRecords":[{"severityNumber":5,"body":{"stringValue":"debug, replayed"}}]}]}]}` + "\n"
	path := filepath.Join(t.TempDir(), "fallback.jsonl")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", path}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "records=1 emitted=1 exported=1 ") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}
