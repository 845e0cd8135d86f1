package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/recorduid"
)

// httpLogs sends OTLP/HTTP protobuf requests, encoded by otlpenc rather than through the
// generated structs and reflection (see internal/otlpenc), and classifies the answer.
type httpLogs struct {
	client      *http.Client
	url         string
	headers     map[string]string
	compression string // CompressionNone, CompressionGzip or CompressionZstd
	json        bool   // http/json: the OTLP/JSON encoding instead of protobuf
	timeout     time.Duration
	bufs        sync.Pool // *[]byte
}

// newOTLPHTTP builds the exporter for c, with its defaults applied; tlsCfg is nil for
// the system's roots.
func newOTLPHTTP(_ context.Context, c OTLPConfig, tlsCfg *tls.Config) (*OTLP, error) {
	var client *http.Client
	if c.HTTPClient != nil {
		cl := *c.HTTPClient
		client = &cl
	} else {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		if tlsCfg != nil {
			transport.TLSClientConfig = tlsCfg
		}
		client = &http.Client{Transport: transport}
	}
	client.CheckRedirect = noRedirects
	h := &httpLogs{
		client:      client,
		url:         c.Endpoint,
		headers:     c.Headers,
		compression: c.Compression,
		json:        c.Protocol == ProtocolHTTPJSON,
		timeout:     c.Timeout,
	}
	return &OTLP{exp: h, probe: h.probe, close: func() error { client.CloseIdleConnections(); return nil }}, nil
}

// noRedirects makes the client return a redirect as the response. Following one would
// turn the POST into a bodiless GET (301, 302, 303) that another server may answer 200,
// counted exported and never delivered, or re-send the records and the headers, API keys
// included, to another host (307, 308). Export reports it as a permanent failure.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// maxResponse bounds how much of a response body is read.
const maxResponse = 64 << 10

func (h *httpLogs) Export(ctx context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return nil
	}
	bp, _ := h.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer h.bufs.Put(bp)
	var body []byte
	if uids := recorduid.FromContext(ctx); h.json {
		body = otlpenc.AppendRequestJSON((*bp)[:0], records, uids)
	} else {
		body = otlpenc.AppendRequest((*bp)[:0], records, uids)
	}
	*bp = body
	switch h.compression {
	case CompressionGzip:
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(body)
		if err := zw.Close(); err != nil {
			return &ExportError{Err: err, Permanent: true}
		}
		body = zb.Bytes()
	case CompressionZstd:
		enc, err := zstdEncoder()
		if err != nil {
			return &ExportError{Err: err, Permanent: true}
		}
		body = enc.EncodeAll(body, nil)
	}
	actx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return &ExportError{Err: err, Permanent: true}
	}
	h.setHeaders(req)
	resp, err := h.client.Do(req)
	if err != nil {
		// Nothing was answered (refused, reset, timeout): transient, unless the caller
		// gave up, which no retry fixes.
		return &ExportError{Err: err, Permanent: ctx.Err() != nil}
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return &ExportError{Err: fmt.Errorf("%s: redirects are not followed; set the endpoint to the collector's own URL", resp.Status), Permanent: true}
	}
	return &ExportError{
		Err:        fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg))),
		status:     resp.StatusCode,
		Permanent:  !retryableStatus(resp.StatusCode),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

func (h *httpLogs) setHeaders(req *http.Request) {
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	if h.json {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-protobuf")
	}
	req.Header.Set("User-Agent", "resilog")
	if h.compression != CompressionNone {
		req.Header.Set("Content-Encoding", h.compression)
	}
}

// probe sends an empty request (an empty ExportLogsServiceRequest encodes to no bytes in
// protobuf, to {} in JSON).
func (h *httpLogs) probe(ctx context.Context) error {
	var body io.Reader = http.NoBody
	if h.json {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, body)
	if err != nil {
		return err
	}
	h.setHeaders(req)
	req.Header.Del("Content-Encoding")
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &ExportError{Err: fmt.Errorf("probe: %s", resp.Status), status: resp.StatusCode, Permanent: !retryableStatus(resp.StatusCode)}
	}
	return nil
}

func (*httpLogs) ForceFlush(context.Context) error { return nil }
func (*httpLogs) Shutdown(context.Context) error   { return nil }
