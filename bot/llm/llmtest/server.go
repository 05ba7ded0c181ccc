package llmtest

import (
	"net/http/httptest"
	"testing"
)

// Server is a Handler listening on a loopback port for one test.
type Server struct {
	*Handler
	srv *httptest.Server
}

// NewServer starts a Handler with opts on a loopback httptest server that t's Cleanup closes (hanging answers are
// ended first, so Close does not wait for them).
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	h := NewHandler(opts)
	srv := httptest.NewServer(h)
	s := &Server{Handler: h, srv: srv}
	t.Cleanup(s.Close)
	return s
}

// URL returns the base URL to give an OpenAI client, including the version path: "http://127.0.0.1:PORT/v1".
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Close ends hanging answers and shuts the server down; t's Cleanup does it too, and calling it twice is harmless.
func (s *Server) Close() {
	s.Handler.Close()
	s.srv.Close()
}
