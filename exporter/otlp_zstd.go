package exporter

import (
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc/encoding"
)

// The standard library has no zstd; github.com/klauspost/compress is the implementation
// the Collector itself decodes zstd with, on both of its OTLP receivers.

// zstdWindow bounds the encoder's window: OTLP batches are far smaller than zstd's
// default 8 MiB window, which would only cost memory (the Collector's gRPC client uses
// the same bound).
const zstdWindow = 512 << 10

// zstdMaxWindow bounds the window the registered gRPC decompressor accepts: 8 MiB is
// the bound RFC 8878 recommends encoders stay within for interoperability, and what
// klauspost's default encoder uses; the Collector's gRPC server answers with a 512 KiB
// window. The registry is process-wide, so this decompressor also decodes requests to
// every other gRPC server in the process: unbounded, a 12-byte frame announcing a
// 512 MiB window made it allocate 512 MiB. A frame asking for more is refused.
const zstdMaxWindow = 8 << 20

// zstdEncoder is the one encoder for OTLP/HTTP bodies; EncodeAll is safe for concurrent
// use.
var zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithWindowSize(zstdWindow))
})

// zstdCompressor is gRPC's "zstd" encoding, with pooled encoders and decoders. Its
// decoders accept windows of at most zstdMaxWindow.
type zstdCompressor struct {
	encoders, decoders sync.Pool
}

// gRPC finds compressors by name in a process-wide registry, filled at init. Another
// package (the Collector's configgrpc, in a process that also runs a collector) may have
// registered a "zstd" first: both speak the same format, and the first one is kept.
func init() {
	if encoding.GetCompressor(CompressionZstd) == nil {
		encoding.RegisterCompressor(&zstdCompressor{})
	}
}

func (*zstdCompressor) Name() string { return CompressionZstd }

func (z *zstdCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	enc, _ := z.encoders.Get().(*zstd.Encoder)
	if enc == nil {
		var err error
		if enc, err = zstd.NewWriter(w, zstd.WithWindowSize(zstdWindow), zstd.WithEncoderConcurrency(1)); err != nil {
			return nil, err
		}
	} else {
		enc.Reset(w)
	}
	return &zstdWriter{Encoder: enc, pool: &z.encoders}, nil
}

// zstdWriter returns its encoder to the pool when closed; gRPC closes every writer it
// gets.
type zstdWriter struct {
	*zstd.Encoder
	pool *sync.Pool
}

func (w *zstdWriter) Close() error {
	err := w.Encoder.Close()
	w.Encoder.Reset(nil)
	w.pool.Put(w.Encoder)
	return err
}

func (z *zstdCompressor) Decompress(r io.Reader) (io.Reader, error) {
	dec, _ := z.decoders.Get().(*zstd.Decoder)
	if dec == nil {
		var err error
		if dec, err = zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderMaxMemory(zstdMaxWindow)); err != nil {
			return nil, err
		}
	} else if err := dec.Reset(r); err != nil {
		z.decoders.Put(dec)
		return nil, err
	}
	return &zstdReader{dec: dec, pool: &z.decoders}, nil
}

// zstdReader returns its decoder to the pool at the end of the stream; gRPC reads every
// message to its end.
type zstdReader struct {
	dec  *zstd.Decoder
	pool *sync.Pool
}

func (r *zstdReader) Read(p []byte) (int, error) {
	if r.dec == nil {
		return 0, io.EOF
	}
	n, err := r.dec.Read(p)
	if err != nil {
		_ = r.dec.Reset(nil)
		r.pool.Put(r.dec)
		r.dec = nil
	}
	return n, err
}
