// Command orders is a small order service that logs through resilog and traces with
// OpenTelemetry, both sharing one Resource.
//
//	go run ./examples/orders
//	curl -d '{"user_id":88,"total":"149.99"}' localhost:8080/orders
//
// POST /orders creates an order and logs "order created" with order_id, user_id and total;
// an invalid order logs the error (with its exception attributes) and answers 422.
// Configuration comes from the standard OTEL_* variables; PORT (default 8080) sets the
// listening port. OTEL_TRACES_EXPORTER=none turns trace export off.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilog/resilog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	p, err := resilog.New(ctx, resilog.WithServiceName("orders"), resilog.WithGlobal())
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(sctx)
	}()

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(p.Resource())}
	if os.Getenv("OTEL_TRACES_EXPORTER") != "none" {
		texp, err := otlptracehttp.New(ctx)
		if err != nil {
			return fmt.Errorf("trace exporter: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(texp, sdktrace.WithBatchTimeout(200*time.Millisecond)))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})

	svc := &service{log: p.Logger("github.com/resilog/resilog/examples/orders")}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", svc.createOrder)

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort("", port),
		Handler:           otelhttp.NewHandler(mux, "orders"),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	svc.log.Info("orders listening", "port", port)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

type service struct {
	log    *slog.Logger
	nextID atomic.Int64
}

type orderRequest struct {
	UserID int64  `json:"user_id"`
	Total  string `json:"total"`
}

// errInvalidOrder is what a client gets wrong; it answers 422.
var errInvalidOrder = errors.New("invalid order")

func (s *service) createOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req orderRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.fail(ctx, w, fmt.Errorf("%w: decoding body: %w", errInvalidOrder, err))
		return
	}
	total, err := strconv.ParseFloat(req.Total, 64)
	if err != nil || total <= 0 || req.UserID <= 0 {
		s.fail(ctx, w, fmt.Errorf("%w: user_id=%d total=%q", errInvalidOrder, req.UserID, req.Total))
		return
	}
	id := 1000 + s.nextID.Add(1)
	s.log.InfoContext(ctx, "order created", "order_id", id, "user_id", req.UserID, "total", req.Total)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"order_id": id, "total": req.Total})
}

func (s *service) fail(ctx context.Context, w http.ResponseWriter, err error) {
	s.log.ErrorContext(ctx, "order rejected", "error", err)
	http.Error(w, err.Error(), http.StatusUnprocessableEntity)
}
