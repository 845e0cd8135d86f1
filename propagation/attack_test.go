package propagation

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAttackRecoverMiddlewareHidesPusher: before the item-5 fix RecoverMiddleware handed
// next the server's own ResponseWriter; now it hands a wrapper that keeps Flush and Hijack
// (and the rest through Unwrap) but not http.Pusher, which http.ResponseController does
// not reach. An HTTP/2 handler behind the middleware can no longer push.
func TestAttackRecoverMiddlewareHidesPusher(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	pusher := make(chan bool, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := w.(http.Pusher)
		pusher <- ok
	})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare", h}, {"RecoverMiddleware", RecoverMiddleware(h, log)}} {
		srv := httptest.NewUnstartedServer(tc.h)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s: served over %s, want HTTP/2", tc.name, resp.Proto)
		}
		if ok := <-pusher; !ok {
			t.Errorf("%s: the handler's ResponseWriter is not an http.Pusher over HTTP/2", tc.name)
		}
	}
}

// TestAttackRecoverMiddlewareWriteThroughUnwrap: the middleware's writer exposes the
// server's writer through Unwrap (for http.ResponseController). A handler, or a middleware
// inside the chain, that unwraps it and writes there starts the response without the
// middleware seeing it: after a panic the middleware calls http.Error anyway, and the
// client gets item 5's bug back, a complete-looking 200 with "Internal Server Error"
// spliced into the JSON body.
func TestAttackRecoverMiddlewareWriteThroughUnwrap(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for {
			u, ok := w.(interface{ Unwrap() http.ResponseWriter })
			if !ok {
				break
			}
			w = u.Unwrap()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"orders":[{"id":1},`)
		_ = http.NewResponseController(w).Flush()
		panic("kaboom after the headers")
	})
	srv := httptest.NewServer(RecoverMiddleware(h, log))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		return // the connection was aborted: what the middleware promises
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("the client got a complete response (%d %q) after a panic mid-response", resp.StatusCode, body)
	}
}
