package webchat

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// client is one open socket. Its reader runs on the HTTP handler's goroutine (read.go); its writer goroutine is the
// only one that writes data frames. Publishers only ever put encoded frames on the bounded send queue.
type client struct {
	hub  *Hub
	conn *websocket.Conn
	send chan []byte   // encoded frames waiting for the writer; bounded by Options.SendQueue
	done chan struct{} // closed by stop: the writer says goodbye and closes the connection

	mu        sync.Mutex
	ready     bool     // welcome has been queued: frames go straight to send
	held      [][]byte // frames published between registration and welcome, sent right after it
	stopped   bool
	closeCode int
	closeText string

	// visitorID is set by the reader goroutine on the first successful hello and read only by it.
	visitorID string
}

func newClient(h *Hub, conn *websocket.Conn) *client {
	return &client{
		hub:  h,
		conn: conn,
		send: make(chan []byte, h.opts.SendQueue),
		done: make(chan struct{}),
	}
}

// enqueue puts a frame on the socket's queue without ever blocking. Frames published before the socket's welcome
// are held and follow the welcome, so that a client always sees welcome first. A full queue (or hold) means the
// client does not keep up: it is dropped, and it will resume from the store when it reconnects. enqueue reports
// whether the frame was queued.
func (c *client) enqueue(frame []byte) bool {
	c.mu.Lock()
	ok := c.queueLocked(frame)
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// welcome queues the welcome frame ahead of the frames held since registration and opens the queue. It reports
// whether all were queued.
func (c *client) welcome(frame []byte) bool {
	c.mu.Lock()
	var ok bool
	if c.ready {
		ok = c.queueLocked(frame)
	} else {
		c.ready = true
		held := c.held
		c.held = nil
		ok = c.queueLocked(frame)
		for i := 0; ok && i < len(held); i++ {
			ok = c.queueLocked(held[i])
		}
	}
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// reply queues a frame that answers the client's own frame (ack, error, welcome of a repeated hello): it is never
// held, since the client is waiting for it. Like enqueue it never blocks and drops a client that does not keep up.
func (c *client) reply(frame []byte) bool {
	c.mu.Lock()
	ok := !c.stopped
	if ok {
		select {
		case c.send <- frame:
		default:
			ok = false
		}
	}
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// unhold forgets the frames held for a welcome that will not come (the hello failed).
func (c *client) unhold() {
	c.mu.Lock()
	c.held = nil
	c.mu.Unlock()
}

// queueLocked queues or holds one frame; false when the socket is stopped or its queue is full. The send never
// blocks, so holding c.mu across it is safe; it keeps the welcome ahead of frames published concurrently.
func (c *client) queueLocked(frame []byte) bool {
	if c.stopped {
		return false
	}
	if !c.ready {
		if len(c.held) >= cap(c.send) {
			return false
		}
		c.held = append(c.held, frame)
		return true
	}
	select {
	case c.send <- frame:
		return true
	default:
		return false
	}
}

// drop closes a socket that does not keep up. The connection is closed at once rather than after a close frame: the
// client is not reading, and its writer may be stuck in a write until writeWait.
func (c *client) drop() {
	if c.stop(websocket.CloseTryAgainLater, "too slow") {
		c.hub.metrics.dropped.WithLabelValues("slow").Inc()
		c.hub.log.Info("web chat socket dropped: send queue full")
		c.conn.Close()
	}
}

// stop ends the socket: it leaves the hub, and the writer sends a close frame with code and text, then closes the
// connection. It is safe to call from any goroutine, more than once; it reports whether this call stopped it.
func (c *client) stop(code int, text string) bool {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return false
	}
	c.stopped = true
	c.closeCode, c.closeText = code, text
	c.held = nil
	c.mu.Unlock()
	close(c.done)
	c.hub.unregister(c)
	return true
}

// writeLoop writes queued frames and pings until stop; then it writes the close frame and closes the connection.
func (c *client) writeLoop() {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case frame := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
				c.stop(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-ping.C:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.stop(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-c.done:
			c.mu.Lock()
			code, text := c.closeCode, c.closeText
			c.mu.Unlock()
			if code == websocket.CloseGoingAway {
				c.flush() // a graceful shutdown still sends what was queued, such as a reply just stored
			}
			if code != websocket.CloseAbnormalClosure {
				msg := websocket.FormatCloseMessage(code, text)
				c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
			}
			return
		}
	}
}

// flush writes the frames already queued, without waiting for more; it stops at the first failed write.
func (c *client) flush() {
	for {
		select {
		case frame := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
				return
			}
		default:
			return
		}
	}
}
