// Command resilog is resilog's command line.
//
//	resilog redact < app.log > app.redacted.log
//
// redact reads lines on standard input and writes them redacted to standard output, with
// the same engine as the library (package redact). A line that is a JSON object is
// redacted structurally (keys and values, recursively) and written back as compact JSON;
// any other line is redacted as free text. It exits 0 on success and non-zero, with a
// message on standard error, when the input cannot be read.
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

const usage = `usage: resilog redact [-off groups] < in > out

Commands:
  redact   scrub log lines read on standard input (JSON objects structurally, other lines as text)
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

func redactCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("redact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	off := fs.String("off", "", "comma-separated rule groups to switch off: credentials, payment, government, contact")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var cfg redact.Config
	for _, name := range strings.Split(*off, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		g, ok := groupNames[name]
		if !ok {
			fmt.Fprintf(stderr, "resilog redact: unknown rule group %q\n", name)
			return 2
		}
		cfg.Off = append(cfg.Off, g)
	}
	r, err := redact.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "resilog redact:", err)
		return 2
	}
	in := bufio.NewReaderSize(stdin, 64<<10)
	out := bufio.NewWriterSize(stdout, 64<<10)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			body := bytes.TrimRight(line, "\r\n")
			if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
				if red, jerr := r.JSON(trimmed); jerr == nil {
					body = red
				} else {
					body = []byte(r.String(string(body)))
				}
			} else {
				body = []byte(r.String(string(body)))
			}
			out.Write(body)
			out.WriteByte('\n')
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
	return 0
}
