package propagation

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// joinedErr has Unwrap() []error; a typed nil of it is a panic value some code raises.
type joinedErr struct{ errs []error }

func (e *joinedErr) Error() string   { return "joined" }
func (e *joinedErr) Unwrap() []error { return e.errs }

// TestGRPCRecoversTypedNilPanic: describing the recovered value must not panic again, or
// the interceptor would take the server down with the panic it exists to contain.
func TestGRPCRecoversTypedNilPanic(t *testing.T) {
	log, buf := jsonLogger()
	ic := UnaryServerInterceptor(log)
	ctx := grpc.NewContextWithServerTransportStream(context.Background(), &headerStream{})
	var typedNil *joinedErr
	_, err := ic(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/test/Nil"}, func(context.Context, any) (any, error) {
		panic(error(typedNil))
	})
	if status.Code(err) != codes.Internal {
		t.Errorf("err = %v, want codes.Internal", err)
	}
	lines := decodeLines(t, buf)
	if len(lines) != 1 || lines[0][ExceptionTypeKey] != "*propagation.joinedErr" {
		t.Errorf("logged %v", lines)
	}
}
