package exporter

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// Found by attacktls: readPEMFile promises that a certificate-file error "never quotes
// path", because a path may hold a credential (a mount named after a token, a vault
// lease ID…). The CA-file branch that finds no PEM in the file quotes the path anyway:
// "CA certificate file /run/secrets/tok-… holds no PEM certificate". Correct: the error
// says the CA certificate file holds no PEM certificate, without the path.
func TestCAFileWithoutPEMErrorOmitsPath(t *testing.T) {
	const token = "ghp_R2d2C3poL1ke5ecretT0ken9876"
	dir := filepath.Join(t.TempDir(), "lease-"+token)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := OTLPConfig{Endpoint: "https://collector:4318/v1/logs", CertificateFile: ca}.Validate()
	if err == nil {
		t.Fatal("Validate accepted a CA file without PEM")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error quotes the certificate file's path, credential included: %v", err)
	}
}

// Found by attacktls: the certificate files are read with os.ReadFile, with no bound on
// time and no regard for ctx. A certificate setting that names a FIFO (or a socket, a
// /proc or /dev file a typo lands on) makes NewOTLP — and so resilog.New at service
// start — block forever, whatever the context's deadline. Correct: refuse anything but a
// regular file (or bound the read by ctx) and return a configuration error.
func TestCertificateFIFORefusedWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		o, err := NewOTLP(ctx, OTLPConfig{Endpoint: "https://collector:4318/v1/logs", CertificateFile: fifo})
		if o != nil {
			o.Shutdown(context.Background())
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("NewOTLP accepted a FIFO as the CA file")
		}
	case <-time.After(20 * time.Second):
		// Unblock the reader (open for writing, then close: it reads EOF) so the
		// goroutine ends.
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
		<-done
		t.Fatal("NewOTLP with a 1s context was still blocked reading the CA file (a FIFO) after 20s")
	}
}

// Found by attacktls: the certificate files were read whole, with no size bound: a
// setting naming a huge file made New allocate until the process died. (The attack fed
// a FIFO; FIFOs are now refused before they are opened, which left its writer blocked,
// so the bound is shown with a 64 MiB sparse regular file, which costs no disk.) A CA
// bundle is a few hundred KiB; reading stops after 1 MiB with a configuration error.
func TestCertificateFileReadIsBounded(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	f, err := os.Create(ca)
	if err != nil {
		t.Fatal(err)
	}
	const total = 64 << 20
	if err := f.Truncate(total); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	err = OTLPConfig{Endpoint: "https://collector:4318/v1/logs", CertificateFile: ca}.Validate()
	runtime.ReadMemStats(&m1)
	if !errors.Is(err, ErrInvalidOTLPConfig) {
		t.Errorf("Validate with a 64 MiB CA file = %v, want an ErrInvalidOTLPConfig", err)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 8<<20 {
		t.Errorf("Validate allocated %d MiB reading a %d MiB CA file: no bound on a certificate file's size", alloc>>20, total>>20)
	}
}

// Found by attacktls: WithGRPCDialOptions / OTLPConfig.DialOptions with a nil option
// (a conditional option left unset: `var extra grpc.DialOption; if tls {extra = …}`)
// passes Validate and then panics inside NewOTLP (grpc.NewClient calls opt.apply on
// it), so resilog.New panics. The invariants want a clear error for a bad input, and
// Validate to reject what NewOTLP cannot build. Correct: skip nil options, or return an
// ErrInvalidOTLPConfig error from both.
func TestNilDialOptionRefused(t *testing.T) {
	c := OTLPConfig{Protocol: ProtocolGRPC, Endpoint: "http://127.0.0.1:4317", DialOptions: []grpc.DialOption{nil}}
	verr := c.Validate()
	var p any
	func() {
		defer func() { p = recover() }()
		o, err := NewOTLP(context.Background(), c)
		if o != nil {
			o.Shutdown(context.Background())
		}
		if (verr == nil) != (err == nil) {
			t.Errorf("Validate = %v but NewOTLP = %v", verr, err)
		}
	}()
	if p != nil {
		t.Errorf("NewOTLP panicked on a nil dial option (Validate said %v): %v", verr, p)
	}
	if !errors.Is(verr, ErrInvalidOTLPConfig) {
		t.Errorf("Validate with a nil dial option = %v, want an ErrInvalidOTLPConfig", verr)
	}
}

// Found by attacktls: an http.Client whose Transport is a typed nil
// ((*http.Transport)(nil), e.g. a transport variable never assigned) passes Validate and
// NewOTLP, then panics inside Export — on the batcher's goroutine, where nothing
// recovers, so the host process dies at its first log flush — and again in Shutdown
// (CloseIdleConnections on the nil transport). Correct: NewOTLP rejects a nil Transport
// value with a configuration error (or Export and Shutdown turn it into errors).
func TestTypedNilTransportRefused(t *testing.T) {
	var tr *http.Transport
	c := OTLPConfig{Endpoint: "http://127.0.0.1:1/v1/logs", HTTPClient: &http.Client{Transport: tr}}
	if err := c.Validate(); !errors.Is(err, ErrInvalidOTLPConfig) {
		t.Errorf("Validate with a typed-nil Transport = %v, want an ErrInvalidOTLPConfig", err)
	}
	o, err := NewOTLP(context.Background(), c)
	if err != nil {
		return // rejected up front: correct
	}
	catch := func(f func()) (p any) {
		defer func() { p = recover() }()
		f()
		return nil
	}
	if p := catch(func() { err = o.Export(context.Background(), plainRecords()) }); p != nil {
		t.Errorf("Export panicked with a typed-nil Transport (NewOTLP accepted it): %v", p)
	} else if err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("Export = %v", err)
	}
	if p := catch(func() { o.Shutdown(context.Background()) }); p != nil {
		t.Errorf("Shutdown panicked with a typed-nil Transport: %v", p)
	}
}

// panicTransport is a user's RoundTripper with a bug.
type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("bug in a user's transport")
}

// A panic under Export (here a user's RoundTripper, which Validate cannot see into) is
// returned as a permanent export failure: Export runs on the batcher's goroutine, where a
// panic would end the host process.
func TestPanicUnderExportIsAPermanentFailure(t *testing.T) {
	o, err := NewOTLP(context.Background(), OTLPConfig{Endpoint: "http://127.0.0.1:1/v1/logs", HTTPClient: &http.Client{Transport: panicTransport{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	var p any
	func() {
		defer func() { p = recover() }()
		err = o.Export(context.Background(), plainRecords())
	}()
	if p != nil {
		t.Fatalf("Export panicked: %v", p)
	}
	var ee *ExportError
	if !errors.As(err, &ee) || !ee.Permanent || !errors.Is(err, errExportPanicked) {
		t.Errorf("Export = %v, want a permanent ExportError for the panic", err)
	}
	if strings.Contains(err.Error(), "bug in a user") {
		t.Errorf("the error quotes the panic's value, which may hold anything: %v", err)
	}
	err = o.Probe(context.Background())
	if !errors.Is(err, errExportPanicked) {
		t.Errorf("Probe = %v, want the panic as an error", err)
	}
}
