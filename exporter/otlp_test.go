package exporter

import (
	"crypto/tls"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 14 item 11: an endpoint written the usual wrong ways gets an error that says how
// to write it, and still quotes nothing of it.
func TestValidateEndpointSaysHowToFixIt(t *testing.T) {
	for _, tc := range []struct{ endpoint, hint string }{
		{"127.0.0.1:4318", "add http://"},
		{"localhost:4318", "add http://"},
		{"collector.internal", "add http://"},
		{"http:collector:4318", `no "//"`},
		{`"http://collector:4318"`, "quotes"},
		{"'http://collector:4318'", "quotes"},
		{" http://collector:4318", "spaces"},
		{"grpc://collector:4317", "must be http or https"},
	} {
		err := ValidateEndpoint(tc.endpoint)
		if !errors.Is(err, ErrInvalidOTLPConfig) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%s: %v, want a hint with %q", tc.endpoint, err, tc.hint)
		}
		if err != nil && strings.Contains(err.Error(), "collector") {
			t.Errorf("%s: the error quotes the host: %v", tc.endpoint, err)
		}
	}
	const key = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgt"
	if err := ValidateEndpoint(key + ":4318"); err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("a token pasted as host:port: %v", err)
	}
	for _, ok := range []string{"http://127.0.0.1:4318", "https://collector/v1/logs"} {
		if err := ValidateEndpoint(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// The TLS fields are checked together, and the files are read by Validate, so that New
// reports a missing or wrong file as a configuration error.
func TestValidateTLSSettings(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for name, tc := range map[string]struct {
		c    OTLPConfig
		want string
	}{
		"certificate without key":  {OTLPConfig{ClientCertificateFile: garbage}, "both its certificate file and its key file"},
		"key without certificate":  {OTLPConfig{ClientKeyFile: garbage}, "both its certificate file and its key file"},
		"TLS and files":            {OTLPConfig{TLS: &tls.Config{}, CertificateFile: garbage}, "both a TLS configuration and certificate files"},
		"HTTP client and TLS":      {OTLPConfig{HTTPClient: &http.Client{}, TLS: &tls.Config{}}, "on the client's Transport"},
		"HTTP client and CA file":  {OTLPConfig{HTTPClient: &http.Client{}, CertificateFile: garbage}, "on the client's Transport"},
		"missing CA file":          {OTLPConfig{CertificateFile: missing}, "no such file"},
		"CA file without PEM":      {OTLPConfig{CertificateFile: garbage}, "holds no PEM certificate"},
		"client key pair not PEM":  {OTLPConfig{ClientCertificateFile: garbage, ClientKeyFile: garbage}, "client certificate"},
		"unknown compression":      {OTLPConfig{Compression: "brotli"}, `compression "brotli"`},
		"compression holds secret": {OTLPConfig{Compression: "Bearer abc.def"}, "compression (not shown)"},
	} {
		err := tc.c.Validate()
		if !errors.Is(err, ErrInvalidOTLPConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	// The key variable given the key itself: the error must not print it.
	const keyPEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5sOX2yMTkdA3xoAoGCCqGSM49\n-----END EC PRIVATE KEY-----"
	const keyB64 = "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5sOX2yMTkdA3xoAoGCCqGSM49"
	for key, want := range map[string]string{keyPEM: "holds PEM content", keyB64: "no such file"} {
		err := OTLPConfig{ClientCertificateFile: garbage, ClientKeyFile: key}.Validate()
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), keyB64) {
			t.Errorf("key given as content: %v, want an error with %q that does not quote it", err, want)
		}
	}
	for name, c := range map[string]OTLPConfig{
		"zstd":                        {Compression: CompressionZstd},
		"TLS":                         {Endpoint: "https://collector:4318/v1/logs", TLS: &tls.Config{}},
		"HTTP client and TLS on gRPC": {Protocol: ProtocolGRPC, Endpoint: "https://collector:4317", HTTPClient: &http.Client{}, TLS: &tls.Config{}},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
