package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// NewBareProxy returns the baseline for the time a bot turn adds: a plain httputil.ReverseProxy to target (an
// OpenAI-compatible server's origin, e.g. http://127.0.0.1:8080) that flushes every write at once (as it does for
// text/event-stream) and keeps up to conns upstream connections idle, so that it does not pay for new connections
// at high rates. It does nothing else: no parsing, no storage.
//
// It reads the request body (up to maxProxyBody) before forwarding it. Why: with a streamed body, Go's HTTP/1
// server closes the inbound body when the first response bytes are written, and the transport's last read of the
// outbound body can land after that and tear down the upstream connection mid-stream (golang/go#40747); the mock
// model answers its headers at once, so about one proxied stream in a hundred was cut. journeybot builds its own
// upstream request and so does the same.
func NewBareProxy(target string, conns int) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("proxy target %q is not an absolute URL", target)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.FlushInterval = -1
	p.Transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxyBody))
		if err != nil {
			http.Error(w, "request body unreadable or too large", http.StatusBadRequest)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		p.ServeHTTP(w, r)
	}), nil
}

// maxProxyBody bounds a request body the bare proxy buffers.
const maxProxyBody = 8 << 20
