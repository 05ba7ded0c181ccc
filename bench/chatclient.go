package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Timeouts of the web-chat client.
const (
	chatWriteWait   = 5 * time.Second  // one frame write
	chatWelcomeWait = 15 * time.Second // from dial to welcome
	chatReadLimit   = 1 << 20          // the server never sends more than this in a frame
)

// ChatMessage is the MESSAGE object of the web-chat protocol, the fields the benchmark reads.
type ChatMessage struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Author         string `json:"author"`
	ClientID       string `json:"client_id"`
	Text           string `json:"text"`
	Source         string `json:"source"`
}

// Frame is one server → client frame of the web-chat protocol (docs/webchat-protocol.md).
type Frame struct {
	Type           string `json:"type"`
	ID             string `json:"id"` // ack, error
	Seq            int64  `json:"seq"`
	ConversationID string `json:"conversation_id"`
	VisitorID      string `json:"visitor_id"`
	Duplicate      bool   `json:"duplicate"`
	ReplyID        string `json:"reply_id"` // delta
	Text           string `json:"text"`     // delta
	Code           string `json:"code"`     // error
	// Raw is the frame's "message" field: a MESSAGE object in message frames, a string in error frames.
	Raw json.RawMessage `json:"message"`
}

// Message decodes the MESSAGE of a message frame.
func (f *Frame) Message() (ChatMessage, error) {
	var m ChatMessage
	if f.Type != "message" {
		return m, fmt.Errorf("frame type %q has no MESSAGE", f.Type)
	}
	if err := json.Unmarshal(f.Raw, &m); err != nil {
		return m, fmt.Errorf("decode MESSAGE: %w", err)
	}
	return m, nil
}

// ChatClient is one web-chat customer: a socket that has said hello, read by its own goroutine. Send is safe for
// concurrent use.
type ChatClient struct {
	VisitorID string
	conn      *websocket.Conn
	writeMu   sync.Mutex
	done      chan struct{}
}

var chatDialer = websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	// Small buffers: the benchmark holds tens of thousands of sockets and measures the server, not itself.
	ReadBufferSize:  2048,
	WriteBufferSize: 1024,
}

// ChatDial says where and as whom DialChat connects.
type ChatDial struct {
	URL       string // ws://HOST:PORT/chat/ws
	Origin    string // the Origin header, e.g. http://HOST:PORT
	VisitorID string
	// Welcome is the type of the frame that answers hello: "welcome" (the default) for journeybot, "hello" for the
	// bare hub, which echoes it.
	Welcome string
}

// DialChat opens a socket to d.URL with d.Origin, says hello as d.VisitorID and waits for the welcome. Then a
// goroutine reads the socket until it closes, calling onFrame (which must not block for long) with each frame and
// the time it was read; onFrame may be nil. The welcome is not passed to onFrame.
func DialChat(ctx context.Context, d ChatDial, onFrame func(f *Frame, at time.Time)) (*ChatClient, error) {
	wsURL, origin, visitorID := d.URL, d.Origin, d.VisitorID
	welcome := d.Welcome
	if welcome == "" {
		welcome = "welcome"
	}
	ctx, cancel := context.WithTimeout(ctx, chatWelcomeWait)
	defer cancel()
	conn, resp, err := chatDialer.DialContext(ctx, wsURL, http.Header{"Origin": {origin}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", wsURL, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", wsURL, err)
	}
	conn.SetReadLimit(chatReadLimit)
	c := &ChatClient{VisitorID: visitorID, conn: conn, done: make(chan struct{})}
	if err := c.Send(map[string]any{"type": "hello", "visitor_id": visitorID}); err != nil {
		conn.Close()
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	conn.SetReadDeadline(deadline)
	var f Frame
	if err := conn.ReadJSON(&f); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read welcome: %w", err)
	}
	if f.Type != welcome {
		conn.Close()
		return nil, fmt.Errorf("first frame is %q (%s %s), want %s", f.Type, f.Code, f.Raw, welcome)
	}
	conn.SetReadDeadline(time.Time{})
	go c.read(onFrame)
	return c, nil
}

func (c *ChatClient) read(onFrame func(*Frame, time.Time)) {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if onFrame == nil {
			continue
		}
		at := time.Now()
		var f Frame
		if json.Unmarshal(data, &f) != nil {
			f = Frame{Type: "invalid"}
		}
		onFrame(&f, at)
	}
}

// SendMessage sends a customer message frame.
func (c *ChatClient) SendMessage(id, text string) error {
	return c.Send(map[string]string{"type": "message", "id": id, "text": text})
}

// Send writes v as one JSON text frame, within chatWriteWait.
func (c *ChatClient) Send(v any) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(chatWriteWait))
	if err := c.conn.WriteJSON(v); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// Closed is closed when the socket's reader has stopped (the connection is gone).
func (c *ChatClient) Closed() <-chan struct{} { return c.done }

// Close closes the socket and waits (up to a second) for its reader to stop.
func (c *ChatClient) Close() error {
	err := c.conn.Close()
	select {
	case <-c.done:
	case <-time.After(time.Second):
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
