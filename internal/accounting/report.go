package accounting

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resilog/resilog/internal/stdfd"
)

// maxPendingLines bounds the lines waiting for a blocked writer; later ones are lost (and
// counted). Reports are rate-limited, so a healthy stderr never comes near it.
const maxPendingLines = 16

// Report writes resilog's own lines (drops, export failures) to stderr, or to another
// writer, without ever making its caller wait: Print queues the line and returns; one
// goroutine, started when there is something to write and gone when there is not, does
// the writing. While the writer blocks (a stderr pipe nobody reads), at most
// maxPendingLines wait; lines beyond them are lost and counted ([Report.Lost]). So a
// blocked stderr costs at most one goroutine and a few lines of memory, never more.
//
// Stderr is written through a duplicate of descriptor 2 (package stdfd), so that a closed
// stderr pipe is a write error here, not a SIGPIPE that kills the process.
type Report struct {
	w io.Writer // nil: stderr

	mu       sync.Mutex
	pending  []string
	writing  bool          // the writer goroutine runs
	queued   uint64        // lines accepted by Print
	written  uint64        // lines the writer has finished with (written or failed)
	progress chan struct{} // closed, and replaced, each time a line is finished

	lost atomic.Uint64
}

// NewReport returns a Report writing to w (nil: stderr).
func NewReport(w io.Writer) *Report { return &Report{w: w} }

// stderr is the process's one report on stderr: descriptor 2 is the process's, so one
// writer for it, however many pipelines run.
var stderr = NewReport(nil)

// Stderr returns the report that writes to the process's stderr.
func Stderr() *Report { return stderr }

// Print queues line (a trailing newline is added if missing) and returns at once.
func (r *Report) Print(line string) {
	if line == "" {
		return
	}
	if line[len(line)-1] != '\n' {
		line += "\n"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) >= maxPendingLines {
		r.lost.Add(1)
		return
	}
	r.pending = append(r.pending, line)
	r.queued++
	if !r.writing {
		r.writing = true
		go r.run()
	}
}

// Lost returns how many lines were lost: not queued because the writer was blocked, or
// failed to write.
func (r *Report) Lost() uint64 { return r.lost.Load() }

// Wait waits until every line printed before the call is written, or timeout passes, and
// reports whether they were. It starts no goroutine, so calls that time out (stderr
// blocked) leave nothing behind.
func (r *Report) Wait(timeout time.Duration) bool {
	var t *time.Timer
	r.mu.Lock()
	target := r.queued
	for r.written < target {
		if r.progress == nil {
			r.progress = make(chan struct{})
		}
		ch := r.progress
		r.mu.Unlock()
		if t == nil {
			t = time.NewTimer(timeout)
			defer t.Stop()
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
	return true
}

// run writes the pending lines, oldest first, and returns when there are none.
func (r *Report) run() {
	var w io.Writer
	var closeW func()
	defer func() {
		if closeW != nil {
			closeW()
		}
	}()
	r.mu.Lock()
	for len(r.pending) > 0 {
		line := r.pending[0]
		copy(r.pending, r.pending[1:])
		r.pending[len(r.pending)-1] = ""
		r.pending = r.pending[:len(r.pending)-1]
		r.mu.Unlock()

		if w == nil {
			w, closeW = r.writer()
		}
		if _, err := io.WriteString(w, line); err != nil {
			r.lost.Add(1)
		}

		r.mu.Lock()
		r.written++
		if len(r.pending) == 0 {
			// Before Wait can return: a caller that waited sees no writer left but one
			// about to return.
			r.writing = false
		}
		if r.progress != nil {
			close(r.progress)
			r.progress = nil
		}
	}
	r.writing = false
	r.mu.Unlock()
}

// writer returns where to write, and what to close when the writer goroutine returns.
func (r *Report) writer() (io.Writer, func()) {
	if r.w != nil {
		return r.w, nil
	}
	if f, err := stdfd.Dup(os.Stderr); err == nil {
		return f, func() { f.Close() }
	}
	return os.Stderr, nil
}
