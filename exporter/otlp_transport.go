package exporter

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ExportError is a classified export failure.
type ExportError struct {
	Err error
	// Permanent is true when retrying the same request cannot succeed (HTTP 400, 401, 403,
	// 413…; gRPC InvalidArgument, PermissionDenied…).
	Permanent bool
	// RetryAfter is the least delay the server asked for (HTTP Retry-After, gRPC
	// RetryInfo); 0 when it asked for none.
	RetryAfter time.Duration
}

func (e *ExportError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s export failure (retry after %v): %v", kind, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("%s export failure: %v", kind, e.Err)
}

func (e *ExportError) Unwrap() error { return e.Err }

// observation is what the transport saw of one export attempt. The HTTP RoundTripper and
// the gRPC interceptor find it in the request context.
type observation struct {
	httpStatus int
	retryAfter time.Duration
	grpcErr    error
	grpcCalled bool
}

type observationKey struct{}

func observationFrom(ctx context.Context) *observation {
	o, _ := ctx.Value(observationKey{}).(*observation)
	return o
}

func (o *observation) delivered() bool {
	if o.grpcCalled {
		return o.grpcErr == nil
	}
	return o.httpStatus >= 200 && o.httpStatus <= 299
}

// classify turns the upstream error into an *ExportError from what the transport saw.
func (o *observation) classify(ctx context.Context, err error) *ExportError {
	e := &ExportError{Err: err, RetryAfter: o.retryAfter}
	switch {
	case o.grpcCalled:
		st, _ := status.FromError(o.grpcErr)
		e.Permanent = !retryableCode(st.Code(), e.RetryAfter > 0)
	case o.httpStatus != 0:
		e.Permanent = !retryableStatus(o.httpStatus)
	default:
		// Nothing was answered: connection refused or reset, DNS, timeout. Transient, unless
		// the caller's context ended, which no retry fixes.
		e.Permanent = ctx.Err() != nil
	}
	return e
}

// retryableStatus follows the OTLP/HTTP specification.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableCode follows the OTLP/gRPC specification: ResourceExhausted only when the
// server sent RetryInfo.
func retryableCode(c codes.Code, hasRetryInfo bool) bool {
	switch c {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		return true
	case codes.ResourceExhausted:
		return hasRetryInfo
	}
	return false
}

// parseRetryAfter reads delay-seconds or an HTTP date; anything else is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 3600 {
			secs = 3600 // a server asking for hours is capped; the breaker handles long outages
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, time.Hour)
		}
	}
	return 0
}

type observingTransport struct{ base http.RoundTripper }

func (t observingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if o := observationFrom(req.Context()); o != nil && err == nil {
		o.httpStatus = resp.StatusCode
		o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, err
}

func newOTLPHTTP(ctx context.Context, c OTLPConfig) (*OTLP, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	client := &http.Client{Transport: observingTransport{base: transport}}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "http://localhost:4318/v1/logs"
	}
	opts := []otlploghttp.Option{
		otlploghttp.WithEndpointURL(endpoint),
		otlploghttp.WithTimeout(c.Timeout),
		otlploghttp.WithHeaders(c.Headers),
		otlploghttp.WithHTTPClient(client),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}),
	}
	if c.Compression == CompressionGzip {
		opts = append(opts, otlploghttp.WithCompression(otlploghttp.GzipCompression))
	} else {
		opts = append(opts, otlploghttp.WithCompression(otlploghttp.NoCompression))
	}
	exp, err := otlploghttp.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	probe := func(ctx context.Context) error {
		// An empty ExportLogsServiceRequest encodes to zero bytes.
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(nil))
		if err != nil {
			return err
		}
		for k, v := range c.Headers {
			req.Header.Set(k, v)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("probe: %s", resp.Status)
		}
		return nil
	}
	return &OTLP{exp: exp, probe: probe, close: func() error { transport.CloseIdleConnections(); return nil }}, nil
}

func newOTLPGRPC(ctx context.Context, c OTLPConfig) (*OTLP, error) {
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "http://localhost:4317"
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint %q: %v", ErrInvalidOTLPConfig, endpoint, err)
	}
	creds := insecure.NewCredentials()
	if u.Scheme == "https" {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	observe := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if o := observationFrom(ctx); o != nil {
			o.grpcCalled, o.grpcErr = true, err
			if st, ok := status.FromError(err); ok {
				for _, d := range st.Details() {
					if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
						o.retryAfter = min(ri.GetRetryDelay().AsDuration(), time.Hour)
					}
				}
			}
		}
		return err
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithUnaryInterceptor(observe),
		// gRPC's default reconnect backoff grows to 120s; a collector that comes back must
		// be reached within a probe or two, so cap it at 1s.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		}),
	}
	if c.Compression == CompressionGzip {
		dial = append(dial, grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
	}
	conn, err := grpc.NewClient(u.Host, dial...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOTLPConfig, err)
	}
	exp, err := otlploggrpc.New(ctx,
		otlploggrpc.WithGRPCConn(conn),
		otlploggrpc.WithTimeout(c.Timeout),
		otlploggrpc.WithHeaders(c.Headers),
		otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}),
	)
	if err != nil {
		conn.Close()
		return nil, err
	}
	client := collogpb.NewLogsServiceClient(conn)
	probe := func(ctx context.Context) error {
		if len(c.Headers) > 0 {
			ctx = metadata.NewOutgoingContext(ctx, metadata.New(c.Headers))
		}
		_, err := client.Export(ctx, &collogpb.ExportLogsServiceRequest{})
		return err
	}
	return &OTLP{exp: exp, probe: probe, close: conn.Close}, nil
}
