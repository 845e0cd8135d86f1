package exporter

import (
	"io"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/otlpenc"
)

// OTLPJSONLines writes records in the OTLP/JSON encoding, one ExportLogsServiceRequest
// holding one record per line: the fallback format that loses nothing. Each line keeps
// the record's own timestamps, resource (every attribute, not only service.name), scope
// (name, version, attributes, schema URL), trace flags, event name and typed values (an
// int stays an int, bytes stay bytes), so `resilog replay FILE` can later export the
// file to a collector as if the collector had never been down, and any OTLP/JSON reader
// can read it. One record per line keeps lines short (container runtimes split lines
// longer than 16 KiB) and a line torn by a crash costs one record.
//
// Strings are escaped so that no value can start a new line (see [JSONLines]). On the
// process's stdout or stderr a closed pipe is an error, not a SIGPIPE, as for
// [NewJSONLines].
type OTLPJSONLines struct{ lines }

// NewOTLPJSONLines returns an exporter that writes to w. Writes are serialised; one
// Export is one Write call.
func NewOTLPJSONLines(w io.Writer) *OTLPJSONLines {
	j := new(OTLPJSONLines)
	j.init(w, appendOTLPJSON)
	return j
}

// appendOTLPJSON appends r as one OTLP/JSON ExportLogsServiceRequest line (with its
// newline) to b, with uid (nil: none) as its log.record.uid.
func appendOTLPJSON(b []byte, r *sdklog.Record, uid []byte) []byte {
	b = otlpenc.AppendRecordRequestJSON(b, r, uid)
	return append(b, '\n')
}
