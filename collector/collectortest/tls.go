package collectortest

import (
	"fmt"
	"strconv"
	"testing"
)

// ReceiverTLS is the TLS both OTLP receivers of a test collector serve: PEM files, as the
// Collector's own configuration names them.
type ReceiverTLS struct {
	CertFile, KeyFile string
	// ClientCAFile, when set, makes the receivers require a client certificate signed by
	// it (mTLS).
	ClientCAFile string
}

// NewTLS is New with both receivers serving TLS; the endpoints are then https URLs.
func NewTLS(dir string, tls ReceiverTLS) (*Collector, error) { return newCollector(dir, &tls) }

// StartTLS is Start with both receivers serving TLS.
func StartTLS(t testing.TB, tls ReceiverTLS) *Collector {
	t.Helper()
	c, err := NewTLS(t.TempDir(), tls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// yaml is the receiver's tls block, "" for plaintext, indented under a protocol.
func (t *ReceiverTLS) yaml() string {
	if t == nil {
		return ""
	}
	s := fmt.Sprintf("\n        tls:\n          cert_file: %s\n          key_file: %s", strconv.Quote(t.CertFile), strconv.Quote(t.KeyFile))
	if t.ClientCAFile != "" {
		s += fmt.Sprintf("\n          client_ca_file: %s", strconv.Quote(t.ClientCAFile))
	}
	return s
}
