package webchat

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// deltaTexts are texts that JSON escapes in every way it can: quotes, controls, HTML, line separators, bad UTF-8
// (the halves of "é" split across two deltas).
var deltaTexts = []string{"", "Standard ", `say "hi"\ `, "<b>&amp;</b>", "tab\tnew\nline", "\u2028\u2029", "\x00\x1f",
	"日本語 🚀", "\xc3", "\xa9", "\xff"}

func TestDeltaOutEncodesLikeJSON(t *testing.T) {
	for _, text := range deltaTexts {
		f := deltaOut("reply:m1", text)
		if want := mustJSON(deltaFrame{Type: typeDelta, ReplyID: "reply:m1", Text: text}); !bytes.Equal(f.data, want) {
			t.Errorf("deltaOut(%q) = %s, want %s", text, f.data, want)
		}
		if got, want := string(f.data[f.textAt:]), string(mustJSON(text))+"}"; got != want {
			t.Errorf("deltaOut(%q): text at %d reads %s, want %s", text, f.textAt, got, want)
		}
	}
}

func TestMergeKeepsEveryText(t *testing.T) {
	frames := make([]outFrame, len(deltaTexts))
	originals := make([][]byte, len(deltaTexts))
	var want strings.Builder
	for i, text := range deltaTexts {
		frames[i] = deltaOut("reply:m1", text)
		originals[i] = bytes.Clone(frames[i].data)
		want.WriteString(decode(t, frames[i].data).Text) // what a client appending the deltas one by one shows
	}
	merged := frames[0]
	for _, f := range frames[1:] {
		grow, ok := merged.mergeable(f)
		if !ok {
			t.Fatalf("delta %s not mergeable into %s", f.data, merged.data)
		}
		before := len(merged.data)
		merged = merged.merge(f)
		if got := len(merged.data) - before; got != grow {
			t.Errorf("merge grew the frame by %d bytes, mergeable said %d", got, grow)
		}
	}
	got := decode(t, merged.data)
	if got.Type != typeDelta || got.ReplyID != "reply:m1" || got.Text != want.String() {
		t.Errorf("merged %+v, want a delta of reply:m1 with text %q", got, want.String())
	}
	for i := range frames {
		if !bytes.Equal(frames[i].data, originals[i]) {
			t.Errorf("merging changed the shared frame %d: %s, want %s", i, frames[i].data, originals[i])
		}
	}
}

func TestMergeable(t *testing.T) {
	half := strings.Repeat("x", maxMergedDelta/2)
	tests := []struct {
		name      string
		last, add outFrame
		want      bool
	}{
		{name: "same reply", last: deltaOut("r1", "a"), add: deltaOut("r1", "b"), want: true},
		{name: "other reply", last: deltaOut("r1", "a"), add: deltaOut("r2", "b")},
		{name: "after another frame", last: plainFrame([]byte(`{"type":"typing","on":true}`)), add: deltaOut("r1", "b")},
		{name: "not a delta", last: deltaOut("r1", "a"), add: plainFrame([]byte(`{"type":"typing","on":true}`))},
		{name: "too large merged", last: deltaOut("r1", half), add: deltaOut("r1", half)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.last.mergeable(tt.add); got != tt.want {
				t.Errorf("mergeable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueuedDeltasMerge(t *testing.T) {
	conv := journeystate.Conversation{ID: "conv1", ThreadID: visitorA}
	msg := journeystate.Message{ID: "m2", ConversationID: "conv1", Seq: 2, Author: journeystate.ActorBot,
		ClientID: "r1", Text: "Hello world", CreatedAt: testTime}
	// A step acts on the hub or the socket; take plays the writer and puts what it took in the result.
	type step func(t *testing.T, h *Hub, c *client, taken *[]frame)
	delta := func(reply, text string) step {
		return func(_ *testing.T, h *Hub, _ *client, _ *[]frame) { h.StreamDelta(conv, reply, text) }
	}
	typing := func(_ *testing.T, h *Hub, _ *client, _ *[]frame) { h.Typing(conv, true) }
	deliver := func(_ *testing.T, h *Hub, _ *client, _ *[]frame) { h.Deliver(context.Background(), conv, msg) }
	ack := func(_ *testing.T, _ *Hub, c *client, _ *[]frame) {
		c.reply(mustJSON(ackFrame{Type: typeAck, ID: "c_1", Seq: 1, ConversationID: "conv1"}))
	}
	take1 := func(t *testing.T, _ *Hub, c *client, taken *[]frame) {
		f := take(t, c)
		*taken = append(*taken, decode(t, f.data))
		c.wrote(f)
	}
	d := func(reply, text string) frame { return frame{Type: typeDelta, ReplyID: reply, Text: text} }
	big := strings.Repeat("x", maxMergedDelta/2)

	tests := []struct {
		name  string
		steps []step
		want  []frame
	}{
		{name: "deltas of one reply merge", steps: []step{delta("r1", "Hel"), delta("r1", "lo "), delta("r1", "world")},
			want: []frame{d("r1", "Hello world")}},
		{name: "not across typing", steps: []step{delta("r1", "a"), typing, delta("r1", "b"), delta("r1", "c")},
			want: []frame{d("r1", "a"), {Type: typeTyping, On: true}, d("r1", "bc")}},
		{name: "not across a message", steps: []step{delta("r1", "a"), deliver, delta("r1", "b")},
			want: []frame{d("r1", "a"), {Type: typeMessage, Message: mustJSON(toWire(msg))}, d("r1", "b")}},
		{name: "not across an ack", steps: []step{delta("r1", "a"), ack, delta("r1", "b")},
			want: []frame{d("r1", "a"), {Type: typeAck, ID: "c_1", Seq: 1, ConversationID: "conv1"}, d("r1", "b")}},
		{name: "not across replies", steps: []step{delta("r1", "a"), delta("r2", "b"), delta("r1", "c"), delta("r2", "d")},
			want: []frame{d("r1", "a"), d("r2", "b"), d("r1", "c"), d("r2", "d")}},
		{name: "not into a frame the writer took", steps: []step{delta("r1", "a"), take1, delta("r1", "b"), delta("r1", "c")},
			want: []frame{d("r1", "a"), d("r1", "bc")}},
		{name: "not past the size of a merged frame", steps: []step{delta("r1", big), delta("r1", big), delta("r1", "c")},
			want: []frame{d("r1", big), d("r1", big+"c")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(newFakeEngine(), Options{})
			c := writerlessClient(t, h)
			c.handle([]byte(`{"type":"hello","visitor_id":"` + visitorA + `"}`))
			c.wrote(take(t, c)) // the welcome

			var got []frame
			for _, s := range tt.steps {
				s(t, h, c, &got)
			}
			for {
				f, ok := c.next()
				if !ok {
					break
				}
				got = append(got, decode(t, f.data))
				c.wrote(f)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("frames written (-want +got):\n%s", diff)
			}
			if c.queuedBytes != 0 {
				t.Errorf("%d bytes still counted on the queue after all was written, want 0", c.queuedBytes)
			}
			if n := h.sockets(visitorA); n != 1 {
				t.Errorf("%d sockets open, want 1: merging must not drop the socket", n)
			}
		})
	}
}

func TestHeldDeltasMergeBehindTheWelcome(t *testing.T) {
	h := New(newFakeEngine(), Options{})
	c := writerlessClient(t, h)
	if !h.register(c, visitorA) { // joined, history not yet read: frames are held
		t.Fatal("register failed")
	}
	conv := journeystate.Conversation{ThreadID: visitorA}
	h.StreamDelta(conv, "r1", "a")
	h.StreamDelta(conv, "r1", "b")
	if !c.welcome(mustJSON(welcomeFrame{Type: typeWelcome, VisitorID: visitorA})) {
		t.Fatal("welcome refused")
	}
	var got []string
	for f, ok := c.next(); ok; f, ok = c.next() {
		got = append(got, decode(t, f.data).Type+":"+decode(t, f.data).Text)
	}
	if want := []string{"welcome:", "delta:ab"}; !cmp.Equal(got, want) {
		t.Errorf("frames %q, want %q", got, want)
	}
}

func TestMergedDeltasKeepTheByteBound(t *testing.T) {
	const limit = 8 << 10 // the smallest bound Options takes; below maxMergedDelta, so merged frames reach it
	h := New(newFakeEngine(), Options{SendQueueBytes: limit})
	c := writerlessClient(t, h)
	c.handle([]byte(`{"type":"hello","visitor_id":"` + visitorA + `"}`))
	c.wrote(take(t, c)) // the welcome

	conv := journeystate.Conversation{ThreadID: visitorA}
	word := strings.Repeat("w", 99)
	n := 0
	for ; h.sockets(visitorA) > 0; n++ {
		if n > limit {
			t.Fatalf("socket still open after %d deltas of %d bytes queued behind a stuck writer", n, len(word))
		}
		h.StreamDelta(conv, "r1", word)
		if c.queuedBytes > limit {
			t.Fatalf("%d bytes queued after %d deltas, over the bound of %d", c.queuedBytes, n+1, limit)
		}
	}
	// Every delta accepted was merged into one frame that stayed within the bound; the next one passed it.
	merged := deltaOut("r1", strings.Repeat(word, n-1))
	if len(merged.data) > limit || len(merged.data)+len(word) <= limit {
		t.Errorf("dropped after %d deltas (%d bytes merged), want dropped by the first delta past %d bytes",
			n, len(merged.data), limit)
	}
}
