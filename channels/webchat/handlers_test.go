package webchat

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

func TestOriginCheck(t *testing.T) {
	_, srv := testServer(t, newFakeEngine(), Options{AllowedOrigins: []string{"https://shop.example.com/", "http://localhost:8080"}})
	tests := []struct {
		name   string
		origin string
		want   int
	}{
		{name: "no origin (not a browser)", origin: "", want: http.StatusSwitchingProtocols},
		{name: "same origin", origin: srv.URL, want: http.StatusSwitchingProtocols},
		{name: "listed origin", origin: "https://shop.example.com", want: http.StatusSwitchingProtocols},
		{name: "listed origin, other case", origin: "HTTPS://Shop.Example.com", want: http.StatusSwitchingProtocols},
		{name: "listed host with another scheme", origin: "http://shop.example.com", want: http.StatusForbidden},
		{name: "listed host with another port", origin: "http://localhost:8081", want: http.StatusForbidden},
		{name: "other origin", origin: "https://evil.example", want: http.StatusForbidden},
		{name: "opaque origin", origin: "null", want: http.StatusForbidden},
		{name: "suffix of a listed origin", origin: "https://shop.example.com.evil.example", want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.origin != "" {
				header.Set("Origin", tt.origin)
			}
			conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), header)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("dial: %v, no response", err)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("Origin %q: status %d, want %d", tt.origin, resp.StatusCode, tt.want)
			}
		})
	}
}

func TestOriginCheckPublicURL(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		origin    string
		want      int
	}{
		{name: "public origin", publicURL: "https://chat.example.com", origin: "https://chat.example.com",
			want: http.StatusSwitchingProtocols},
		{name: "public origin, other case", publicURL: "https://Chat.Example.com/", origin: "https://chat.example.COM",
			want: http.StatusSwitchingProtocols},
		{name: "default port and path dropped", publicURL: "https://chat.example.com:443/support/",
			origin: "https://chat.example.com", want: http.StatusSwitchingProtocols},
		{name: "other port kept", publicURL: "http://chat.example.com:8080", origin: "http://chat.example.com:8080",
			want: http.StatusSwitchingProtocols},
		{name: "other scheme", publicURL: "https://chat.example.com", origin: "http://chat.example.com",
			want: http.StatusForbidden},
		{name: "other port", publicURL: "http://chat.example.com:8080", origin: "http://chat.example.com",
			want: http.StatusForbidden},
		{name: "other host", publicURL: "https://chat.example.com", origin: "https://evil.example",
			want: http.StatusForbidden},
		{name: "not a URL: ignored", publicURL: "chat.example.com", origin: "https://chat.example.com",
			want: http.StatusForbidden},
		{name: "no public URL", origin: "https://chat.example.com", want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := testServer(t, newFakeEngine(), Options{PublicURL: tt.publicURL})
			conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), http.Header{"Origin": {tt.origin}})
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("dial: %v, no response", err)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("public URL %q, Origin %q: status %d, want %d", tt.publicURL, tt.origin, resp.StatusCode, tt.want)
			}
		})
	}
}

func TestStaticRoutes(t *testing.T) {
	_, srv := testServer(t, newFakeEngine(), Options{})
	tests := []struct {
		path         string
		wantStatus   int
		wantType     string
		wantContains []string
	}{
		{path: "/widget.js", wantStatus: 200, wantType: "text/javascript; charset=utf-8",
			wantContains: []string{`"Open chat"`, `"Message"`, `"Send"`, `role: "log"`, "attachShadow", "textContent"}},
		{path: "/", wantStatus: 200, wantType: "text/html; charset=utf-8",
			wantContains: []string{`<script src="/widget.js"`, "Hearthly", "shipping"}},
		{path: "/static/demo.css", wantStatus: 200, wantType: "text/css; charset=utf-8"},
		{path: "/static/widget.js", wantStatus: 200, wantType: "text/javascript; charset=utf-8"},
		{path: "/static/", wantStatus: 404},
		{path: "/static/missing.js", wantStatus: 404},
		{path: "/elsewhere", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Content-Type"); tt.wantType != "" && got != tt.wantType {
				t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.wantType)
			}
			for _, s := range tt.wantContains {
				if !strings.Contains(string(body), s) {
					t.Errorf("GET %s: body does not contain %q", tt.path, s)
				}
			}
		})
	}
}

func TestWidgetRevalidates(t *testing.T) {
	_, srv := testServer(t, newFakeEngine(), Options{})
	resp, err := http.Get(srv.URL + "/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /widget.js")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/widget.js", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", resp.StatusCode)
	}
}

func TestShutdownClosesSocketsGoingAway(t *testing.T) {
	h, srv := testServer(t, newFakeEngine(), Options{})
	conn := dial(t, srv)
	hello(t, conn, visitorA, 0)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("read after Shutdown: %v, want close 1001", err)
	}
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown: %v, response %v; want 503", err, resp)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h, srv := testServer(t, newFakeEngine(), Options{Registerer: reg})
	New(newFakeEngine(), Options{Registerer: reg}) // a second hub on the same registry shares the collectors

	connections := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "journeybot_webchat_connections" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no journeybot_webchat_connections metric")
		return 0
	}
	conn := dial(t, srv)
	hello(t, conn, visitorA, 0)
	if got := connections(); got != 1 {
		t.Errorf("connections = %v with one socket open, want 1", got)
	}
	conn.Close()
	waitFor(t, "the socket to be forgotten", func() bool { return h.sockets(visitorA) == 0 })
	if got := connections(); got != 0 {
		t.Errorf("connections = %v after close, want 0", got)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.HasPrefix(l.GetValue(), "v_") {
					t.Errorf("metric %s has a visitor id as label %s", mf.GetName(), l.GetName())
				}
			}
		}
	}
}
