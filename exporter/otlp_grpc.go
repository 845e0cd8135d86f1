package exporter

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/recorduid"
)

// exportMethod is the OTLP logs service's one method.
const exportMethod = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"

// rawCodec passes already-encoded protobuf through gRPC: requests are built by otlpenc,
// and the response (an ExportLogsServiceResponse, only partial-success details) is not
// decoded.
type rawCodec struct{}

type rawMessage struct{ b []byte }

func (rawCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(*rawMessage)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return m.b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	m.b = append(m.b[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "proto" } // the content-subtype the server expects

// grpcLogs sends OTLP/gRPC Export calls and classifies the answer.
type grpcLogs struct {
	conn       *grpc.ClientConn
	handshakes *handshakeWatch // nil for plaintext
	md         metadata.MD
	opts       []grpc.CallOption
	timeout    time.Duration
	bufs       sync.Pool // *[]byte
}

// newOTLPGRPC builds the exporter for c, with its defaults applied; tlsCfg is nil for
// the system's roots.
func newOTLPGRPC(_ context.Context, c OTLPConfig, tlsCfg *tls.Config) (*OTLP, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint is not a valid URL", ErrInvalidOTLPConfig)
	}
	g := &grpcLogs{timeout: c.Timeout, opts: []grpc.CallOption{grpc.ForceCodec(rawCodec{})}}
	creds := insecure.NewCredentials()
	if u.Scheme == "https" {
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		g.handshakes = &handshakeWatch{TransportCredentials: credentials.NewTLS(tlsCfg), last: new(atomic.Pointer[error])}
		creds = g.handshakes
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// gRPC's default reconnect backoff grows to 120s; a collector that comes back must
		// be reached within a probe or two, so cap it at 1s.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		}),
	}, c.DialOptions...)
	if g.conn, err = grpc.NewClient(u.Host, opts...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOTLPConfig, err)
	}
	if len(c.Headers) > 0 {
		g.md = metadata.New(c.Headers)
	}
	switch c.Compression {
	case CompressionGzip:
		g.opts = append(g.opts, grpc.UseCompressor(gzip.Name))
	case CompressionZstd:
		g.opts = append(g.opts, grpc.UseCompressor(CompressionZstd)) // registered in otlp_zstd.go
	}
	return &OTLP{exp: g, probe: g.probe, close: g.conn.Close}, nil
}

// handshakeWatch keeps the last TLS handshake failure: gRPC reports it as an Unavailable
// status whose text holds the cause, but not the error itself, which the failure report
// needs to say "certificate signed by an unknown authority" rather than "gRPC
// Unavailable".
type handshakeWatch struct {
	credentials.TransportCredentials
	last *atomic.Pointer[error] // nil after a successful handshake; shared by clones
}

func (w *handshakeWatch) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	c, info, err := w.TransportCredentials.ClientHandshake(ctx, authority, conn)
	if err != nil {
		w.last.Store(&err)
	} else {
		w.last.Store(nil)
	}
	return c, info, err
}

func (w *handshakeWatch) Clone() credentials.TransportCredentials {
	return &handshakeWatch{TransportCredentials: w.TransportCredentials.Clone(), last: w.last}
}

// handshakeFailure is a failed call with the handshake error that caused it: its text is
// the call's, and errors.As finds either.
type handshakeFailure struct {
	call, handshake error
}

func (e *handshakeFailure) Error() string   { return e.call.Error() }
func (e *handshakeFailure) Unwrap() []error { return []error{e.call, e.handshake} }

func (g *grpcLogs) call(ctx context.Context, body []byte) error {
	if g.md != nil {
		ctx = metadata.NewOutgoingContext(ctx, g.md)
	}
	var resp rawMessage
	return g.conn.Invoke(ctx, exportMethod, &rawMessage{b: body}, &resp, g.opts...)
}

func (g *grpcLogs) Export(ctx context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return nil
	}
	bp, _ := g.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer g.bufs.Put(bp)
	*bp = otlpenc.AppendRequest((*bp)[:0], records, recorduid.FromContext(ctx))
	actx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	err := g.call(actx, *bp)
	if err == nil {
		return nil
	}
	st, _ := status.FromError(err)
	e := &ExportError{Err: err}
	if st.Code() == codes.Unavailable && g.handshakes != nil {
		// The last handshake failure is this call's cause only if the call says so: after
		// it, a collector that went down fails before any handshake, and is an outage.
		if hs := g.handshakes.last.Load(); hs != nil && strings.Contains(st.Message(), (*hs).Error()) {
			e.Err = &handshakeFailure{call: err, handshake: *hs}
		}
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			e.RetryAfter = min(ri.GetRetryDelay().AsDuration(), time.Hour)
		}
	}
	// A caller that gave up is not helped by a retry, whatever the code says.
	e.Permanent = !retryableCode(st.Code(), e.RetryAfter > 0) || ctx.Err() != nil
	return e
}

// probe sends an empty Export call.
func (g *grpcLogs) probe(ctx context.Context) error { return g.call(ctx, nil) }

func (*grpcLogs) ForceFlush(context.Context) error { return nil }
func (*grpcLogs) Shutdown(context.Context) error   { return nil }
