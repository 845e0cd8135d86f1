package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// OTLP protocols, spelled as in OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Compression values, spelled as in OTEL_EXPORTER_OTLP_COMPRESSION.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
)

// ErrInvalidOTLPConfig is wrapped by every error [NewOTLP] returns for a bad [OTLPConfig].
var ErrInvalidOTLPConfig = errors.New("invalid OTLP exporter configuration")

// OTLPConfig is a fully resolved OTLP exporter configuration. The zero value of a field
// means the default written beside it.
type OTLPConfig struct {
	// Protocol is ProtocolHTTP (default) or ProtocolGRPC.
	Protocol string
	// Endpoint is the URL records are sent to. For HTTP it is the complete logs URL
	// (default http://localhost:4318/v1/logs); for gRPC the path is ignored (default
	// http://localhost:4317). An http scheme means plaintext, https means TLS.
	Endpoint string
	// Headers are sent with every export request.
	Headers map[string]string
	// Timeout bounds one export (default 10s).
	Timeout time.Duration
	// Compression is CompressionNone (default) or CompressionGzip.
	Compression string
}

// Validate reports the first problem in c, wrapping [ErrInvalidOTLPConfig].
func (c OTLPConfig) Validate() error {
	switch c.Protocol {
	case "", ProtocolHTTP, ProtocolGRPC:
	default:
		return fmt.Errorf("%w: protocol %q (want %q or %q)", ErrInvalidOTLPConfig, c.Protocol, ProtocolHTTP, ProtocolGRPC)
	}
	if c.Endpoint != "" {
		if err := ValidateEndpoint(c.Endpoint); err != nil {
			return err
		}
	}
	switch c.Compression {
	case "", CompressionNone, CompressionGzip:
	default:
		return fmt.Errorf("%w: compression %q (want %q or %q)", ErrInvalidOTLPConfig, c.Compression, CompressionGzip, CompressionNone)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout %v", ErrInvalidOTLPConfig, c.Timeout)
	}
	return nil
}

// ValidateEndpoint checks that raw is an absolute http or https URL with a host.
func ValidateEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: endpoint %q: %v", ErrInvalidOTLPConfig, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: endpoint %q: scheme must be http or https", ErrInvalidOTLPConfig, raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%w: endpoint %q: no host", ErrInvalidOTLPConfig, raw)
	}
	return nil
}

// NewOTLP returns the upstream OTLP log exporter for c. It never reads environment
// variables itself: every field of c is passed explicitly, so the caller's resolution
// (options > OTEL_* variables > defaults) is the only one that applies.
func NewOTLP(ctx context.Context, c OTLPConfig) (sdklog.Exporter, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	if c.Protocol == ProtocolGRPC {
		endpoint := c.Endpoint
		if endpoint == "" {
			endpoint = "http://localhost:4317"
		}
		opts := []otlploggrpc.Option{
			otlploggrpc.WithEndpointURL(endpoint),
			otlploggrpc.WithTimeout(timeout),
			otlploggrpc.WithHeaders(nonNil(c.Headers)),
		}
		if c.Compression == CompressionGzip {
			opts = append(opts, otlploggrpc.WithCompressor("gzip"))
		}
		return otlploggrpc.New(ctx, opts...)
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "http://localhost:4318/v1/logs"
	}
	opts := []otlploghttp.Option{
		otlploghttp.WithEndpointURL(endpoint),
		otlploghttp.WithTimeout(timeout),
		otlploghttp.WithHeaders(nonNil(c.Headers)),
	}
	if c.Compression == CompressionGzip {
		opts = append(opts, otlploghttp.WithCompression(otlploghttp.GzipCompression))
	} else {
		opts = append(opts, otlploghttp.WithCompression(otlploghttp.NoCompression))
	}
	return otlploghttp.New(ctx, opts...)
}

// nonNil keeps an explicit empty header set from letting the upstream exporter fall back
// to OTEL_EXPORTER_OTLP_HEADERS on its own.
func nonNil(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}
