package webchat

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// client is one open socket. Its reader runs on the HTTP handler's goroutine (read.go); its writer goroutine is the
// only one that writes data frames. Publishers only ever put encoded frames on the bounded send queue (queue.go).
type client struct {
	hub  *Hub
	conn *websocket.Conn
	wake chan struct{} // holds a token when frames were queued since the writer last looked
	done chan struct{} // closed by stop: the writer says goodbye and closes the connection

	mu    sync.Mutex
	ready bool       // welcome has been queued: frames go straight to the queue
	held  []outFrame // frames published between registration and welcome, sent right after it
	// queue[head:] are the frames waiting for the writer, oldest first: at most Options.SendQueue.
	queue     []outFrame
	head      int
	stopped   bool
	closeCode int
	closeText string
	// queuedBytes is the size of the frames held or queued and not yet written: at most Options.SendQueueBytes.
	queuedBytes int
	// queued counts the frames ever put on the queue (a merged delta is not a new frame), written those the writer
	// has finished with; welcomeAt is the value of queued just after the newest welcome was queued, so that welcome
	// is still waiting while written < welcomeAt.
	queued, written, welcomeAt uint64

	// visitorID is set by the reader goroutine on the first successful hello and read only by it.
	visitorID string
	// convID is the conversation the client was last told about (welcome, ack); the reader goroutine's alone.
	convID string
	// identifyLimit bounds the identify frames of the socket; the reader goroutine's alone.
	identifyLimit identifyLimiter
}

func newClient(h *Hub, conn *websocket.Conn) *client {
	return &client{
		hub:  h,
		conn: conn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
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

// maxBatch is the most frames the writer writes in a row before it looks at its ping ticker and at stop again.
const maxBatch = 64

// writeLoop writes queued frames and pings until stop; then it writes the close frame and closes the connection.
func (c *client) writeLoop() {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case <-c.wake:
			if err := c.writeQueued(maxBatch); err != nil {
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
				// A graceful shutdown still sends what was queued, such as a reply just stored; the queue is bounded.
				c.writeQueued(-1)
			}
			if code != websocket.CloseAbnormalClosure {
				msg := websocket.FormatCloseMessage(code, text)
				c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
			}
			return
		}
	}
}

// writeQueued writes queued frames, oldest first, until none is left or it has written limit of them (no limit
// when negative); it stops at the first failed write and returns its error. When it stops at the limit it wakes the
// writer again, so that a busy socket still gets its pings.
func (c *client) writeQueued(limit int) error {
	for n := 0; limit < 0 || n < limit; n++ {
		f, ok := c.next()
		if !ok {
			return nil
		}
		c.conn.SetWriteDeadline(time.Now().Add(writeWait))
		err := c.conn.WriteMessage(websocket.TextMessage, f.data)
		c.wrote(f)
		if err != nil {
			return err
		}
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}
