package exporter

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// The gRPC "zstd" encoding writes standard zstd frames and reads them, each pooled
// encoder and decoder reused cleanly.
func TestZstdCompressorRoundTrip(t *testing.T) {
	z := new(zstdCompressor)
	for i := range 3 {
		msg := []byte(strings.Repeat("log record ", 100*(i+1)))
		var frame bytes.Buffer
		w, err := z.Compress(&frame)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(msg); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got, err := zstd.DecodeTo(nil, frame.Bytes()); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round %d: standard decoder: %v, %d bytes, want %d", i, err, len(got), len(msg))
		}
		enc, _ := zstd.NewWriter(nil)
		r, err := z.Decompress(bytes.NewReader(enc.EncodeAll(msg, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round %d: Decompress: %v, %d bytes, want %d", i, err, len(got), len(msg))
		}
	}
}
