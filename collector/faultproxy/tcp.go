package faultproxy

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// TCP forwards connections to a target, or, while hanging, accepts them and never answers.
// It works for OTLP/HTTP and OTLP/gRPC alike.
type TCP struct {
	l      net.Listener
	target string
	hang   atomic.Bool

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewTCP listens on a free loopback port and forwards to target (host:port).
func NewTCP(target string) (*TCP, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &TCP{l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *TCP) Addr() string { return p.l.Addr().String() }

// SetHang switches hanging on or off. Switching closes the open connections, so clients
// reconnect into the new behaviour.
func (p *TCP) SetHang(on bool) {
	p.hang.Store(on)
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

// Close stops the proxy and closes every connection.
func (p *TCP) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.l.Close()
	p.wg.Wait()
	return err
}

func (p *TCP) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *TCP) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *TCP) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			if p.hang.Load() {
				_, _ = io.Copy(io.Discard, c) // read everything, answer nothing
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				return // the client sees the connection close, like a dead collector
			}
			if !p.track(up) {
				return
			}
			defer p.untrack(up)
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
			<-done
		}()
	}
}
