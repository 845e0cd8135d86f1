package propagation

import (
	"context"
	"log/slog"
	"runtime/debug"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// grpcRequestIDKey is the metadata key of request IDs (gRPC keys are lower case).
var grpcRequestIDKey = strings.ToLower(DefaultRequestIDHeader)

// grpcRequestID takes the inbound request ID if valid, or makes one, stores it in the
// context and the span, and sends it back as a response header.
func grpcRequestID(ctx context.Context) context.Context {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(grpcRequestIDKey); len(v) > 0 {
			id = v[0]
		}
	}
	if !ValidRequestID(id) {
		id = NewRequestID()
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(grpcRequestIDKey, id))
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(RequestIDKey, id))
	return WithRequestID(ctx, id)
}

func recoverGRPC(ctx context.Context, log *slog.Logger, method string, err *error) {
	if v := recover(); v != nil {
		log.LogAttrs(ctx, slog.LevelError, "panic serving "+method, PanicAttrs(ctx, v, debug.Stack())...)
		*err = status.Error(codes.Internal, "internal error")
	}
}

// UnaryServerInterceptor gives every call a request ID (from the x-request-id metadata if
// valid) and turns a panic into a logged ERROR and codes.Internal.
func UnaryServerInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		ctx = grpcRequestID(ctx)
		defer recoverGRPC(ctx, log, info.FullMethod, &err)
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streams.
func StreamServerInterceptor(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		ctx := grpcRequestID(ss.Context())
		defer recoverGRPC(ctx, log, info.FullMethod, &err)
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }
