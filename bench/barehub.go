package bench

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Timings of the bare hub, the same as the web-chat protocol's.
const (
	hubWriteWait   = 10 * time.Second
	hubPongWait    = 60 * time.Second
	hubPingPeriod  = 30 * time.Second
	hubMaxMessage  = 1 << 20
	hubSendBacklog = 256
)

// BareHub is the baseline for memory per idle connection: a minimal gorilla/websocket server built the way the
// gorilla chat example and centrifuge build theirs, with the same duties as a web-chat socket and nothing else: one
// reader and one writer goroutine per connection, a bounded send queue (a client that falls behind is dropped), pings
// with a pong deadline, a read limit, and a registry of clients. It echoes every text frame to its sender. The
// upgrader uses gorilla's default buffer sizes and a same-origin check.
type BareHub struct {
	upgrader websocket.Upgrader
	mu       sync.Mutex
	clients  map[*hubClient]struct{}
}

type hubClient struct {
	conn *websocket.Conn
	send chan []byte
}

// NewBareHub returns an empty hub.
func NewBareHub() *BareHub {
	return &BareHub{clients: make(map[*hubClient]struct{})}
}

// Len returns the number of connected clients.
func (h *BareHub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// ServeHTTP upgrades the request to a WebSocket and serves it until it closes.
func (h *BareHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered with an HTTP error
	}
	c := &hubClient{conn: conn, send: make(chan []byte, hubSendBacklog)}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	go h.write(c)
	h.read(c)
}

func (h *BareHub) read(c *hubClient) {
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.mu.Unlock()
		close(c.send)
		c.conn.Close()
	}()
	c.conn.SetReadLimit(hubMaxMessage)
	c.conn.SetReadDeadline(time.Now().Add(hubPongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(hubPongWait)) })
	for {
		typ, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(hubPongWait))
		if typ != websocket.TextMessage {
			continue
		}
		select {
		case c.send <- data:
		default:
			return // the client does not read: drop it rather than buffer without bound
		}
	}
}

func (h *BareHub) write(c *hubClient) {
	ticker := time.NewTicker(hubPingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case data, ok := <-c.send:
			if !ok {
				return
			}
			c.conn.SetWriteDeadline(time.Now().Add(hubWriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
				return
			}
		case <-ticker.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(hubWriteWait)); err != nil {
				return
			}
		}
	}
}
