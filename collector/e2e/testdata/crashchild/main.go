// Command crashchild is the service the crash tests kill: it logs records with a unique
// seq attribute from several goroutines through a resilog pipeline configured by the
// environment alone (OTEL_EXPORTER_OTLP_ENDPOINT, RESILOG_SPOOL_DIR), and writes each
// record's seq to file descriptor 3 once its log call has returned, so that the parent
// knows, whatever instant it kills it at, which records the library had accepted.
//
// CRASH_MODE says how the process ends:
//
//	burst  log until killed (CRASH_N = 0) or CRASH_N records, then Shutdown
//	fatal  once CRASH_N log calls returned, log.Fatal (slog is the default logger)
//	panic  once CRASH_N log calls returned, an unrecovered panic in a goroutine
//
// The other goroutines keep logging meanwhile. After a Shutdown the last line on stderr
// is "stats " and the pipeline's Stats as JSON. CRASH_FROM is the first seq, CRASH_WORKERS
// the number of goroutines (8), CRASH_PAD the size of a padding attribute (0), to make
// records big enough that the spool's segments fill up and rotate.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/resilog/resilog"
)

func main() {
	mode := os.Getenv("CRASH_MODE")
	from := envInt("CRASH_FROM", 0)
	n := envInt("CRASH_N", 0)
	workers := envInt("CRASH_WORKERS", 8)
	pad := strings.Repeat("p", envInt("CRASH_PAD", 0))
	returned := os.NewFile(3, "returned")

	ctx := context.Background()
	p, err := resilog.New(ctx, resilog.WithServiceName("crashchild"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashchild:", err)
		os.Exit(2)
	}
	logger := p.Logger("crashchild")
	slog.SetDefault(logger) // log.Fatal writes through it

	var next, done atomic.Int64
	limit := int64(n)
	if mode != "burst" {
		limit = 0 // fatal and panic: the process ends while the workers log
	}
	ended := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, 0, 24)
			for {
				i := next.Add(1) - 1
				if limit > 0 && i >= limit {
					return
				}
				seq := int64(from) + i
				logger.InfoContext(ctx, "order created", "seq", seq, "order_id", 1000+seq, "pad", pad)
				buf = strconv.AppendInt(buf[:0], seq, 10)
				buf = append(buf, '\n')
				if _, err := returned.Write(buf); err != nil {
					os.Exit(4) // the parent is gone
				}
				if done.Add(1) == int64(n) && mode != "burst" {
					ended <- struct{}{}
				}
			}
		})
	}
	switch mode {
	case "fatal":
		<-ended
		log.Fatalf("fatal after %d records", n)
	case "panic":
		<-ended
		go func() { panic(fmt.Sprintf("panic after %d records", n)) }()
		select {}
	}
	wg.Wait()
	if err := p.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "crashchild: shutdown:", err)
	}
	s, _ := json.Marshal(p.Stats())
	fmt.Fprintf(os.Stderr, "stats %s\n", s)
}

func envInt(name string, def int) int {
	v, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		return def
	}
	return v
}
