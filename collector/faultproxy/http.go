package faultproxy

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// HTTP is a reverse proxy to a collector's OTLP/HTTP receiver that answers the next
// requests with a chosen status instead of forwarding them.
type HTTP struct {
	srv   *http.Server
	l     net.Listener
	proxy *httputil.ReverseProxy

	plan       plan
	status     int    // under plan.mu
	retryAfter string // under plan.mu
	location   string // under plan.mu
}

// NewHTTP listens on a free loopback port and forwards to target (http://host:port).
func NewHTTP(target string) (*HTTP, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &HTTP{l: l, proxy: httputil.NewSingleHostReverseProxy(u)}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// URL is the proxy's base URL.
func (p *HTTP) URL() string { return "http://" + p.l.Addr().String() }

// Fail answers the next n requests (every request if n < 0) with status and, if
// retryAfter is not empty, a Retry-After header.
func (p *HTTP) Fail(status int, retryAfter string, n int) {
	p.plan.set(n, func() { p.status, p.retryAfter, p.location = status, retryAfter, "" })
}

// Redirect answers the next n requests (every request if n < 0) with a redirect status
// (301, 302, 303, 307, 308) to location.
func (p *HTTP) Redirect(status int, location string, n int) {
	p.plan.set(n, func() { p.status, p.retryAfter, p.location = status, "", location })
}

// Requests returns the requests seen so far.
func (p *HTTP) Requests() []Request { return p.plan.seen() }

// Close stops the proxy.
func (p *HTTP) Close() error { return p.srv.Close() }

// ServeHTTP answers with the configured failure or forwards the request to the collector.
func (p *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var status int
	var retryAfter, location string
	fail := p.plan.next(r.URL.Path, r.Header.Get("Content-Type"), func() int {
		status, retryAfter, location = p.status, p.retryAfter, p.location
		return status
	})
	if !fail {
		p.proxy.ServeHTTP(w, r)
		return
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	if location != "" {
		http.Redirect(w, r, location, status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}
