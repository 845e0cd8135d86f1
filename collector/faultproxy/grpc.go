package faultproxy

import (
	"context"
	"net"
	"time"

	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// GRPC is an OTLP/gRPC logs service that forwards to a collector, or fails the next calls
// with a chosen status code (and RetryInfo) instead.
type GRPC struct {
	collogpb.UnimplementedLogsServiceServer
	srv    *grpc.Server
	l      net.Listener
	conn   *grpc.ClientConn
	client collogpb.LogsServiceClient

	plan  plan
	code  codes.Code    // under plan.mu
	retry time.Duration // under plan.mu
}

// NewGRPC listens on a free loopback port and forwards to target (host:port).
func NewGRPC(target string) (*GRPC, error) {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		conn.Close()
		return nil, err
	}
	p := &GRPC{srv: grpc.NewServer(), l: l, conn: conn, client: collogpb.NewLogsServiceClient(conn)}
	collogpb.RegisterLogsServiceServer(p.srv, p)
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// URL is the proxy's endpoint URL (plaintext).
func (p *GRPC) URL() string { return "http://" + p.l.Addr().String() }

// Fail answers the next n calls (every call if n < 0) with code; retry > 0 attaches
// RetryInfo with that delay.
func (p *GRPC) Fail(code codes.Code, retry time.Duration, n int) {
	p.plan.set(n, func() { p.code, p.retry = code, retry })
}

// Requests returns the calls seen so far; Status holds the gRPC code answered.
func (p *GRPC) Requests() []Request { return p.plan.seen() }

// Close stops the proxy.
func (p *GRPC) Close() error {
	p.srv.Stop()
	return p.conn.Close()
}

// Export fails or forwards one call.
func (p *GRPC) Export(ctx context.Context, req *collogpb.ExportLogsServiceRequest) (*collogpb.ExportLogsServiceResponse, error) {
	var code codes.Code
	var retry time.Duration
	fail := p.plan.next("Export", "", func() int {
		code, retry = p.code, p.retry
		return int(code)
	})
	if !fail {
		return p.client.Export(ctx, req)
	}
	st := status.New(code, "injected by faultproxy")
	if retry > 0 {
		if withInfo, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err == nil {
			st = withInfo
		}
	}
	return nil, st.Err()
}
