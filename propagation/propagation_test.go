package propagation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestValidRequestID(t *testing.T) {
	cases := map[string]bool{
		"abc-123":                          true,
		"a":                                true,
		"Root-1-5759e988:bd862e3f.x_y":     true,
		"Root=1-5759e988":                  false,
		strings.Repeat("a", 128):           true,
		strings.Repeat("a", 129):           false,
		strings.Repeat("a", 10240):         false,
		"":                                 false,
		"abc\n2026-05-07 INFO forged":      false,
		"abc\r\nSet-Cookie: x=1":           false,
		"tab\there":                        false,
		"nul\x00":                          false,
		"esc\x1b[31m":                      false,
		`quote"break`:                      false,
		`{"json":1}`:                       false,
		"späce":                            false,
		"ünïcode":                          false,
		"with space":                       false,
		"semi;colon":                       false,
		"slash/../etc":                     false,
		"<script>alert(1)</script>":        false,
		"\xff\xfe":                         false,
		"percent%0Aencoded":                false,
		"comma,separated":                  false,
		"emoji-\U0001F600":                 false,
		"back\\slash":                      false,
		"0af7651916cd43dd8448eb211c80319c": true,
	}
	for in, want := range cases {
		if got := ValidRequestID(in); got != want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzRequestIDMiddleware(f *testing.F) {
	for _, s := range []string{"abc-123", "a\nb", strings.Repeat("x", 300), "\xff", `"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		var seen string
		h := RequestIDMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["X-Request-Id"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out := rec.Header().Get("X-Request-ID")
		if !ValidRequestID(out) || out != seen {
			t.Fatalf("header %q gave response %q and context %q", header, out, seen)
		}
		if ValidRequestID(header) != (out == header) {
			t.Fatalf("header %q: kept=%v valid=%v", header, out == header, ValidRequestID(header))
		}
	})
}

func TestRequestIDMiddleware(t *testing.T) {
	var seen string
	h := RequestIDMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }))
	for _, c := range []struct {
		in   string
		keep bool
	}{{"abc-123", true}, {strings.Repeat("a", 300), false}, {"x\ny", false}, {"", false}} {
		req := httptest.NewRequest("GET", "/", nil)
		if c.in != "" {
			req.Header.Set("X-Request-ID", c.in)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-ID")
		if (got == c.in) != c.keep || got != seen || !ValidRequestID(got) {
			t.Errorf("in %.20q: response %q, context %q", c.in, got, seen)
		}
	}
	custom := RequestIDMiddleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), WithRequestIDHeader("x-correlation-id"))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Correlation-ID", "corr-1")
	rec := httptest.NewRecorder()
	custom.ServeHTTP(rec, req)
	if rec.Header().Get("X-Correlation-ID") != "corr-1" {
		t.Errorf("custom header: %v", rec.Header())
	}
}

func TestTransportForwardsRequestID(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("X-Request-ID") }))
	defer srv.Close()
	client := &http.Client{Transport: Transport(nil)}
	req, _ := http.NewRequestWithContext(WithRequestID(context.Background(), "abc-123"), "GET", srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != "abc-123" || req.Header.Get("X-Request-ID") != "" {
		t.Errorf("server saw %q; caller's request modified: %v", got, req.Header)
	}
}

func TestWithMergesAndDetachKeeps(t *testing.T) {
	if Attrs(context.Background()) != nil {
		t.Fatal("attributes on an empty context")
	}
	ctx := With(context.Background(), "user_id", 88, "tenant", "acme")
	ctx = With(ctx, slog.String("tenant", "globex"), "job", "invoice")
	got := map[string]string{}
	for _, a := range Attrs(ctx) {
		got[string(a.Key)] = a.Value.String()
	}
	if len(got) != 3 || got["user_id"] != "88" || got["tenant"] != "globex" || got["job"] != "invoice" {
		t.Errorf("bound %v", got)
	}
	parent, cancel := context.WithCancel(WithRequestID(ctx, "r-1"))
	d := Detach(parent)
	cancel()
	if d.Err() != nil || RequestID(d) != "r-1" || len(Attrs(d)) != 3 {
		t.Errorf("detached: err=%v id=%q attrs=%v", d.Err(), RequestID(d), Attrs(d))
	}
}

// jsonLogger logs to a buffer as JSON, for reading back what was logged.
func jsonLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, nil)), &buf
}

func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestGoRecoversAndLogs(t *testing.T) {
	log, buf := jsonLogger()
	ctx, cancel := context.WithCancel(WithRequestID(context.Background(), "abc-123"))
	cancel() // the request is over; the job goes on
	err := <-Go(ctx, log, "send invoice", func(ctx context.Context) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		panic(errors.New("assignment to entry in nil map"))
	})
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PanicError", err)
	}
	lines := decodeLines(t, buf)
	if len(lines) != 1 {
		t.Fatalf("%d lines: %s", len(lines), buf)
	}
	l := lines[0]
	if l["level"] != "ERROR" || l[RequestIDKey] != "abc-123" || !strings.Contains(l[ExceptionMessageKey].(string), "nil map") ||
		l[ExceptionTypeKey] != "*errors.errorString" ||
		!strings.Contains(l[ExceptionStacktraceKey].(string), "propagation_test.go") {
		t.Errorf("logged %v", l)
	}
	// An error is logged too; success is not.
	buf.Reset()
	<-Go(context.Background(), log, "job", func(context.Context) error { return errors.New("smtp down") })
	<-Go(context.Background(), log, "job", func(context.Context) error { return nil })
	if lines := decodeLines(t, buf); len(lines) != 1 || lines[0]["error"] != "smtp down" {
		t.Errorf("logged %v", lines)
	}
}

func TestRecoverMiddleware(t *testing.T) {
	log, buf := jsonLogger()
	h := RequestIDMiddleware(RecoverMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		panic("kaboom")
	}), log))
	req := httptest.NewRequest("GET", "/panic", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	lines := decodeLines(t, buf)
	if rec.Code != 500 || len(lines) != 1 || lines[0][RequestIDKey] != "abc-123" || lines[0][ExceptionMessageKey] != "kaboom" ||
		!strings.Contains(lines[0][ExceptionStacktraceKey].(string), "goroutine") {
		t.Errorf("code %d, logged %v", rec.Code, lines)
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler was not re-panicked: %v", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/abort", nil))
}

type headerStream struct {
	grpc.ServerTransportStream
	header metadata.MD
}

func (h *headerStream) SetHeader(md metadata.MD) error {
	h.header = metadata.Join(h.header, md)
	return nil
}
func (h *headerStream) Method() string { return "/test/Method" }

func TestGRPCInterceptors(t *testing.T) {
	log, buf := jsonLogger()
	ic := UnaryServerInterceptor(log)
	hs := &headerStream{}
	ctx := grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", "abc-123")), hs)
	var seen string
	_, err := ic(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/test/Method"}, func(ctx context.Context, _ any) (any, error) {
		seen = RequestID(ctx)
		panic("kaboom")
	})
	if status.Code(err) != codes.Internal || seen != "abc-123" || hs.header.Get("x-request-id")[0] != "abc-123" {
		t.Errorf("err %v, id %q, header %v", err, seen, hs.header)
	}
	if lines := decodeLines(t, buf); len(lines) != 1 || lines[0][RequestIDKey] != "abc-123" {
		t.Errorf("logged %v", lines)
	}
	// A hostile ID is replaced.
	ctx = grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", "a\nb")), &headerStream{})
	_, _ = ic(ctx, nil, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) { seen = RequestID(ctx); return nil, nil })
	if seen == "a\nb" || !ValidRequestID(seen) {
		t.Errorf("hostile id kept: %q", seen)
	}
	sic := StreamServerInterceptor(log)
	err = sic(nil, &fakeStream{ctx: grpc.NewContextWithServerTransportStream(context.Background(), &headerStream{})}, &grpc.StreamServerInfo{FullMethod: "/s"},
		func(_ any, ss grpc.ServerStream) error { seen = RequestID(ss.Context()); panic("x") })
	if status.Code(err) != codes.Internal || !ValidRequestID(seen) {
		t.Errorf("stream: err %v id %q", err, seen)
	}
}

type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (f *fakeStream) Context() context.Context { return f.ctx }

// TestRecoverMiddlewareAfterHeaders: once the handler has started its response, a panic
// must not end in a complete-looking 200 with "Internal Server Error" spliced into the
// body; the connection is aborted, so that the client sees a failed request. Before that,
// the client gets a 500, and the wrapped writer keeps Flush and Hijack.
func TestRecoverMiddlewareAfterHeaders(t *testing.T) {
	var out lockedWriter // the server's goroutines log
	log := slog.New(slog.NewJSONHandler(&out, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("/half", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"orders":[{"id":1},`)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
		panic("kaboom after the headers")
	})
	mux.HandleFunc("/unflushed", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"orders":[`)
		panic("kaboom with the body still buffered")
	})
	mux.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // informational: the response has not started
		panic("kaboom before the final status")
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the middleware's writer is not an http.Flusher")
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack through the middleware: %v", err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
		_ = rw.Flush()
	})
	srv := httptest.NewServer(RecoverMiddleware(mux, log))
	defer srv.Close()

	get := func(path string) (int, string, error) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	for _, path := range []string{"/half", "/unflushed"} {
		code, body, err := get(path)
		if err == nil {
			t.Errorf("%s: the client got a complete response (%d %q) after a panic mid-response", path, code, body)
		}
		if strings.Contains(body, "Internal Server Error") {
			t.Errorf("%s: an error page was spliced into the body: %q", path, body)
		}
	}
	if code, _, err := get("/early"); err != nil || code != http.StatusInternalServerError {
		t.Errorf("/early: %d, %v; want a 500 (only a 103 had been sent)", code, err)
	}
	if code, _, err := get("/hijack"); err != nil || code != http.StatusNoContent {
		t.Errorf("/hijack: %d, %v; want the hijacked connection's 204", code, err)
	}
	out.mu.Lock()
	lines := decodeLines(t, &out.buf)
	out.mu.Unlock()
	if len(lines) != 3 {
		t.Fatalf("logged %d lines, want one per panic: %v", len(lines), lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l[ExceptionMessageKey].(string), "kaboom") {
			t.Errorf("logged %v", l)
		}
	}
}

type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// TestWithConvertsWhenCalled: a bound map changed after With, even by another goroutine
// while records are logged, is bound as it was: With converts, Attrs only reads (run with
// -race).
func TestWithConvertsWhenCalled(t *testing.T) {
	state := map[string]string{"phase": "bound"}
	ctx := With(context.Background(), "state", state)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			state["phase"] = fmt.Sprint("changed ", i)
		}
	}()
	for range 1000 {
		if got := Attrs(ctx)[0].Value.String(); !strings.Contains(got, "bound") || strings.Contains(got, "changed") {
			t.Fatalf("bound %s", got)
		}
	}
	<-done
}

// TestPanicErrorOfCyclicValue: the error Run returns describes a panic value that fmt
// would follow without end (a map holding itself) without killing the process: logging
// that error, or printing it, calls Error.
func TestPanicErrorOfCyclicValue(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(16 << 20))
	m := map[string]any{}
	m["self"] = m
	if got := (&PanicError{Value: m}).Error(); !strings.HasPrefix(got, "panic: [map[string]interface {} not printed") {
		t.Errorf("Error = %q", got)
	}
	if got := (&PanicError{Value: "boom"}).Error(); got != "panic: boom" {
		t.Errorf("Error = %q", got)
	}
}
