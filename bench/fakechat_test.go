package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// fakeChat speaks the server side of the web-chat protocol the way docs/webchat-protocol.md describes it: welcome,
// then for each message an ack, two deltas and the bot's final message. A message whose text contains "reject" gets
// an error frame instead, and one containing "silent" gets an ack and nothing more.
type fakeChat struct {
	upgrader websocket.Upgrader
	mu       sync.Mutex
	conns    int
}

func newFakeChat(t *testing.T) (*fakeChat, ChatDial) {
	t.Helper()
	f := &fakeChat{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, ChatDial{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat/ws", Origin: srv.URL}
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := f.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	f.mu.Lock()
	f.conns++
	f.mu.Unlock()
	seq := 0
	send := func(v any) bool { return conn.WriteJSON(v) == nil }
	for {
		var in struct{ Type, ID, Text, VisitorID string }
		if err := conn.ReadJSON(&in); err != nil {
			return
		}
		switch {
		case in.Type == "hello":
			send(map[string]any{"type": "welcome", "visitor_id": in.VisitorID, "conversation_id": "", "messages": []any{}})
		case strings.Contains(in.Text, "reject"):
			send(map[string]any{"type": "error", "id": in.ID, "code": "bad_request", "message": "no"})
		default:
			seq++
			send(map[string]any{"type": "ack", "id": in.ID, "seq": seq, "conversation_id": "c1"})
			if strings.Contains(in.Text, "silent") {
				continue
			}
			// A message from the customer's other tab must not be taken for the answer.
			send(map[string]any{"type": "message", "message": map[string]any{"seq": seq, "author": "customer", "text": in.Text}})
			send(map[string]any{"type": "typing", "on": true})
			send(map[string]any{"type": "delta", "reply_id": "reply:1", "text": "Hello "})
			send(map[string]any{"type": "delta", "reply_id": "reply:1", "text": "there"})
			seq++
			raw, _ := json.Marshal(map[string]any{"seq": seq, "author": "bot", "client_id": "reply:1", "text": "Hello there"})
			send(map[string]any{"type": "message", "message": json.RawMessage(raw)})
		}
	}
}

// httptestServer serves h on a loopback port for the test and returns its host:port.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}
