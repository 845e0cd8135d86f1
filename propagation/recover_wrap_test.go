package propagation

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRecoverMiddlewareKeepsPusherAndCloseNotifier: the handler behind the middleware is
// an http.Pusher over HTTP/2 and an http.CloseNotifier over HTTP/1, as without it, and is
// neither when the server's writer is neither.
func TestRecoverMiddlewareKeepsPusherAndCloseNotifier(t *testing.T) {
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

	notifier := make(chan bool, 1)
	srv := httptest.NewServer(RecoverMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		//lint:ignore SA1019 the middleware must keep what handlers still use
		_, ok := w.(http.CloseNotifier)
		notifier <- ok
	}), log))
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	if !<-notifier {
		t.Error("over HTTP/1 the handler's ResponseWriter is not an http.CloseNotifier")
	}

	RecoverMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, push := w.(http.Pusher)
		//lint:ignore SA1019 the middleware must keep what handlers still use
		_, notify := w.(http.CloseNotifier)
		if push || notify {
			t.Errorf("over a recorder, neither Pusher nor CloseNotifier, the handler's writer is one (push %v, notify %v)", push, notify)
		}
	}), log).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

// TestRecoverMiddlewareAbortsAfterAWriteThroughUnwrap: a handler that unwraps the
// middleware's writer and writes on the server's own starts the response unseen; after a
// panic the middleware aborts the response (it cannot know whether it started) rather
// than splice a 500 into a 200 body.
func TestRecoverMiddlewareAbortsAfterAWriteThroughUnwrap(t *testing.T) {
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
