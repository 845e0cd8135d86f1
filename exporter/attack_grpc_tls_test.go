package exporter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// serverCert is a self-signed server certificate for 127.0.0.1.
func serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "collector"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Found by attacktls: the gRPC exporter keeps the last TLS handshake failure and wraps
// every later Unavailable in it, until a handshake succeeds. After a certificate
// problem, a collector that then goes down (connection refused, no handshake at all) is
// still reported as "TLS: certificate signed by an unknown authority": the failure kind
// is stale, and since the first failure of each kind is the one reported at once, the
// outage itself is never reported as such. Correct: a failure whose call saw no handshake
// (connection refused) is classified by its own cause — the handshake error is cleared
// when a connection attempt fails before the handshake, or only attached when the call's
// own status carries the handshake error.
func TestGRPCHandshakeCauseNotKeptForLaterFailure(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(ptrTo(serverCert(t)))))
	go srv.Serve(lis)
	stopped := false
	defer func() {
		if !stopped {
			srv.Stop()
		}
	}()
	o, err := NewOTLP(context.Background(), OTLPConfig{Protocol: ProtocolGRPC, Endpoint: "https://" + addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	err = o.Export(context.Background(), plainRecords())
	if kind := FailureKind(err); kind != "TLS: certificate signed by an unknown authority" {
		t.Fatalf("untrusted collector: kind %q for %v", kind, err)
	}
	srv.Stop() // the collector goes down: the port now refuses connections
	stopped = true
	deadline := time.Now().Add(20 * time.Second)
	for {
		err = o.Export(context.Background(), plainRecords())
		if err != nil && strings.Contains(err.Error(), "connection refused") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection-refused failure within 20s; last: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if kind := FailureKind(err); strings.HasPrefix(kind, "TLS") {
		t.Errorf("collector down (the call says %q) is reported as kind %q: the cause is the stale handshake failure", err, kind)
	}
}

func ptrTo[T any](v T) *T { return &v }
