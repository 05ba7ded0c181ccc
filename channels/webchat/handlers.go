package webchat

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

//go:embed static
var staticFiles embed.FS

// demoCSP is the Content-Security-Policy of the demo page: its own scripts and styles only. The widget's styles
// live in its Shadow DOM as a <style> element, hence 'unsafe-inline' for styles (never for scripts).
const demoCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Routes registers the web chat's handlers on mux: GET /chat/ws (the WebSocket), GET /widget.js (the embeddable
// widget), GET /{$} (the demo page) and GET /static/ (the embedded static files).
func (h *Hub) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /chat/ws", h.serveWS)
	mux.Handle("GET /widget.js", staticFile("static/widget.js", "text/javascript; charset=utf-8", func(hd http.Header) {
		// Sites embed the script from this server; let pages with Cross-Origin-Embedder-Policy load it too.
		hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}))
	mux.Handle("GET /{$}", staticFile("static/index.html", "text/html; charset=utf-8", func(hd http.Header) {
		hd.Set("Content-Security-Policy", demoCSP)
		hd.Set("Referrer-Policy", "no-referrer")
	}))
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("webchat: static files missing: " + err.Error()) // cannot happen: the folder is embedded
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// serveWS upgrades a request to a web chat socket and serves it until it closes: the reader runs on this
// goroutine, the writer on its own.
func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request) {
	if !h.originAllowed(r) {
		h.log.Info("web chat socket refused: origin not allowed", "origin", r.Header.Get("Origin"))
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	c := newClient(h, conn)
	if !h.add(c) {
		conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(writeWait))
		conn.Close()
		return
	}
	go func() {
		defer h.running.Done()
		c.writeLoop()
	}()
	defer h.running.Done()
	c.readLoop()
}

// originAllowed reports whether a socket may be opened from the request's Origin: no Origin (not a browser), the
// server's own host, or an origin listed in Options.AllowedOrigins (exact scheme://host[:port]).
func (h *Hub) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return h.allowed[normalizeOrigin(origin)]
}

// staticFile serves one embedded file with its content type, an ETag (so browsers revalidate cheaply) and the
// extra headers set by headers.
func staticFile(name, contentType string, headers func(http.Header)) http.Handler {
	body, err := staticFiles.ReadFile(name)
	if err != nil {
		panic("webchat: static file missing: " + name) // cannot happen: the file is embedded
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", contentType)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", etag)
		headers(hd)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	})
}
