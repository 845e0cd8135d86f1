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
	in := stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(stderr, "resilog replay:", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	// The file carries each record's resource: the variables that would add to it or
	// replace its service.name describe the machine replaying, not the service that logged.
	os.Unsetenv("OTEL_SERVICE_NAME")
	os.Unsetenv("OTEL_RESOURCE_ATTRIBUTES")

	ctx := context.Background()
	r := &replayer{pipelines: map[string]*resilog.Pipeline{}}
	code := r.read(ctx, in, stderr)
	var st resilog.Stats
	st.Dropped = map[string]uint64{}
	for _, p := range r.pipelines {
		if err := p.Shutdown(ctx); err != nil {
			fmt.Fprintln(stderr, "resilog replay:", err)
			code = 1
		}
		s := p.Stats()
		st.Emitted += s.Emitted
		st.Exported += s.Exported
		st.Fallback += s.Fallback
		st.DroppedTotal += s.DroppedTotal
		for k, v := range s.Dropped {
			st.Dropped[k] += v
		}
	}
	// On stderr: stdout is the default fallback, where the records the collector did not
	// take are written (in OTLP/JSON again with RESILOG_FALLBACK_FORMAT=otlp-json).
	fmt.Fprintf(stderr, "resilog replay: lines=%d skipped=%d records=%d emitted=%d exported=%d fallback=%d dropped=%d%s\n",
		r.lines, r.skipped, r.records, st.Emitted, st.Exported, st.Fallback, st.DroppedTotal, reasons(st.Dropped))
	if st.Emitted != st.Exported && code == 0 {
		code = 1 // not everything reached the collector: the file is still needed
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

// replayer emits the records of each resource through a pipeline built for that resource.
type replayer struct {
	pipelines               map[string]*resilog.Pipeline // by resource
	lines, skipped, records int
}

func (r *replayer) read(ctx context.Context, in io.Reader, stderr io.Writer) int {
	br := bufio.NewReaderSize(in, 1<<20)
	code := 0
	for n := 1; ; n++ {
		line, err := readLine(br)
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

// readLine returns the next line without its ending; a line longer than maxReplayLine
// is an error.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxReplayLine {
			return nil, fmt.Errorf("a line is longer than %d bytes", maxReplayLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
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
	if p, ok := r.pipelines[key]; ok {
		return p, nil
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
	r.pipelines[key] = p
	return p, nil
}

// resourceKey identifies a resource by its schema URL and its attributes in canonical order.
func resourceKey(rl otlpenc.ResourceLogs) string {
	set := attribute.NewSet(rl.Resource...)
	enc := set.Encoded(attribute.DefaultEncoder())
	return rl.SchemaURL + "\x00" + enc
}
