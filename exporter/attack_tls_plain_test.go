package exporter

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Found by attacktls: certificate settings with an http:// endpoint are silently
// ignored: a service configured for mutual TLS (CA file, client certificate and key —
// OTEL_EXPORTER_OTLP_CERTIFICATE / _CLIENT_CERTIFICATE / _CLIENT_KEY) whose endpoint
// says http:// by mistake passes Validate, builds, and sends every record and its
// API-key header in cleartext, with no error, no stderr line, nothing in Stats. Validate
// already refuses other contradictory TLS settings (TLS and files, an HTTP client and
// files); this one contradicts the user's evident intent and leaks credentials on the
// wire. Correct: Validate (and so New) rejects TLS settings with an http:// endpoint,
// saying to use https:// (the same for gRPC, where OTEL_EXPORTER_OTLP_INSECURE=true with
// certificate files is equally contradictory).
func TestTLSSettingsWithHTTPEndpointRefused(t *testing.T) {
	var mu sync.Mutex
	var gotKey []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotKey = append(gotKey, r.Header.Get("Api-Key"))
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	block, _ := pem.Decode(certPEM)
	for p, b := range map[string][]byte{ca: pem.EncodeToMemory(block), cert: certPEM, key: keyPEM} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := OTLPConfig{
		Endpoint:        srv.URL + "/v1/logs", // http://: the mistake
		Headers:         map[string]string{"Api-Key": "k-live-7f3a9c"},
		CertificateFile: ca, ClientCertificateFile: cert, ClientKeyFile: key,
	}
	if err := c.Validate(); err != nil {
		if !errors.Is(err, ErrInvalidOTLPConfig) || !strings.Contains(err.Error(), "https://") {
			t.Errorf("Validate = %v, want an ErrInvalidOTLPConfig that says to use https://", err)
		}
		return // rejected: the correct behaviour
	}
	o, err := NewOTLP(context.Background(), c)
	if err != nil {
		return
	}
	defer o.Shutdown(context.Background())
	exportErr := o.Export(context.Background(), plainRecords())
	mu.Lock()
	defer mu.Unlock()
	if len(gotKey) > 0 {
		t.Errorf("with a CA file and a client certificate configured, Validate and NewOTLP accepted an http:// endpoint and the export went out in cleartext (Export = %v), API key %q readable on the wire", exportErr, gotKey[0])
	}
}

// The same for a TLS configuration given in code, and for the default endpoint, which is
// http://.
func TestTLSConfigWithDefaultPlaintextEndpointRefused(t *testing.T) {
	for _, c := range []OTLPConfig{
		{TLS: &tls.Config{MinVersion: tls.VersionTLS12}},
		{Protocol: ProtocolGRPC, Endpoint: "http://collector:4317", TLS: &tls.Config{MinVersion: tls.VersionTLS12}},
	} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidOTLPConfig) {
			t.Errorf("Validate(%s, %q) = %v, want an ErrInvalidOTLPConfig", c.Protocol, c.Endpoint, err)
		}
	}
	if err := (OTLPConfig{Endpoint: "https://collector:4318/v1/logs", TLS: &tls.Config{MinVersion: tls.VersionTLS12}}).Validate(); err != nil {
		t.Errorf("a TLS configuration with an https:// endpoint: %v", err)
	}
}
