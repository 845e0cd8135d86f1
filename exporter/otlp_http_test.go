package exporter

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	stdlog "log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

// bodies is an OTLP/HTTP stand-in that keeps each request's decoded body and encoding.
type bodies struct {
	mu        sync.Mutex
	encodings []string
	got       [][]byte
}

func (b *bodies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	enc := r.Header.Get("Content-Encoding")
	if enc == "zstd" {
		if body, err = zstd.DecodeTo(nil, body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	b.mu.Lock()
	b.encodings, b.got = append(b.encodings, enc), append(b.got, body)
	b.mu.Unlock()
}

// plainRecords are records with no map values, whose encoding is therefore the same on
// every export.
func plainRecords() []sdklog.Record {
	var out []sdklog.Record
	for i := range 20 {
		out = append(out, recordtest.Make("github.com/acme/shop", func(r *log.Record) {
			r.SetBody(attribute.StringValue(strings.Repeat("order accepted ", 5)))
			r.AddAttributes(attribute.Int("seq", i), attribute.String("user", "u-42"))
		}))
	}
	return out
}

func exportOnce(t *testing.T, c OTLPConfig, records []sdklog.Record) error {
	t.Helper()
	o, err := NewOTLP(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	return o.Export(context.Background(), records)
}

// Issue 14 item 9: zstd bodies are labelled zstd and decode to the request sent
// uncompressed.
func TestHTTPZstdBody(t *testing.T) {
	b := new(bodies)
	srv := httptest.NewServer(b)
	defer srv.Close()
	records := plainRecords()
	for _, comp := range []string{CompressionNone, CompressionZstd} {
		if err := exportOnce(t, OTLPConfig{Endpoint: srv.URL + "/v1/logs", Compression: comp}, records); err != nil {
			t.Fatalf("%s: %v", comp, err)
		}
	}
	if len(b.got) != 2 || b.encodings[0] != "" || b.encodings[1] != "zstd" {
		t.Fatalf("requests with encodings %q", b.encodings)
	}
	if len(b.got[0]) == 0 || !bytes.Equal(b.got[0], b.got[1]) {
		t.Errorf("the zstd body decodes to %d bytes, the plain one is %d bytes", len(b.got[1]), len(b.got[0]))
	}
}

// A client given in the configuration keeps the exporter's hardening: a redirect is not
// followed (the records and headers would go to another host) but reported, and the
// caller's client is not changed.
func TestHTTPClientDoesNotFollowRedirects(t *testing.T) {
	other := new(bodies)
	target := httptest.NewServer(other)
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/v1/logs", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	client := &http.Client{} // follows redirects
	err := exportOnce(t, OTLPConfig{Endpoint: redirect.URL + "/v1/logs", HTTPClient: client, Headers: map[string]string{"Api-Key": "k-123456"}}, plainRecords())
	var ee *ExportError
	if !errors.As(err, &ee) || !ee.Permanent || !strings.Contains(err.Error(), "redirects are not followed") {
		t.Errorf("Export = %v, want a permanent error about the redirect", err)
	}
	if len(other.got) != 0 {
		t.Errorf("the redirect was followed: the other host got %d requests", len(other.got))
	}
	if client.CheckRedirect != nil {
		t.Error("the caller's client was modified")
	}
}

// Issue 14 item 1: a collector whose certificate is signed by a private CA is reached
// with that CA's file, and without it the failure says why.
func TestHTTPCertificateFile(t *testing.T) {
	b := new(bodies)
	srv := httptest.NewUnstartedServer(b)
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the handshake failure is expected
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := exportOnce(t, OTLPConfig{Endpoint: srv.URL + "/v1/logs", CertificateFile: ca}, plainRecords()); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	err := exportOnce(t, OTLPConfig{Endpoint: srv.URL + "/v1/logs"}, plainRecords())
	if kind := FailureKind(err); kind != "TLS: certificate signed by an unknown authority" {
		t.Errorf("without the CA file: kind %q for %v", kind, err)
	}
	if len(b.got) != 1 {
		t.Errorf("the server got %d requests, want 1", len(b.got))
	}
}

// A collector that requires a client certificate refuses the handshake with an alert:
// the failure's kind says so, and with the certificate files the export goes through.
//
// Under TLS 1.2 the alert ends the client's handshake, so the kind is always the
// refusal. Under TLS 1.3 the client's handshake is done before the server looks at its
// certificate, and the request's write may meet the closed connection before the alert
// is read (CI saw "broken pipe" once in about 40 runs): the kind is then a reset.
func TestHTTPClientCertificate(t *testing.T) {
	for _, tc := range []struct {
		version uint16
		kinds   []string
	}{
		{tls.VersionTLS12, []string{"TLS: refused by the collector"}},
		{tls.VersionTLS13, []string{"TLS: refused by the collector", "connection reset"}},
	} {
		t.Run(tls.VersionName(tc.version), func(t *testing.T) {
			testHTTPClientCertificate(t, tc.version, tc.kinds)
		})
	}
}

func testHTTPClientCertificate(t *testing.T, version uint16, kinds []string) {
	b := new(bodies)
	srv := httptest.NewUnstartedServer(b)
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the refused handshake is expected
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert, MinVersion: version, MaxVersion: version}
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	err := exportOnce(t, OTLPConfig{Endpoint: srv.URL + "/v1/logs", CertificateFile: ca}, plainRecords())
	if kind := FailureKind(err); !slices.Contains(kinds, kind) {
		t.Errorf("without a client certificate: kind %q for %v, want one of %q", kind, err, kinds)
	}
	// A self-signed client certificate: RequireAnyClientCert verifies none.
	certPEM, keyPEM := selfSigned(t)
	cert, key := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := exportOnce(t, OTLPConfig{Endpoint: srv.URL + "/v1/logs", CertificateFile: ca, ClientCertificateFile: cert, ClientKeyFile: key}, plainRecords()); err != nil {
		t.Errorf("with a client certificate: %v", err)
	}
	if len(b.got) != 1 {
		t.Errorf("the server got %d requests, want 1", len(b.got))
	}
}

// selfSigned returns a self-signed client certificate and its key, in PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// A collector (or a proxy) that resets the connection mid-request, or closes it without
// an answer: the failure's kind says so rather than "error".
func TestHTTPConnectionResetKind(t *testing.T) {
	addr := serveTCP(t, func(c net.Conn) {
		buf := make([]byte, 1)
		c.Read(buf) // the request has begun
		c.(*net.TCPConn).SetLinger(0)
		c.Close() // RST
	})
	err := exportOnce(t, OTLPConfig{Endpoint: "http://" + addr + "/v1/logs"}, plainRecords())
	if kind := FailureKind(err); kind != "connection reset" {
		t.Errorf("kind %q for %v, want connection reset", kind, err)
	}
}

func TestHTTPConnectionClosedKind(t *testing.T) {
	addr := serveTCP(t, func(c net.Conn) {
		// The whole request read, then a close without an answer (FIN, not RST).
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil {
			io.Copy(io.Discard, req.Body)
		}
		c.Close()
	})
	err := exportOnce(t, OTLPConfig{Endpoint: "http://" + addr + "/v1/logs"}, plainRecords())
	if kind := FailureKind(err); kind != "connection closed" {
		t.Errorf("kind %q for %v, want connection closed", kind, err)
	}
}

// serveTCP accepts connections on 127.0.0.1 until the test ends, each handled by handle
// on its own goroutine, and returns the address.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().String()
}
