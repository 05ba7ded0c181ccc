package webchat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/journeystate"
)

// writerlessClient returns an open socket of h whose writer does not run, so that what the hub queues stays on
// its queue until the test takes it: the test plays the writer with take and c.wrote.
func writerlessClient(t *testing.T, h *Hub) *client {
	t.Helper()
	c, _ := pausedClient(t, h)
	return c
}

// pausedClient returns an open socket of h whose writer does not run until the test starts it (go c.writeLoop()),
// and the peer's end of its connection.
func pausedClient(t *testing.T, h *Hub) (*client, *websocket.Conn) {
	t.Helper()
	conns := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := h.upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			close(conns)
			return
		}
		conns <- conn // hijacked: it outlives this handler
	}))
	t.Cleanup(srv.Close)
	peer := dial(t, srv)
	conn, ok := <-conns
	if !ok {
		t.FailNow()
	}
	t.Cleanup(func() { conn.Close() })
	c := newClient(h, conn)
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	return c, peer
}

// take returns the next frame queued on c without writing it, failing the test when there is none.
func take(t *testing.T, c *client) outFrame {
	t.Helper()
	f, ok := c.next()
	if !ok {
		t.Fatal("nothing queued")
	}
	return f
}

func decode(t *testing.T, data []byte) frame {
	t.Helper()
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("decode frame %s: %v", data, err)
	}
	return f
}

func TestHelloWhileWelcomeQueued(t *testing.T) {
	var histories atomic.Int32
	eng := newFakeEngine()
	eng.HistoryFn = func(context.Context, string, string, string, int64, int) (journeystate.Conversation, []journeystate.Message, error) {
		histories.Add(1)
		return journeystate.Conversation{}, nil, nil
	}
	h := New(eng, Options{})
	c := writerlessClient(t, h)
	helloFrame := []byte(`{"type":"hello","visitor_id":"v_visitor01"}`)

	c.handle(helloFrame)
	welcome := take(t, c)
	if f := decode(t, welcome.data); f.Type != typeWelcome {
		t.Fatalf("first hello answered with %s, want a welcome", welcome.data)
	}
	c.handle(helloFrame) // the welcome is taken but not yet written: the client has not read it
	if f := decode(t, take(t, c).data); f.Type != typeError || f.Code != codeBadRequest || f.ID != "" ||
		!strings.Contains(f.errorText(t), "welcome") {
		t.Errorf("hello while the welcome waits: got %+v, want bad_request saying to wait for the welcome", f)
	}
	if n := histories.Load(); n != 1 {
		t.Errorf("History called %d times, want 1: a refused hello reads nothing", n)
	}

	c.wrote(welcome)
	c.handle(helloFrame)
	if f := decode(t, take(t, c).data); f.Type != typeWelcome {
		t.Errorf("hello after the welcome was written: got %+v, want a welcome", f)
	}
	if n := histories.Load(); n != 2 {
		t.Errorf("History called %d times, want 2", n)
	}
}

func TestSendQueueBytes(t *testing.T) {
	const limit = 8 << 10
	conv := journeystate.Conversation{ThreadID: visitorA}
	t.Run("queued", func(t *testing.T) {
		h := New(newFakeEngine(), Options{SendQueueBytes: limit, MaxWelcomeBytes: limit / 2})
		c := writerlessClient(t, h)
		c.handle([]byte(`{"type":"hello","visitor_id":"` + visitorA + `"}`))
		welcome := take(t, c)
		if !c.enqueue(plainFrame(bytes.Repeat([]byte("a"), limit-len(welcome.data)))) {
			t.Fatal("a frame that fills the queue exactly was refused")
		}
		c.wrote(welcome)
		if !c.enqueue(plainFrame(bytes.Repeat([]byte("b"), len(welcome.data)))) {
			t.Fatal("a frame that fits in the bytes written since was refused")
		}
		h.Typing(conv, true) // a few bytes too many; 2 frames of 256 in the queue
		if n := h.sockets(visitorA); n != 0 {
			t.Errorf("socket over its byte bound still open (%d sockets), want it dropped", n)
		}
	})
	t.Run("held before the welcome", func(t *testing.T) {
		h := New(newFakeEngine(), Options{SendQueueBytes: limit, MaxWelcomeBytes: limit / 2})
		c := writerlessClient(t, h)
		if !h.register(c, visitorA) { // joined, history not yet read: frames are held
			t.Fatal("register failed")
		}
		if !c.enqueue(plainFrame(bytes.Repeat([]byte("a"), limit))) {
			t.Fatal("a frame that fills the hold exactly was refused")
		}
		h.Typing(conv, true)
		if n := h.sockets(visitorA); n != 0 {
			t.Errorf("socket over its byte bound still open (%d sockets), want it dropped", n)
		}
	})
}

func TestOptionsWelcomeFitsTheQueue(t *testing.T) {
	tests := []struct {
		name                   string
		in                     Options
		wantQueue, wantWelcome int
	}{
		{name: "defaults", wantQueue: 1 << 20, wantWelcome: 512 << 10},
		{name: "small queue", in: Options{SendQueueBytes: 64 << 10}, wantQueue: 64 << 10, wantWelcome: 32 << 10},
		{name: "tiny welcome", in: Options{MaxWelcomeBytes: 10}, wantQueue: 1 << 20, wantWelcome: minWelcomeBytes},
		{name: "tiny queue", in: Options{SendQueueBytes: 100}, wantQueue: 2 * minWelcomeBytes, wantWelcome: minWelcomeBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.withDefaults()
			if got.SendQueueBytes != tt.wantQueue || got.MaxWelcomeBytes != tt.wantWelcome {
				t.Errorf("SendQueueBytes %d MaxWelcomeBytes %d, want %d %d",
					got.SendQueueBytes, got.MaxWelcomeBytes, tt.wantQueue, tt.wantWelcome)
			}
		})
	}
}
