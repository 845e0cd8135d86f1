package faultproxy

import (
	"sync"
	"time"
)

// Request is one request the proxy saw.
type Request struct {
	At          time.Time
	Path        string
	ContentType string // the request's Content-Type header (HTTP only)
	Status      int    // what the proxy answered (HTTP status or gRPC code); 0 when forwarded
}

// plan is what the HTTP and gRPC proxies share: how many of the next requests fail, and
// the record of every request seen.
type plan struct {
	mu        sync.Mutex
	remaining int // failures left; -1 means every request
	requests  []Request
}

// set makes the next n requests (every one if n < 0) fail as configure describes;
// configure runs under the lock.
func (p *plan) set(n int, configure func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	configure()
	p.remaining = n
}

// next records a request and reports whether it fails. answer runs under the lock, reads
// the failure to give and returns its status; 0 means no failure is configured.
func (p *plan) next(path, contentType string, answer func() int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	req := Request{At: time.Now(), Path: path, ContentType: contentType}
	status := answer()
	fail := p.remaining != 0 && status != 0
	if fail {
		req.Status = status
		if p.remaining > 0 {
			p.remaining--
		}
	}
	p.requests = append(p.requests, req)
	return fail
}

// seen returns the requests recorded so far.
func (p *plan) seen() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}
