package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/spool"
)

const spoolUsage = `usage: resilog spool stat DIR    records, bytes and the oldest record, per run
       resilog spool cat DIR     the records as JSON lines, oldest first
       resilog spool replay DIR  export the records (OTEL_* variables) and empty the spool
`

// spoolCmd runs the spool commands. stat and cat read a spool directory
// (RESILOG_SPOOL_DIR) without taking it: beside a running process, they show what that
// process has written so far. replay takes it.
func spoolCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprint(stderr, spoolUsage)
		return 2
	}
	dir := args[1]
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		fmt.Fprintf(stderr, "resilog spool: %s: %v\n", dir, err)
		return 1
	}
	switch args[0] {
	case "stat":
		return spoolStat(dir, stdout, stderr)
	case "cat":
		return spoolCat(dir, stdout, stderr)
	case "replay":
		return spoolReplay(dir, stderr)
	}
	fmt.Fprintf(stderr, "resilog spool: unknown command %q\n%s", args[0], spoolUsage)
	return 2
}

// runStat is what stat reports for one run.
type runStat struct {
	run            spool.RunInfo
	records, bytes int64
	oldest, newest time.Time
	firstSeq       uint64
}

func spoolStat(dir string, stdout, stderr io.Writer) int {
	runs := map[spool.RunID]*runStat{}
	var total runStat
	found, err := spool.Scan(dir, func(e spool.Entry) bool {
		rs := runs[e.Run.ID]
		if rs == nil {
			rs = &runStat{run: e.Run, firstSeq: e.Seq}
			runs[e.Run.ID] = rs
		}
		for _, s := range []*runStat{rs, &total} {
			s.records++
			s.bytes += int64(e.Size)
			if t, ok := e.Time(); ok {
				if s.oldest.IsZero() || t.Before(s.oldest) {
					s.oldest = t
				}
				if t.After(s.newest) {
					s.newest = t
				}
			}
		}
		return true
	})
	if err != nil {
		fmt.Fprintf(stderr, "resilog spool stat: %v\n", err)
		return 1
	}
	order := make([]*runStat, 0, len(runs))
	for _, rs := range runs {
		order = append(order, rs)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].firstSeq < order[j].firstSeq })
	w := bufio.NewWriter(stdout)
	for _, rs := range order {
		if rs.run.Known {
			fmt.Fprintf(w, "run %s (pid %d, started %s): ", rs.run.ID, rs.run.PID, rs.run.Started.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprint(w, "run unknown (damaged segment header): ")
		}
		fmt.Fprintf(w, "records=%d bytes=%d%s\n", rs.records, rs.bytes, span(rs))
	}
	fmt.Fprintf(w, "total: runs=%d records=%d bytes=%d disk_bytes=%d corrupt=%d%s\n",
		len(order), total.records, total.bytes, diskBytes(dir), found.Corrupt, span(&total))
	newerSegments(found, "stat", stderr)
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "resilog spool stat: writing output: %v\n", err)
		return 1
	}
	return 0
}

// newerSegments says on stderr that segments a newer resilog wrote were left unread.
func newerSegments(found spool.Scanned, cmd string, stderr io.Writer) {
	if found.Newer > 0 {
		fmt.Fprintf(stderr, "resilog spool %s: %d segment(s) written by a newer resilog not read: use that version to read them\n", cmd, found.Newer)
	}
}

func span(rs *runStat) string {
	if rs.oldest.IsZero() {
		return ""
	}
	return fmt.Sprintf(" oldest=%s newest=%s", rs.oldest.UTC().Format(time.RFC3339Nano), rs.newest.UTC().Format(time.RFC3339Nano))
}

// diskBytes returns what the directory's files take.
func diskBytes(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

// spoolCat writes the records as the library's fallback writes them (JSON lines), each
// with its log.record.uid.
func spoolCat(dir string, stdout, stderr io.Writer) int {
	w := bufio.NewWriterSize(stdout, 64<<10)
	var buf []byte
	var werr error
	undecodable := 0
	found, err := spool.Scan(dir, func(e spool.Entry) bool {
		r, err := e.Record()
		if err != nil {
			undecodable++
			return true
		}
		buf = exporter.AppendJSON(buf[:0], &r)
		_, werr = w.Write(buf)
		return werr == nil
	})
	if werr == nil {
		werr = w.Flush()
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "resilog spool cat: %v\n", err)
		return 1
	case werr != nil:
		fmt.Fprintf(stderr, "resilog spool cat: writing output: %v\n", werr)
		return 1
	}
	if n := found.Corrupt + uint64(undecodable); n > 0 {
		fmt.Fprintf(stderr, "resilog spool cat: %d damaged record(s) skipped\n", n)
	}
	newerSegments(found, "cat", stderr)
	return 0
}

// spoolReplay exports the records a spool directory holds, for a process that will not
// start again, the way replay exports a fallback file: through the library, configured
// by the OTEL_* variables, each record with its own resource, scope and times. It takes
// the directory (a process still running there makes it fail, naming the process). The
// records are released, and their segments deleted, when every one of them was
// exported or written to the fallback; when some were dropped, all stay in the spool
// (they carry log.record.uid, so a backend can drop those a later replay sends again).
func spoolReplay(dir string, stderr io.Writer) int {
	s, err := spool.Open(spool.Config{Dir: dir, Report: accounting.NewReport(stderr)})
	if err != nil {
		fmt.Fprintln(stderr, "resilog spool replay:", err)
		return 1
	}
	// The records carry their resource: the variables that would add to it describe the
	// machine replaying, not the service that logged.
	os.Unsetenv("OTEL_SERVICE_NAME")
	os.Unsetenv("OTEL_RESOURCE_ATTRIBUTES")
	// Its pipelines send what the spool holds: they keep no spool of their own (the
	// service's RESILOG_SPOOL_DIR may be this very directory, which replay holds).
	os.Unsetenv("RESILOG_SPOOL_DIR")

	ctx := context.Background()
	r := newReplayer("resilog spool replay", stderr)
	var seqs []uint64
	code := 0
	for seq, rec := range s.Earlier() {
		if err := r.emit(ctx, []otlpenc.ResourceLogs{resourceLogsOf(&rec)}); err != nil {
			fmt.Fprintln(stderr, "resilog spool replay:", err)
			code = 2
			break
		}
		seqs = append(seqs, seq)
	}
	st, ok := r.shutdown(ctx)
	if !ok {
		code = max(code, 1)
	}
	kept := len(seqs)
	if code == 0 && st.DroppedTotal == 0 && st.Exported+st.Fallback == uint64(len(seqs)) {
		s.Release(seqs...)
		kept = 0
	}
	corrupt := s.Stats().Corrupt
	if err := s.Close(); err != nil {
		fmt.Fprintln(stderr, "resilog spool replay:", err)
		code = max(code, 1)
	}
	fmt.Fprintf(stderr, "resilog spool replay: records=%d corrupt=%d emitted=%d exported=%d fallback=%d dropped=%d%s kept=%d\n",
		len(seqs), corrupt, st.Emitted, st.Exported, st.Fallback, st.DroppedTotal, reasons(st.Dropped), kept)
	if st.Emitted != st.Exported && code == 0 {
		code = 1 // not everything reached the collector
	}
	return code
}

// resourceLogsOf returns r as replay's emitter takes it.
func resourceLogsOf(r *sdklog.Record) otlpenc.ResourceLogs {
	var res []attribute.KeyValue
	schema := ""
	if rs := r.Resource(); rs != nil {
		res, schema = rs.Attributes(), rs.SchemaURL()
	}
	scope := r.InstrumentationScope()
	rec := otlpenc.Record{
		Timestamp: r.Timestamp(), ObservedTimestamp: r.ObservedTimestamp(),
		Severity: r.Severity(), SeverityText: r.SeverityText(), Body: r.Body(),
		TraceFlags: r.TraceFlags(), TraceID: r.TraceID(), SpanID: r.SpanID(), EventName: r.EventName(),
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		rec.Attributes = append(rec.Attributes, kv)
		return true
	})
	return otlpenc.ResourceLogs{Resource: res, SchemaURL: schema, Scopes: []otlpenc.ScopeLogs{{
		Name: scope.Name, Version: scope.Version, SchemaURL: scope.SchemaURL,
		Attributes: scope.Attributes.ToSlice(), Records: []otlpenc.Record{rec},
	}}}
}
