package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// streamWait bounds each wait of the stream test: a deadline against hangs, not a speed claim.
const streamWait = 10 * time.Second

func TestEventStream(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)
	c := f.session(t, agentEmail)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/console/events", nil)
	req.AddCookie(c)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /console/events = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// next reads up to the line want and returns the lines before it.
	next := func(want string) (before []string) {
		t.Helper()
		deadline := time.After(streamWait)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", want)
				}
				if l == want {
					return before
				}
				before = append(before, l)
			case <-deadline:
				t.Fatalf("no %q within %v", want, streamWait)
			}
		}
	}
	next("retry: 3000") // subscribed by now: the handler subscribes before it writes
	if n := f.desk.Subscribers(); n != 1 {
		t.Fatalf("subscribers = %d, want 1", n)
	}
	f.desk.Publish(channels.Update{Kind: channels.UpdateOwner, Conversation: journeystate.Conversation{ID: "conv-1"}})
	next("event: queue")
	next("event: owner-conv-1")
	f.desk.Publish(channels.Update{Kind: channels.UpdateTyping, Conversation: journeystate.Conversation{ID: "conv-1"},
		Agent: channels.Agent{ID: "user-3", Name: "Sam <i>\nSecond"}, Typing: true})
	next("event: typing-conv-1")
	next("data: Sam &lt;i&gt; Second is typing…")
	// The agent's own typing and an id that cannot be an event name are not sent; the note after them is.
	f.desk.Publish(channels.Update{Kind: channels.UpdateTyping, Conversation: journeystate.Conversation{ID: "conv-1"},
		Agent: channels.Agent{ID: f.ids[agentEmail]}, Typing: true})
	f.desk.Publish(channels.Update{Kind: channels.UpdateNote, Conversation: journeystate.Conversation{ID: "x\nevent: queue"}})
	f.desk.Publish(channels.Update{Kind: channels.UpdateNote, Conversation: journeystate.Conversation{ID: "conv-2"}})
	for _, l := range next("event: notes-conv-2") {
		if strings.HasPrefix(l, "event:") {
			t.Errorf("unexpected %q", l)
		}
	}

	cancel() // the agent closes the page: the handler ends and unsubscribes
	deadline := time.Now().Add(streamWait)
	for f.desk.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream did not end when its request did")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
