package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestSocketModeFeedsTheSameHandling(t *testing.T) {
	f := newFixture(t, fixtureOptions{appToken: "xapp-test"})
	// slacktest hands every frame the client writes (here: the acks) to SeenFeed, and blocks until it is read.
	var mu sync.Mutex
	acks := map[string]int{}
	go func() {
		for frame := range f.slack.srv.SeenFeed {
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal([]byte(frame), &ack) == nil && ack.EnvelopeID != "" {
				mu.Lock()
				acks[ack.EnvelopeID]++
				mu.Unlock()
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.adapter.RunSocketMode(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunSocketMode: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("RunSocketMode did not return after its context ended")
		}
	})

	payload := mention("EvSock1", "UCUST002", "C0SHARED1", "1800000003.000300", "", "What does the warranty cover?")
	// Slack redelivers an envelope it thinks was not acknowledged: the second one is a retry of the first.
	for i, envID := range []string{"env-1", "env-2"} {
		f.slack.srv.SendToWebsocket(fmt.Sprintf(`{"type":"events_api","envelope_id":%q,"payload":%s,"accepts_response_payload":false,"retry_attempt":%d,"retry_reason":"timeout"}`,
			envID, payload, i))
	}
	msgs, calls := f.answered(t, "UCUST002", "C0SHARED1/1800000003.000300")
	waitUntil(t, "both envelopes acknowledged", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return acks["env-1"] == 1 && acks["env-2"] == 1
	})
	time.Sleep(200 * time.Millisecond) // room for a second answer to show itself
	if len(f.messages(t, "UCUST002", "C0SHARED1/1800000003.000300")) != 2 || len(msgs) != 2 {
		t.Errorf("stored %+v, want one message and one reply", msgs)
	}
	posts := f.slack.recorded("chat.postMessage")
	if len(posts) != 1 || posts[0].ThreadTS != "1800000003.000300" || calls[0].Channel != "C0SHARED1" {
		t.Errorf("posts %+v, want one, in the mention's thread", posts)
	}
}

// TestSocketModeHandlesEventsSlackGoCannotParse: a DM with a block shape slack-go's own parser refuses still reaches
// the bot (its frame comes as a bad message, not an events_api event) and is answered once.
func TestSocketModeHandlesEventsSlackGoCannotParse(t *testing.T) {
	f := newFixture(t, fixtureOptions{appToken: "xapp-test"})
	go func() {
		for range f.slack.srv.SeenFeed {
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.adapter.RunSocketMode(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	var body map[string]any
	if err := json.Unmarshal([]byte(dm("EvOdd1", "UCUST003", "D0DM0003", "1800000005.000500", "", "hi there")), &body); err != nil {
		t.Fatal(err)
	}
	body["event"].(map[string]any)["blocks"] = []any{map[string]any{"type": "section", "text": "a plain string, not an object"}}
	payload, _ := json.Marshal(body)
	f.slack.srv.SendToWebsocket(fmt.Sprintf(`{"type":"events_api","envelope_id":"env-odd","payload":%s,"accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}`, payload))
	msgs, _ := f.answered(t, "UCUST003", "D0DM0003")
	if len(msgs) != 2 || msgs[0].Text != "hi there" {
		t.Errorf("stored %+v, want the message and its answer", msgs)
	}
}
