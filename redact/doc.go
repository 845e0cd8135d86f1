// Package redact is resilog's redaction engine: it finds secrets and personal data in
// text, OpenTelemetry attribute values and JSON, and masks them.
//
//	bridge ─► DedupKeys ─► Correlate ─► Redact ─► Batch ─► exporter
//	                                      │
//	                                      └─ processor.Redact applies this engine to each record
//
// The same engine serves the library (through processor.Redact, before any exporter or
// file sees a record) and the command line (resilog redact, on existing log files), so
// that both find the same things.
//
// What it finds is one table, [Rules]: one [Rule] per [Kind] of secret, with its group,
// the key names whose values are that kind, its value detector and validator and its
// default mask. Placeholders, groups, the README's table and the tests are derived from
// it; adding a kind is adding one entry (and its lines in the test corpus).
//
//	r, err := redact.New(redact.Config{Off: []redact.Group{redact.GroupContact}})
//	r.String("login user=jdoe password=hunter22") // login user=jdoe password=[REDACTED:secret]
//
// A Redactor is safe for concurrent use; a value with nothing to redact is returned as it
// is, without allocating.
package redact
