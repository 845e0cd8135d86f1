// Command orders is a small order service that logs through resilog and traces with
// OpenTelemetry, both sharing one Resource.
//
//	go run ./examples/orders
//	curl -d '{"user_id":88,"total":"149.99"}' localhost:8080/orders
//
// POST /orders creates an order: it binds the user ID to the request's context, asks the
// payments endpoint (an outbound call that carries the request ID and the trace), logs
// "order created" with order_id, user_id and total, and starts a background job that
// sends the invoice. An invalid order logs the error (with its exception attributes) and
// answers 422. GET /panic panics: the recovery middleware logs it with its stack and
// answers 500. Every response carries X-Request-ID.
//
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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelpropagation "go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/propagation"
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
		// ORDERS_STATS_FILE: where every record went, for the demo's accounting.
		if path := os.Getenv("ORDERS_STATS_FILE"); path != "" {
			if b, err := json.Marshal(p.Stats()); err == nil {
				_ = os.WriteFile(path, b, 0o600)
			}
		}
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
	otel.SetTextMapPropagator(otelpropagation.NewCompositeTextMapPropagator(otelpropagation.TraceContext{}, otelpropagation.Baggage{}))

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	svc := &service{
		log:      p.Logger("github.com/resilog/resilog/examples/orders"),
		payments: "http://" + net.JoinHostPort("127.0.0.1", port) + "/payments/authorize",
		// Outbound calls carry the trace (otelhttp) and the request ID (propagation).
		client: &http.Client{Transport: propagation.Transport(otelhttp.NewTransport(http.DefaultTransport)), Timeout: 5 * time.Second},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", svc.createOrder)
	mux.HandleFunc("POST /payments/authorize", svc.authorizePayment)
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) {
		svc.inventory()["widget"]-- // a bug: the inventory was never loaded, and a nil map panics
	})

	// otelhttp outermost so that the span exists for the request ID and the panic.
	handler := otelhttp.NewHandler(propagation.RequestIDMiddleware(propagation.RecoverMiddleware(mux, svc.log)), "orders")
	srv := &http.Server{
		Addr:              net.JoinHostPort("", port),
		Handler:           handler,
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
	err = srv.Shutdown(sctx)
	svc.jobs.Wait() // background jobs finish before logs are flushed
	return err
}

type service struct {
	log      *slog.Logger
	payments string
	client   *http.Client
	nextID   atomic.Int64
	stock    map[string]int
	jobs     sync.WaitGroup
}

type orderRequest struct {
	UserID int64  `json:"user_id"`
	Total  string `json:"total"`
	// Card and Password are here to show redaction: a careless log line includes them.
	Card     string `json:"card,omitempty"`
	Password string `json:"password,omitempty"`
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
	// Everything logged for this request from here on carries the user ID.
	ctx = propagation.With(ctx, "user_id", req.UserID)
	id := 1000 + s.nextID.Add(1)
	if err := s.authorize(ctx, id, req.Total); err != nil {
		s.log.ErrorContext(ctx, "payment failed", "order_id", id, "error", err)
		http.Error(w, "payment failed", http.StatusBadGateway)
		return
	}
	s.log.InfoContext(ctx, "order created", "order_id", id, "total", req.Total, "card", req.Card, "password", req.Password)

	// The invoice goes out after the response; the job keeps the request ID, the user ID
	// and the trace, and a panic in it is logged rather than lost.
	s.jobs.Add(1)
	done := propagation.Go(ctx, s.log, "send invoice", func(ctx context.Context) error {
		time.Sleep(20 * time.Millisecond) // the mail server is slow
		s.log.InfoContext(ctx, "invoice sent", "order_id", id)
		return nil
	})
	go func() { <-done; s.jobs.Done() }()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"order_id": id, "total": req.Total})
}

// inventory is the stock level by item; nobody loads it.
func (s *service) inventory() map[string]int { return s.stock }

// authorize calls the payments endpoint: an outbound call, with the request ID and the
// trace context on it.
func (s *service) authorize(ctx context.Context, orderID int64, total string) error {
	body := strings.NewReader(fmt.Sprintf(`{"order_id":%d,"total":%q}`, orderID, total))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.payments, body)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("payments answered %s", resp.Status)
	}
	return nil
}

func (s *service) authorizePayment(w http.ResponseWriter, r *http.Request) {
	s.log.InfoContext(r.Context(), "payment authorized")
	w.WriteHeader(http.StatusOK)
}

func (s *service) fail(ctx context.Context, w http.ResponseWriter, err error) {
	s.log.ErrorContext(ctx, "order rejected", "error", err)
	http.Error(w, err.Error(), http.StatusUnprocessableEntity)
}
