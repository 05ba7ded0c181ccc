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
	send chan []byte   // encoded frames waiting for the writer; bounded by Options.SendQueue and SendQueueBytes
	done chan struct{} // closed by stop: the writer says goodbye and closes the connection

	mu        sync.Mutex
	ready     bool     // welcome has been queued: frames go straight to send
	held      [][]byte // frames published between registration and welcome, sent right after it
	stopped   bool
	closeCode int
	closeText string
	// queuedBytes is the size of the frames held or on send and not yet written: at most Options.SendQueueBytes.
	queuedBytes int
	// queued counts the frames ever put on send, written those the writer has finished with; welcomeAt is the
	// value of queued just after the newest welcome was put on send, so that welcome is still waiting while
	// written < welcomeAt.
	queued, written, welcomeAt uint64

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
// are held and follow the welcome, so that a client always sees welcome first. A full queue or hold (in frames or in
// bytes) means the client does not keep up: it is dropped, and it will resume from the store when it reconnects.
// enqueue reports whether the frame was queued.
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
		ok = c.pushLocked(frame)
	} else {
		c.ready = true
		held := c.held
		c.held = nil
		for _, f := range held {
			c.queuedBytes -= len(f) // counted again as each is pushed
		}
		ok = c.pushLocked(frame)
		for i := 0; ok && i < len(held); i++ {
			ok = c.pushLocked(held[i])
		}
	}
	if ok {
		c.welcomeAt = c.queued
	}
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// welcomePending reports whether a welcome is queued and not yet written.
func (c *client) welcomePending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written < c.welcomeAt
}

// reply queues a frame that answers the client's own frame (ack, error): it is never held, since the client is
// waiting for it. Like enqueue it never blocks and drops a client that does not keep up.
func (c *client) reply(frame []byte) bool {
	c.mu.Lock()
	ok := c.pushLocked(frame)
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// unhold forgets the frames held for a welcome that will not come (the hello failed).
func (c *client) unhold() {
	c.mu.Lock()
	for _, f := range c.held {
		c.queuedBytes -= len(f)
	}
	c.held = nil
	c.mu.Unlock()
}

// queueLocked queues or holds one frame; false when the socket is stopped or its queue is full.
func (c *client) queueLocked(frame []byte) bool {
	if !c.ready {
		if c.stopped || len(c.held) >= cap(c.send) || c.queuedBytes+len(frame) > c.hub.opts.SendQueueBytes {
			return false
		}
		c.held = append(c.held, frame)
		c.queuedBytes += len(frame)
		return true
	}
	return c.pushLocked(frame)
}

// pushLocked puts one frame on send; false when the socket is stopped or the frame would pass the queue's bound in
// frames or in bytes. The send never blocks, so holding c.mu across it is safe; it keeps the welcome ahead of frames
// published concurrently.
func (c *client) pushLocked(frame []byte) bool {
	if c.stopped || c.queuedBytes+len(frame) > c.hub.opts.SendQueueBytes {
		return false
	}
	select {
	case c.send <- frame:
		c.queuedBytes += len(frame)
		c.queued++
		return true
	default:
		return false
	}
}

// wrote accounts for a frame the writer took from send and has written (or failed to write).
func (c *client) wrote(frame []byte) {
	c.mu.Lock()
	c.queuedBytes -= len(frame)
	c.written++
	c.mu.Unlock()
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
			err := c.conn.WriteMessage(websocket.TextMessage, frame)
			c.wrote(frame)
			if err != nil {
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
			err := c.conn.WriteMessage(websocket.TextMessage, frame)
			c.wrote(frame)
			if err != nil {
				return
			}
		default:
			return
		}
	}
}
