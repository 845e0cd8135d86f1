package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/processor"
)

// replayBlockTimeout is how long reading waits for room in the queue; past it the
// record is dropped and counted (block_timeout).
const replayBlockTimeout = time.Minute

// maxReplayLine bounds one line of a replayed file: a line is one request, and resilog
// writes one record per line.
const maxReplayLine = 64 << 20

// replayCmd exports an OTLP/JSON lines file (RESILOG_FALLBACK_FORMAT=otlp-json) through
// the library, configured by the standard OTEL_* variables, and prints the accounting.
func replayCmd(args []string, stdin io.Reader, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") && args[0] != "-" {
		fmt.Fprint(stderr, "usage: resilog replay FILE   (FILE - reads standard input)\n")
		return 2
	}
	if v, ok := os.LookupEnv("OTEL_SDK_DISABLED"); ok {
		if off, _ := strconv.ParseBool(strings.TrimSpace(v)); off {
			// The records would go to the console exporter alone, counted as exported.
			fmt.Fprintln(stderr, "resilog replay: OTEL_SDK_DISABLED=true: replaying would export nothing; unset it to replay")
			return 2
		}
	}
	in := stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(stderr, "resilog replay:", err)
			return 1
		}
		defer f.Close()
		in = f
		// Stop at the size the file has now: what is appended while it is replayed (the
		// fallback of this very command, `resilog replay f >> f`, or the service still
		// writing) is read by the next replay, and never read back in a loop.
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			in = io.LimitReader(f, fi.Size())
		}
	}
	// The file carries each record's resource: the variables that would add to it or
	// replace its service.name describe the machine replaying, not the service that logged.
	os.Unsetenv("OTEL_SERVICE_NAME")
	os.Unsetenv("OTEL_RESOURCE_ATTRIBUTES")

	ctx := context.Background()
	r := newReplayer("resilog replay", stderr)
	code := r.read(ctx, in, stderr)
	st, ok := r.shutdown(ctx)
	if !ok && code == 0 {
		code = 1
	}
	// On stderr: stdout is the default fallback, where the records the collector did not
	// take are written (in OTLP/JSON again with RESILOG_FALLBACK_FORMAT=otlp-json).
	fmt.Fprintf(stderr, "resilog replay: lines=%d skipped=%d records=%d emitted=%d exported=%d fallback=%d dropped=%d%s\n",
		r.lines, r.skipped, r.records, st.Emitted, st.Exported, st.Fallback, st.DroppedTotal, reasons(st.Dropped))
	if st.Exported != uint64(r.records) && code == 0 {
		// Not every record read reached the collector (the fallback took some, or the
		// environment switched export off: OTEL_LOGS_EXPORTER=none, OTEL_SDK_DISABLED):
		// the file is still needed.
		code = 1
	}
	return code
}

func reasons(dropped map[string]uint64) string {
	var parts []string
	for k, v := range dropped {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " ") + ")"
}

// maxOpenPipelines bounds the pipelines open at once (each has its goroutines and its
// connection): a file spanning many process runs has a resource per run.
const maxOpenPipelines = 4

// replayer emits the records of each resource through a pipeline built for that resource;
// the least recently used one is shut down (its records flushed, its counts kept) when
// another resource needs one and maxOpenPipelines are open.
type replayer struct {
	open                    []openPipeline // least recently used first
	st                      resilog.Stats  // of the pipelines shut down
	shutdownFailed          bool
	name                    string // the command, in its error messages
	stderr                  io.Writer
	lines, skipped, records int
}

func newReplayer(name string, stderr io.Writer) *replayer {
	return &replayer{name: name, stderr: stderr, st: resilog.Stats{Dropped: map[string]uint64{}}}
}

// shutdown shuts the open pipelines down and returns the counts of all of them, and
// whether every shutdown succeeded (each failure is reported).
func (r *replayer) shutdown(ctx context.Context) (resilog.Stats, bool) {
	for len(r.open) > 0 {
		r.shutdownOldest(ctx)
	}
	return r.st, !r.shutdownFailed
}

type openPipeline struct {
	key string // resourceKey
	p   *resilog.Pipeline
}

// shutdownOldest shuts the least recently used pipeline down and adds its counts.
func (r *replayer) shutdownOldest(ctx context.Context) {
	p := r.open[0].p
	r.open = r.open[1:]
	if err := p.Shutdown(ctx); err != nil {
		fmt.Fprintf(r.stderr, "%s: %v\n", r.name, err)
		r.shutdownFailed = true
	}
	s := p.Stats()
	r.st.Emitted += s.Emitted
	r.st.Exported += s.Exported
	r.st.Fallback += s.Fallback
	r.st.DroppedTotal += s.DroppedTotal
	for k, v := range s.Dropped {
		r.st.Dropped[k] += v
	}
}

func (r *replayer) read(ctx context.Context, in io.Reader, stderr io.Writer) int {
	br := bufio.NewReaderSize(in, 1<<20)
	code := 0
	for n := 1; ; n++ {
		line, err := readLine(br)
		if errors.Is(err, errLongLine) {
			r.lines++
			r.skipped++
			fmt.Fprintf(stderr, "resilog replay: line %d skipped: %v\n", n, err)
			code = 1
			continue
		}
		if len(bytes.TrimSpace(line)) > 0 {
			r.lines++
			rls, derr := otlpenc.DecodeRequestJSON(line)
			if derr == nil && len(rls) == 0 {
				// Valid JSON without resourceLogs: most likely a line of the readable
				// format, which holds too little to be replayed as the record it was.
				derr = errors.New("no resourceLogs: not an OTLP/JSON line (the fallback writes these with RESILOG_FALLBACK_FORMAT=otlp-json)")
			}
			if derr != nil {
				r.skipped++
				fmt.Fprintf(stderr, "resilog replay: line %d skipped: %v\n", n, derr)
				code = 1
			} else if perr := r.emit(ctx, rls); perr != nil {
				fmt.Fprintln(stderr, "resilog replay:", perr)
				return 2
			}
		}
		if errors.Is(err, io.EOF) {
			return code
		}
		if err != nil {
			fmt.Fprintln(stderr, "resilog replay: reading:", err)
			return 1
		}
	}
}

// errLongLine is readLine's error for a line longer than maxReplayLine.
var errLongLine = fmt.Errorf("longer than %d bytes", maxReplayLine)

// readLine returns the next line without its ending. A line longer than maxReplayLine is
// read up to its end without being kept, and returned as errLongLine (or as the reading
// error, if one ends it first).
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			line = append(line, chunk...)
			if len(line) > maxReplayLine {
				long, line = true, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if long && (err == nil || errors.Is(err, io.EOF)) {
			// The next read returns EOF again (an empty line) when the long line was the last.
			return nil, errLongLine
		}
		return bytes.TrimRight(line, "\r\n"), err
	}
}

func (r *replayer) emit(ctx context.Context, rls []otlpenc.ResourceLogs) error {
	for _, rl := range rls {
		p, err := r.pipeline(ctx, rl)
		if err != nil {
			return err
		}
		for _, sl := range rl.Scopes {
			opts := []log.LoggerOption{log.WithInstrumentationVersion(sl.Version), log.WithSchemaURL(sl.SchemaURL)}
			if len(sl.Attributes) > 0 {
				opts = append(opts, log.WithInstrumentationAttributes(sl.Attributes...))
			}
			logger := p.LoggerProvider().Logger(sl.Name, opts...)
			for i := range sl.Records {
				rec := &sl.Records[i]
				var lr log.Record
				lr.SetTimestamp(rec.Timestamp)
				lr.SetObservedTimestamp(rec.ObservedTimestamp)
				lr.SetSeverity(rec.Severity)
				lr.SetSeverityText(rec.SeverityText)
				lr.SetBody(rec.Body)
				lr.SetEventName(rec.EventName)
				lr.AddAttributes(rec.Attributes...)
				rctx := ctx
				if rec.TraceID.IsValid() {
					rctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
						TraceID: rec.TraceID, SpanID: rec.SpanID, TraceFlags: rec.TraceFlags, Remote: true,
					}))
				}
				logger.Emit(rctx, lr)
				r.records++
			}
		}
	}
	return nil
}

// pipeline returns the pipeline of rl's resource, built on first use from the OTEL_*
// environment with that resource as it is.
func (r *replayer) pipeline(ctx context.Context, rl otlpenc.ResourceLogs) (*resilog.Pipeline, error) {
	key := resourceKey(rl)
	for i, o := range r.open {
		if o.key == key {
			r.open = append(append(r.open[:i:i], r.open[i+1:]...), o)
			return o.p, nil
		}
	}
	if len(r.open) == maxOpenPipelines {
		r.shutdownOldest(ctx)
	}
	// A file is read faster than any collector takes it: a full queue makes the reading
	// wait (the queue drains to the collector, or to the fallback while it is down)
	// rather than send records to the fallback the file is replayed from. The records
	// passed their levels when they were logged: none is filtered again (WithLevels("")
	// sets aside RESILOG_LOG_LEVELS' prefixes, WithLevel its default).
	p, err := resilog.New(ctx, resilog.WithResource(resource.NewWithAttributes(rl.SchemaURL, rl.Resource...)),
		resilog.WithOverflow(processor.OverflowBlock), resilog.WithBatch(processor.BatchConfig{BlockTimeout: replayBlockTimeout}),
		resilog.WithLevels(""), resilog.WithLevel(slog.Level(math.MinInt32)))
	if err != nil {
		return nil, err
	}
	r.open = append(r.open, openPipeline{key, p})
	return p, nil
}

// resourceKey identifies a resource by its schema URL and its attributes in canonical order.
func resourceKey(rl otlpenc.ResourceLogs) string {
	set := attribute.NewSet(rl.Resource...)
	enc := set.Encoded(attribute.DefaultEncoder())
	return rl.SchemaURL + "\x00" + enc
}
