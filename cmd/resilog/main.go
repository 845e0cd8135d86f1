// Command resilog is resilog's command line.
//
//	resilog redact < app.log > app.redacted.log
//	resilog replay fallback.jsonl
//
// redact reads lines on standard input and writes them redacted to standard output, with
// the same engine as the library (package redact). A line that is a JSON object or array
// is redacted structurally (keys and values, recursively); any other line, or one that
// is not valid JSON after all, is redacted as free text. Only what is redacted changes:
// a line with nothing to redact comes out byte for byte as it went in (line ending,
// spacing, escapes, invalid UTF-8, a missing final newline), and a JSON line keeps its
// spacing and escapes outside the values it masks. A line longer than 1 MiB is streamed
// through the engine in bounded memory, rather than held or dropped: structurally when
// it starts as JSON (redact.JSONWriter: keys and escapes read as for a short line, the
// rest redacted as text from where it stops being JSON), else as text.
//
// replay reads a file of OTLP/JSON lines, the fallback format of RESILOG_FALLBACK_FORMAT=otlp-json
// (exporter.OTLPJSONLines), and exports its records through the library, configured as a
// service is by the OTEL_* variables (endpoint, protocol, headers, TLS…): each record
// with its own timestamps, resource, scope, trace context and typed attributes. The file's
// resource replaces OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. Records the collector
// does not take go to the fallback, standard output; the accounting line (records read,
// exported, written to the fallback, dropped by reason) goes to standard error. A file is
// read up to the size it had when opened. Exit status 0 when every record read was
// exported; 1 when some were not, or a line was not one OTLP/JSON request (reported with
// its number, the others still replayed); 2 on a usage or configuration error, and with
// OTEL_SDK_DISABLED=true (nothing would be exported).
//
// Exit status of redact: 0 on success; 1 when the input cannot be read or the output written; 2
// on a usage error; 3 with -strict when a value had to be replaced whole, unread (too
// large or nested too deep to inspect), which is also reported on standard error, with
// its line number, without -strict.
//
//	resilog spool stat DIR
//	resilog spool cat DIR > records.jsonl
//	resilog spool replay DIR
//
// spool stat and cat read a spool directory (RESILOG_SPOOL_DIR) without taking it, so
// they can be run beside the process that writes it: stat prints, per run, the records,
// their bytes and the oldest and newest record times, then the totals and the damaged
// records found; cat writes the records, oldest first, as the fallback's JSON lines,
// each with its log.record.uid. spool replay is for a process that will not start
// again: it takes the directory and exports its records as replay does (OTEL_*
// variables, each record with its own resource, scope and times, the same accounting
// line on standard error), then empties the spool if every record was exported or
// written to the fallback; else it keeps them all. Exit status as for replay.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/resilog/resilog/redact"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: resilog redact [-off groups] [-strict] < in > out
       resilog replay FILE
       resilog spool stat|cat|replay DIR

Commands:
  redact   scrub log lines read on standard input (JSON structurally, other lines as text)
  replay   export an OTLP/JSON lines fallback file (RESILOG_FALLBACK_FORMAT=otlp-json) to the
           collector the OTEL_* variables name
  spool    stat|cat DIR: what a spool directory (RESILOG_SPOOL_DIR) holds; replay DIR: export it
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "redact":
		return redactCmd(args[1:], stdin, stdout, stderr)
	case "replay":
		return replayCmd(args[1:], stdin, stderr)
	case "spool":
		return spoolCmd(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "resilog: unknown command %q\n%s", args[0], usage)
	return 2
}

var groupNames = map[string]redact.Group{
	"credentials": redact.GroupCredentials,
	"payment":     redact.GroupPayment,
	"government":  redact.GroupGovernmentID,
	"contact":     redact.GroupContact,
}

// maxLine is the longest line redacted whole (a JSON line structurally); longer lines are
// streamed through the engine as text, in bounded memory.
const maxLine = 1 << 20

// redactOptions are the redact command's settings; tests shrink the bounds.
type redactOptions struct {
	cfg     redact.Config
	maxLine int
	strict  bool
}

func redactCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("redact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	off := fs.String("off", "", "comma-separated rule groups to switch off: credentials, payment, government, contact")
	strict := fs.Bool("strict", false, "exit 3 when a value had to be replaced whole (too large or too deep to inspect)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := redactOptions{maxLine: maxLine, strict: *strict}
	// Strings in a line are never longer than the line: none is replaced unread.
	o.cfg.MaxString = 2 * maxLine
	for _, name := range strings.Split(*off, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		g, ok := groupNames[name]
		if !ok {
			fmt.Fprintf(stderr, "resilog redact: unknown rule group %q\n", name)
			return 2
		}
		o.cfg.Off = append(o.cfg.Off, g)
	}
	return redactLines(o, stdin, stdout, stderr)
}

// redactLines copies stdin to stdout line by line, each line redacted. What it has
// nothing to redact in is copied byte for byte: line endings, spacing, escapes, invalid
// UTF-8, a missing final newline.
func redactLines(o redactOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	r, err := redact.New(o.cfg)
	if err != nil {
		fmt.Fprintln(stderr, "resilog redact:", err)
		return 2
	}
	in := bufio.NewReaderSize(stdin, o.maxLine)
	out := bufio.NewWriterSize(stdout, 64<<10)
	lines, whole := 0, 0
	for {
		line, err := in.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// Longer than maxLine: streamed through the engine in bounded memory, as JSON
			// (structurally, escapes decoded) when it starts as JSON, else as text.
			lines++
			var w io.WriteCloser = r.NewWriter(out)
			if isJSONStart(line) {
				w = r.NewJSONWriter(out)
			}
			for errors.Is(err, bufio.ErrBufferFull) {
				w.Write(line)
				line, err = in.ReadSlice('\n')
			}
			body, eol := splitEOL(line)
			w.Write(body)
			if cerr := w.Close(); cerr != nil {
				fmt.Fprintln(stderr, "resilog redact: writing output:", cerr)
				return 1
			}
			out.Write(eol)
		case len(line) > 0:
			lines++
			body, eol := splitEOL(line)
			red := redactLine(r, body)
			if n := replacedWhole(red) - replacedWhole(body); n > 0 {
				whole++
				fmt.Fprintf(stderr, "resilog redact: line %d: %d value(s) too large or too deep to inspect replaced whole\n", lines, n)
			}
			out.Write(red)
			out.Write(eol)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Flush()
			fmt.Fprintln(stderr, "resilog redact: reading input:", err)
			return 1
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(stderr, "resilog redact: writing output:", err)
		return 1
	}
	if whole > 0 {
		fmt.Fprintf(stderr, "resilog redact: %d line(s) had values replaced whole\n", whole)
		if o.strict {
			return 3
		}
	}
	return 0
}

// splitEOL splits a line from its ending ("\n", "\r\n" or none).
func splitEOL(line []byte) (body, eol []byte) {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return line[:n], line[n:]
}

// isJSONStart reports whether a line starts as a JSON object or array.
func isJSONStart(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// redactLine redacts a line that is a JSON object or array structurally (only what is
// redacted changes), any other line as text; with nothing to redact, it returns body.
func redactLine(r *redact.Redactor, body []byte) []byte {
	if isJSONStart(body) {
		if red, err := r.JSON(body); err == nil {
			return red
		}
	}
	if red := r.String(string(body)); red != string(body) {
		return []byte(red)
	}
	return body
}

var wholePlaceholders = [][]byte{[]byte(redact.KindTooLarge.Placeholder()), []byte(redact.KindTooDeep.Placeholder())}

// replacedWhole counts the placeholders of values replaced unread in b.
func replacedWhole(b []byte) int {
	n := 0
	for _, p := range wholePlaceholders {
		n += bytes.Count(b, p)
	}
	return n
}
