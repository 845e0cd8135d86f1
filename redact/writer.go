package redact

import (
	"io"
	"slices"
	"strings"
)

// The Writer's window: text is redacted writerWindow bytes at a time, with writerContext
// bytes already written kept before it (what a detector looks back at: the key of a
// key=value) and writerHold bytes held back after it (what it looks ahead at), so that
// a secret up to writerHold long is found whole wherever the window ends.
const (
	writerWindow  = 64 << 10
	writerContext = 1 << 10
	writerHold    = 8 << 10
)

// Writer redacts free text of any length written through it, in bounded memory (about
// 75 KiB), and writes the result to the underlying writer: what [Redactor.String] does,
// for text too long to hold at once (a multi-megabyte log line). Close writes what is
// held back; it does not close the underlying writer. A Writer is not safe for
// concurrent use.
type Writer struct {
	r   *Redactor
	w   io.Writer
	buf []byte // ctx bytes already written, then pending ones
	ctx int
	// runOn is the kind of a secret cut at the end of the last window: the next one
	// masks its continuation first.
	runOn Kind
	err   error
}

// NewWriter returns a Writer that writes the redacted text to w.
func (r *Redactor) NewWriter(w io.Writer) *Writer {
	return &Writer{r: r, w: w}
}

// Write redacts p as part of the text and writes what is final; it holds back at most
// writerWindow+writerHold bytes. It returns len(p) unless the underlying writer failed.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	written := len(p)
	for len(p) > 0 {
		n := min(len(p), writerWindow+writerHold-(len(w.buf)-w.ctx))
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]
		if len(w.buf)-w.ctx >= writerWindow+writerHold {
			w.flush(false)
		}
		if w.err != nil {
			return 0, w.err
		}
	}
	return written, nil
}

// Close writes what is held back.
func (w *Writer) Close() error {
	if w.err == nil && len(w.buf) > w.ctx {
		w.flush(true)
	}
	return w.err
}

// flush redacts the window and writes it, all of it when final, else up to a cut no
// secret crosses.
func (w *Writer) flush(final bool) {
	s := string(w.buf)
	var spans []Span
	if w.runOn != KindNone {
		// The rest of a secret the last window cut: up to the first byte no token,
		// base64 or escaped PEM body holds.
		end := w.ctx
		for end < len(s) && (credentialChar(s[end]) || s[end] == '\\') {
			end++
		}
		spans = append(spans, Span{w.ctx, end, w.runOn})
		w.runOn = KindNone
	}
	if len(s) > 0 && (len(w.r.patterns) > 0 || mayContain(s)) {
		spans = w.r.findSpans(s, scanFlags(s), spans)
		slices.SortStableFunc(spans, func(a, b Span) int { return a.Start - b.Start })
	}
	cut := len(s)
	if !final {
		cut = len(s) - writerHold
		for _, sp := range spans {
			if sp.Start < cut && sp.End > cut {
				if sp.End < len(s) {
					cut = sp.End // the held-back bytes hold its end: write it whole
				} else if sp.Start-w.ctx >= writerHold {
					cut = sp.Start // it may run on: wait for the rest
				} else {
					// Longer than the window (a PEM body, a huge token): masked up to
					// the cut, and its continuation at the start of the next window.
					w.runOn = sp.Kind
				}
			}
		}
	}
	var b strings.Builder
	pos := w.ctx
	for _, sp := range spans {
		start, end := max(sp.Start, pos), min(sp.End, cut)
		if start >= end {
			continue
		}
		b.WriteString(s[pos:start])
		b.WriteString(w.r.maskSecret(sp.Kind, w.r.maskFor(sp.Kind), s[start:end]))
		pos = end
	}
	if pos < cut {
		b.WriteString(s[pos:cut])
	}
	if _, err := io.WriteString(w.w, b.String()); err != nil {
		w.err = err
		return
	}
	keep := max(0, cut-writerContext)
	w.buf = append(w.buf[:0], s[keep:]...)
	w.ctx = cut - keep
}
