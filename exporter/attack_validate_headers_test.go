package exporter

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Found by attacktls: OTLPConfig.Validate says nothing about Headers, and resilog's own
// check (parseHeaders / WithHeaders) rejects only CR, LF and NUL. A header value with any
// other control character (OTEL_EXPORTER_OTLP_HEADERS="api-key=k%01x", a key copied with
// a stray \x1b or \x7f) passes Validate and New, and then net/http refuses every request
// ("invalid header field value") before it leaves: each export fails, classified
// *transient*, so every batch is retried for the whole retry budget against a collector
// that never sees a request — a configuration error reported as an outage. Correct:
// Validate (and New) reject a header name or value HTTP cannot carry, with
// ErrInvalidOTLPConfig, not quoting it.
func TestValidateRefusesHeaderHTTPCannotSend(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	c := OTLPConfig{Endpoint: srv.URL + "/v1/logs", Headers: map[string]string{"Api-Key": "k-live\x01-7f3a9c"}}
	verr := c.Validate()
	if verr != nil {
		if !errors.Is(verr, ErrInvalidOTLPConfig) || strings.Contains(verr.Error(), "7f3a9c") {
			t.Errorf("Validate = %v, want an ErrInvalidOTLPConfig that does not quote the value", verr)
		}
		return // rejected up front: correct
	}
	o, err := NewOTLP(context.Background(), c)
	if err != nil {
		return
	}
	defer o.Shutdown(context.Background())
	err = o.Export(context.Background(), plainRecords())
	var ee *ExportError
	if err != nil && errors.As(err, &ee) && hits == 0 {
		t.Errorf("Validate passed a header value net/http cannot send; every export then fails before reaching the collector (permanent=%v): %v", ee.Permanent, err)
	}
}
