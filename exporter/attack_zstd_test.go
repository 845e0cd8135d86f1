package exporter

import (
	"bytes"
	"context"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Attack (attacktls): importing the exporter package registers a "zstd" compressor in
// gRPC's process-wide registry at init. From then on every gRPC *server* in the host
// process (the service's own API, not just resilog) accepts grpc-encoding: zstd and
// decodes it with this compressor (grpc's rpc_util decompress calls
// encoding.GetCompressor(name).Decompress on the request). Its decoder keeps
// klauspost/zstd's defaults: a window of up to 512 MiB, allocated as the frame header
// declares. A 12-byte frame — header announcing a 512 MiB window, one 3-byte raw block —
// makes it allocate ~512 MiB; a handful of concurrent unauthenticated requests exhaust
// the memory of a service that never asked for zstd. Correct: bound the decoder
// (zstd.WithDecoderMaxWindow / WithDecoderMaxMemory to what an OTLP response needs, a few
// MiB at most) — or not register a server-visible decompressor at import at all.
func TestAttackZstdRegisteredDecompressorWindowBomb(t *testing.T) {
	c := encoding.GetCompressor(CompressionZstd)
	if c == nil {
		t.Fatal("no zstd compressor registered")
	}
	// Magic, frame header descriptor 0 (no single segment, no size, no checksum), window
	// descriptor 0x98 (2^(10+19) = 512 MiB), then a last raw block of 3 bytes.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x98, 3<<3 | 1, 0, 0, 'a', 'b', 'c'}
	var m0, m1 runtime.MemStats
	// Two collections empty the decoder pool (its victim cache too): the decoder that
	// answers is a new one, as in a fresh process.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m0)
	r, err := c.Decompress(bytes.NewReader(frame))
	if err == nil {
		_, err = io.ReadAll(r)
	}
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	if alloc > 16<<20 {
		t.Errorf("decompressing a %d-byte zstd message allocated %d MiB (err %v): the process-wide gRPC zstd decoder has no window bound", len(frame), alloc>>20, err)
	}
}

// bombCompressor is a (legacy API) client compressor that sends, whatever the message,
// a 12-byte zstd frame announcing a 512 MiB window.
type bombCompressor struct{}

func (bombCompressor) Do(w io.Writer, _ []byte) error {
	_, err := w.Write([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x98, 3<<3 | 1, 0, 0, 'a', 'b', 'c'})
	return err
}
func (bombCompressor) Type() string { return "zstd" }

// The same, end to end: the host service's own gRPC server (here a health service, which
// knows nothing of zstd or resilog) decodes an unauthenticated 12-byte request body with
// resilog's decompressor and allocates ~512 MiB for it. Correct: a bounded decoder (a
// few MiB per message at most).
func TestAttackZstdHostGRPCServerWindowBomb(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithCompressor(bombCompressor{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Warm the connection so its setup is not counted.
	_, _ = client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.UseCompressor("identity"))
	var m0, m1 runtime.MemStats
	// Two collections empty the decoder pool (its victim cache too): the decoder that
	// answers is a new one, as in a fresh process.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, callErr := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "x"})
	runtime.ReadMemStats(&m1)
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
		t.Errorf("one 12-byte zstd request to the host's health server allocated %d MiB (call: %v): resilog's import-time zstd registration exposes every gRPC server in the process", alloc>>20, callErr)
	}
}
