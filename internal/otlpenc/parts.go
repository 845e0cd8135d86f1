package otlpenc

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// The parts of a request, for a store that keeps records one by one with their own
// resource and scope (package spool): the same encoding as AppendRequest's, so that a
// record reads back as it would have been exported.

// AppendResource appends the encoding of r as an OTLP Resource message (its schema URL
// belongs to ResourceLogs and is not included).
func AppendResource(b []byte, r *resource.Resource) []byte { return appendResource(b, r) }

// AppendScope appends the encoding of s as an OTLP InstrumentationScope message (its
// schema URL belongs to ScopeLogs and is not included).
func AppendScope(b []byte, s instrumentation.Scope) []byte { return appendScope(b, s) }

// AppendRecord appends the encoding of r as an OTLP LogRecord message.
func AppendRecord(b []byte, r *sdklog.Record) []byte { return appendRecord(b, r, nil) }

// AppendRecordAttribute appends kv as one more attribute of a LogRecord message whose
// encoding ends at b's end: attributes are a repeated field, so a field appended after
// the others is read as the last attribute.
func AppendRecordAttribute(b []byte, kv attribute.KeyValue) []byte {
	return appendKeyValueField(b, 6, kv, 0)
}
