package processor

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/redact"
)

// Redact removes secrets and personal data from records before any exporter sees them:
// it is the [redact] engine applied to a record's body, every attribute, its event name
// and severity text (see
// [redact.Redactor] for what it finds and how it masks).
//
// A record's instrumentation scope cannot be changed by a processor: resilog redacts it
// when a Logger is created.
//
// The record's own Datadog IDs (dd.trace_id and dd.span_id as Correlate writes them, the
// decimal of its trace and span IDs) are kept as they are: one in forty has the digits and
// checksum of a card number, and a masked one loses the log's trace in Datadog.
//
// A record without anything to redact is not modified and costs no allocation. Redact is
// safe for concurrent use.
type Redact struct {
	engine *redact.Redactor
}

var _ sdklog.Processor = (*Redact)(nil)

// NewRedact returns a Redact applying engine to records; resilog.New hands the same
// engine to the resource's redaction.
func NewRedact(engine *redact.Redactor) *Redact {
	return &Redact{engine: engine}
}

// Enabled returns true.
func (r *Redact) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown does nothing.
func (r *Redact) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (r *Redact) ForceFlush(context.Context) error { return nil }

// OnEmit redacts rec in place: its body, attributes, event name and severity text (which
// bridges other than slog may set to anything).
func (r *Redact) OnEmit(_ context.Context, rec *sdklog.Record) error {
	if body, changed := r.engine.Value(rec.Body()); changed {
		rec.SetBody(body)
	}
	if s := rec.EventName(); s != "" {
		if out := r.engine.String(s); out != s {
			rec.SetEventName(out)
		}
	}
	if s := rec.SeverityText(); s != "" {
		if out := r.engine.String(s); out != s {
			rec.SetSeverityText(out)
		}
	}
	if rec.AttributesLen() == 0 {
		return nil
	}
	// First pass: clean attributes (the usual case) are checked without being copied;
	// the others are redacted once and remembered by position.
	var memoBuf [8]memo
	memos := memoBuf[:0]
	i := 0
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		if r.engine.MayChange(kv) {
			// Datadog's decimal IDs can have a card number's digits and checksum.
			if out, keep, changed := r.engine.KeyValue(kv); changed && !isOwnDatadogID(rec, kv) {
				memos = append(memos, memo{i, out, keep})
			}
		}
		i++
		return true
	})
	if len(memos) == 0 {
		return nil
	}
	// Second pass, only for records that hold something to redact: every attribute is
	// copied to buf as it is or as redacted; buf lives on the stack for up to 16.
	var buf [16]attribute.KeyValue
	attrs := buf[:0]
	i = 0
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		if len(memos) > 0 && memos[0].index == i {
			if memos[0].keep {
				attrs = append(attrs, memos[0].kv)
			}
			memos = memos[1:]
		} else {
			attrs = append(attrs, kv)
		}
		i++
		return true
	})
	rec.SetAttributes(attrs...)
	return nil
}

// memo is a redacted attribute waiting for the second pass of OnEmit.
type memo struct {
	index int
	kv    attribute.KeyValue
	keep  bool
}
