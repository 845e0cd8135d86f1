package exporter

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Found by attacktls: importing the exporter package registers a "zstd" compressor in
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
func TestZstdDecompressorWindowBounded(t *testing.T) {
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

// The same, end to end: the host service's own gRPC server (here a health service, which
// knows nothing of zstd or resilog) decodes an unauthenticated 12-byte request body with
// resilog's decompressor and allocates ~512 MiB for it. Correct: a bounded decoder (a
// few MiB per message at most).
func TestZstdHostGRPCServerWindowBounded(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(lis)
	defer srv.Stop()
	// The request is written by hand over HTTP/2 without TLS (h2c), as any client could
	// send it: a gRPC message frame (compressed flag, length, then the 12-byte zstd frame
	// announcing a 512 MiB window) with grpc-encoding: zstd.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x98, 3<<3 | 1, 0, 0, 'a', 'b', 'c'}
	body := append([]byte{1, 0, 0, 0, byte(len(frame))}, frame...)
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	send := func(encoding string, msg []byte) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+lis.Addr().String()+"/grpc.health.v1.Health/Check", bytes.NewReader(msg))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/grpc")
		req.Header.Set("TE", "trailers")
		if encoding != "" {
			req.Header.Set("Grpc-Encoding", encoding)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Trailer.Get("Grpc-Status") + " " + resp.Trailer.Get("Grpc-Message"), nil
	}
	// Warm the connection so its setup is not counted: an empty, uncompressed request.
	if st, err := send("", []byte{0, 0, 0, 0, 0}); err != nil || !strings.HasPrefix(st, "0 ") {
		t.Fatalf("the health server does not answer a plain request: status %q, %v", st, err)
	}
	var m0, m1 runtime.MemStats
	// Two collections empty the decoder pool (its victim cache too): the decoder that
	// answers is a new one, as in a fresh process.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m0)
	st, callErr := send(CompressionZstd, body)
	runtime.ReadMemStats(&m1)
	if callErr != nil {
		t.Fatal(callErr)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
		t.Errorf("one 12-byte zstd request to the host's health server allocated %d MiB (status %q): resilog's import-time zstd registration exposes every gRPC server in the process", alloc>>20, st)
	}
}
