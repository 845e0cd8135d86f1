package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/encoding"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
)

// pki is a set of PEM files made for one test: a CA and a collector certificate for
// 127.0.0.1 signed by it, a client CA and a client certificate signed by that, and an
// unrelated CA.
type pki struct {
	ca, serverCert, serverKey       string
	clientCA, clientCert, clientKey string
	otherCA                         string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	serial := int64(0)
	issue := func(name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.Subject = pkix.Name{CommonName: name}
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return cert, key, write(name+".pem", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", keyDER)
	}
	caTmpl := func() *x509.Certificate {
		return &x509.Certificate{IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	var p pki
	ca, caKey, caFile, _ := issue("ca", caTmpl(), nil, nil)
	p.ca = caFile
	_, _, p.serverCert, p.serverKey = issue("collector", &x509.Certificate{
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	clientCA, clientCAKey, clientCAFile, _ := issue("client-ca", caTmpl(), nil, nil)
	p.clientCA = clientCAFile
	_, _, p.clientCert, p.clientKey = issue("client", &x509.Certificate{
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, clientCA, clientCAKey)
	_, _, p.otherCA, _ = issue("other-ca", caTmpl(), nil, nil)
	return p
}

// everyRecordAtCollector checks that all n records logged reached the collector.
func everyRecordAtCollector(t *testing.T, l *load, c *collectortest.Collector, n int) {
	t.Helper()
	l.shutdown(10 * time.Second)
	o := l.account(c)
	if o.collector != n || o.fallback != 0 || o.dropped != 0 {
		t.Errorf("want all %d records at the collector: %s; last export error: %s", n, o, o.stats.LastExportError)
	}
}

// Issue 14 item 1: a collector serving TLS with a private CA is reached with
// OTEL_EXPORTER_OTLP_CERTIFICATE, over both protocols.
func TestTLSCollectorWithCertificateVariable(t *testing.T) {
	pk := newPKI(t)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.StartTLS(t, collectortest.ReceiverTLS{CertFile: pk.serverCert, KeyFile: pk.serverKey})
			t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", pk.ca)
			l := newLoad(t, proto, endpointFor(c, proto))
			l.emit(50, 0, nil)
			everyRecordAtCollector(t, l, c, 50)
		})
	}
}

// Issue 14 item 1: a collector that requires client certificates (mTLS) takes the
// certificate from the _LOGS_ variables, or from WithTLSConfig; without one, every record
// goes to the fallback, counted.
func TestMTLSCollector(t *testing.T) {
	pk := newPKI(t)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.StartTLS(t, collectortest.ReceiverTLS{CertFile: pk.serverCert, KeyFile: pk.serverKey, ClientCAFile: pk.clientCA})

			t.Run("variables", func(t *testing.T) {
				t.Setenv("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", pk.ca)
				t.Setenv("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", pk.clientCert)
				t.Setenv("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", pk.clientKey)
				c.Reset()
				l := newLoad(t, proto, endpointFor(c, proto))
				l.emit(50, 0, nil)
				everyRecordAtCollector(t, l, c, 50)
			})

			t.Run("WithTLSConfig", func(t *testing.T) {
				cert, err := tls.LoadX509KeyPair(pk.clientCert, pk.clientKey)
				if err != nil {
					t.Fatal(err)
				}
				roots := x509.NewCertPool()
				caPEM, err := os.ReadFile(pk.ca)
				if err != nil || !roots.AppendCertsFromPEM(caPEM) {
					t.Fatalf("CA: %v", err)
				}
				c.Reset()
				l := newLoad(t, proto, endpointFor(c, proto), resilog.WithTLSConfig(&tls.Config{
					RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
				}))
				l.emit(50, 0, nil)
				everyRecordAtCollector(t, l, c, 50)
			})

			t.Run("no client certificate", func(t *testing.T) {
				t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", pk.ca)
				stderr := captureStderr(t)
				c.Reset()
				l := newLoad(t, proto, endpointFor(c, proto), fastFailure()...)
				l.emit(20, 0, nil)
				l.shutdown(10 * time.Second)
				o := l.account(nil)
				if o.fallback != 20 || o.stats.Exported != 0 || len(c.Logs()) != 0 || o.stats.LastExportError == "" {
					t.Errorf("want every record in the fallback: %s; last export error: %q", o, o.stats.LastExportError)
				}
				t.Logf("refused without a client certificate: %s", o.stats.LastExportError)
				// Over HTTP the server's TLS alert reaches the client as such; gRPC sees only
				// the connection closing (TLS 1.3 sends it after the client's handshake).
				if proto == exporter.ProtocolHTTP && len(stderr.lines("failed (TLS: refused by the collector)", "certificate required")) != 1 {
					t.Errorf("no report line says the collector refused the TLS handshake:\n%s", stderr.String())
				}
			})
		})
	}
}

// fastFailure gives up on a collector that refuses quickly, so that a test of a failing
// export does not wait out the default retries.
func fastFailure() []resilog.Option {
	return []resilog.Option{
		resilog.WithBatch(processor.BatchConfig{Interval: 20 * time.Millisecond}),
		resilog.WithFailover(processor.FailoverConfig{ProbeInterval: 50 * time.Millisecond}),
	}
}

// Issue 14 item 1: trusting the wrong CA is reported clearly, on stderr and in Stats,
// and the records go to the fallback, counted.
func TestTLSWrongCAReported(t *testing.T) {
	pk := newPKI(t)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.StartTLS(t, collectortest.ReceiverTLS{CertFile: pk.serverCert, KeyFile: pk.serverKey})
			t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", pk.otherCA)
			stderr := captureStderr(t)
			l := newLoad(t, proto, endpointFor(c, proto), fastFailure()...)
			l.emit(20, 0, nil)
			l.shutdown(10 * time.Second)
			o := l.account(nil)
			if o.fallback != 20 || o.stats.Exported != 0 || len(c.Logs()) != 0 {
				t.Errorf("want every record in the fallback: %s", o)
			}
			const why = "x509: certificate signed by unknown authority"
			if !strings.Contains(o.stats.LastExportError, why) {
				t.Errorf("Stats().LastExportError = %q, want it to say %q", o.stats.LastExportError, why)
			}
			endpoint := endpointFor(c, proto)
			if proto == exporter.ProtocolHTTP {
				endpoint += "/v1/logs"
			}
			lines := stderr.lines(fmt.Sprintf("resilog: export to %s failed (TLS: certificate signed by an unknown authority): ", endpoint), why)
			if len(lines) != 1 {
				t.Errorf("%d report lines naming the endpoint and the unknown authority, want 1:\n%s", len(lines), stderr.String())
			} else {
				t.Log(lines[0])
			}
		})
	}
}

// Issue 14 item 9: zstd-compressed exports are decoded by the real collector, over both
// protocols.
func TestZstdCompressionAccepted(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			if proto == exporter.ProtocolGRPC {
				// One registry per process: the collector in this process decodes with the
				// same "zstd" compressor the exporter encodes with, whichever registered first.
				t.Logf("gRPC zstd compressor in this process: %T", encoding.GetCompressor("zstd"))
			}
			c := collectortest.Start(t)
			l := newLoad(t, proto, endpointFor(c, proto), resilog.WithCompression(exporter.CompressionZstd))
			l.emit(200, 0, nil)
			everyRecordAtCollector(t, l, c, 200)
		})
	}
}
