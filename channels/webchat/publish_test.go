package webchat

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

const (
	visitorA = "v_visitorAA"
	visitorB = "v_visitorBB"
)

// expectNothingBefore publishes a marker delta to the visitor vid and checks that it is the next frame each of its
// sockets conns reads: so they got nothing else in between.
func expectNothingBefore(t *testing.T, h *Hub, vid string, conns ...*websocket.Conn) {
	t.Helper()
	h.StreamDelta(journeystate.Conversation{ThreadID: vid}, "marker", "end")
	for i, conn := range conns {
		if f := read(t, conn); f.Type != typeDelta || f.ReplyID != "marker" {
			t.Errorf("visitor %s socket %d got %+v, want nothing before the marker", vid, i+1, f)
		}
	}
}

func TestPublishRoutesToEveryTabOfTheVisitor(t *testing.T) {
	msg := journeystate.Message{ID: "m2", ConversationID: "conv1", Seq: 2, Author: journeystate.ActorBot,
		ClientID: "reply:m1", Text: "<b>not html</b>", CreatedAt: testTime}
	joined := journeystate.Message{ID: "m3", ConversationID: "conv1", Seq: 3, Author: journeystate.ActorSystem,
		ClientID: "notice:m3", Text: "Sam joined the conversation.", CreatedAt: testTime,
		Meta: journeystate.MessageMeta{AgentID: "u_sam", AgentName: "Sam", Notice: journeystate.NoticeAgentJoined}}
	agentMsg := journeystate.Message{ID: "m4", ConversationID: "conv1", Seq: 4, Author: journeystate.ActorAgent,
		ClientID: "agent:m4", Text: "I'm on it.", CreatedAt: testTime,
		Meta: journeystate.MessageMeta{AgentID: "u_sam", AgentName: "Sam"}}
	sam := channels.Agent{ID: "u_sam", Name: "Sam"}
	conv := journeystate.Conversation{ID: "conv1", Channel: journeystate.ChannelWeb, ThreadID: visitorA}
	tests := []struct {
		name    string
		publish func(h *Hub) error
		want    frame
	}{
		{name: "deliver", publish: func(h *Hub) error { return h.Deliver(context.Background(), conv, msg) },
			want: frame{Type: typeMessage, Message: mustJSON(toWire(msg))}},
		{name: "typing on", publish: func(h *Hub) error { h.Typing(conv, true); return nil },
			want: frame{Type: typeTyping, On: true}},
		{name: "typing off", publish: func(h *Hub) error { h.Typing(conv, false); return nil },
			want: frame{Type: typeTyping}},
		{name: "delta", publish: func(h *Hub) error { h.StreamDelta(conv, "reply:m1", "Standard "); return nil },
			want: frame{Type: typeDelta, ReplyID: "reply:m1", Text: "Standard "}},
		{name: "notice", publish: func(h *Hub) error { return h.Deliver(context.Background(), conv, joined) },
			want: frame{Type: typeMessage, Message: json.RawMessage(`{"id":"m3","conversation_id":"conv1","seq":3,` +
				`"author":"system","client_id":"notice:m3","text":"Sam joined the conversation.",` +
				`"created_at":"2026-11-23T09:12:03.120Z","agent_name":"Sam","notice":"agent_joined"}`)}},
		{name: "agent message", publish: func(h *Hub) error { return h.Deliver(context.Background(), conv, agentMsg) },
			want: frame{Type: typeMessage, Message: json.RawMessage(`{"id":"m4","conversation_id":"conv1","seq":4,` +
				`"author":"agent","client_id":"agent:m4","text":"I'm on it.",` +
				`"created_at":"2026-11-23T09:12:03.120Z","agent_name":"Sam"}`)}},
		{name: "agent typing on", publish: func(h *Hub) error { h.AgentTyping(conv, sam, true); return nil },
			want: frame{Type: typeTyping, On: true, Author: "agent", AgentName: "Sam"}},
		{name: "agent typing off", publish: func(h *Hub) error { h.AgentTyping(conv, sam, false); return nil },
			want: frame{Type: typeTyping, Author: "agent", AgentName: "Sam"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv := testServer(t, newFakeEngine(), Options{})
			tab1, tab2, other := dial(t, srv), dial(t, srv), dial(t, srv)
			hello(t, tab1, visitorA, 0)
			hello(t, tab2, visitorA, 0)
			hello(t, other, visitorB, 0)

			if err := tt.publish(h); err != nil {
				t.Fatalf("publish: %v", err)
			}
			for i, conn := range []*websocket.Conn{tab1, tab2} {
				if diff := cmp.Diff(tt.want, read(t, conn)); diff != "" {
					t.Errorf("tab %d (-want +got):\n%s", i+1, diff)
				}
			}
			expectNothingBefore(t, h, visitorB, other)
		})
	}
}

func TestCustomerMessageShownInOtherTabs(t *testing.T) {
	h, srv := testServer(t, newFakeEngine(), Options{})
	tab1, tab2, other := dial(t, srv), dial(t, srv), dial(t, srv)
	hello(t, tab1, visitorA, 0)
	hello(t, tab2, visitorA, 0)
	hello(t, other, visitorB, 0)

	send(t, tab1, map[string]any{"type": "message", "id": "c_1", "text": "hello from tab 1"})
	ack := expect(t, tab1, typeAck)
	m := expect(t, tab2, typeMessage).wire(t)
	if m.ClientID != "c_1" || m.Author != "customer" || m.Text != "hello from tab 1" || m.Seq != ack.Seq {
		t.Errorf("tab 2 got %+v, want the customer's message c_1 with seq %d", m, ack.Seq)
	}
	expectNothingBefore(t, h, visitorA, tab1, tab2) // the sending tab has the ack, not a copy
	expectNothingBefore(t, h, visitorB, other)

	// A resend is acknowledged again but not shown twice.
	send(t, tab1, map[string]any{"type": "message", "id": "c_1", "text": "hello from tab 1"})
	if ack := expect(t, tab1, typeAck); !ack.Duplicate {
		t.Errorf("resend ack %+v, want duplicate", ack)
	}
	expectNothingBefore(t, h, visitorA, tab1, tab2)
}

func TestDeliverWithoutThread(t *testing.T) {
	h, _ := testServer(t, newFakeEngine(), Options{})
	err := h.Deliver(context.Background(), journeystate.Conversation{ID: "conv1"}, journeystate.Message{ID: "m1"})
	if err == nil {
		t.Error("Deliver to a conversation without thread id succeeded, want an error")
	}
}

func TestDeliverToVisitorWithoutSocket(t *testing.T) {
	h, _ := testServer(t, newFakeEngine(), Options{})
	conv := journeystate.Conversation{ID: "conv1", ThreadID: visitorA}
	if err := h.Deliver(context.Background(), conv, journeystate.Message{ID: "m1"}); err != nil {
		t.Errorf("Deliver to an offline visitor: %v, want nil (the store has the message)", err)
	}
}

// returnsPromptly runs f and fails the test if it has not returned within a generous deadline: a publisher that
// blocks on a slow socket would hang here.
func returnsPromptly(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

func TestSlowReaderIsDropped(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		frameSize int
		maxFrames int // offered to the slow socket before giving up: tens of MB, far beyond any socket buffer
	}{
		{name: "queue full in frames", opts: Options{SendQueue: 8}, frameSize: 8 << 10, maxFrames: 20000},
		// The frame bound is out of reach: only the byte bound can drop the socket.
		{name: "queue full in bytes", opts: Options{SendQueue: 100000, SendQueueBytes: 64 << 10},
			frameSize: 16 << 10, maxFrames: 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv := testServer(t, newFakeEngine(), tt.opts)
			slow := dial(t, srv) // it never reads until the end
			send(t, slow, map[string]any{"type": "hello", "visitor_id": visitorA})
			fast := dial(t, srv)
			hello(t, fast, visitorB, 0)
			waitFor(t, "the slow visitor to join", func() bool { return h.sockets(visitorA) == 1 })

			big := strings.Repeat("x", tt.frameSize)
			slowConv := journeystate.Conversation{ThreadID: visitorA}
			fastConv := journeystate.Conversation{ThreadID: visitorB}
			for i := 0; h.sockets(visitorA) > 0; i++ {
				if i == tt.maxFrames {
					t.Fatalf("slow socket still open after %d frames", tt.maxFrames)
				}
				returnsPromptly(t, "StreamDelta to a slow socket", func() { h.StreamDelta(slowConv, "reply:slow", big) })
				returnsPromptly(t, "StreamDelta to a fast socket", func() { h.StreamDelta(fastConv, "reply:fast", "n") })
				if f := read(t, fast); f.Type != typeDelta || f.ReplyID != "reply:fast" {
					t.Fatalf("fast visitor got %+v, want its delta", f)
				}
			}

			// The slow client finds its connection closed once it reads what reached it.
			slow.SetReadDeadline(time.Now().Add(5 * time.Second))
			for n := 0; ; n++ {
				if _, _, err := slow.ReadMessage(); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatalf("slow socket not closed after %d frames: %v", n, err)
					}
					break
				}
			}
			// And the fast one is still served.
			send(t, fast, map[string]any{"type": "message", "id": "c_1", "text": "still here"})
			expect(t, fast, typeAck)
		})
	}
}
