package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/journeystate"
)

// answered waits for the reply to the customer's message in thread to be stored and its final text to be on Slack,
// and returns the stored messages and the calls that posted and updated it.
func (f *fixture) answered(t *testing.T, user, thread string) ([]journeystate.Message, []apiCall) {
	t.Helper()
	var msgs []journeystate.Message
	calls := f.slack.waitFor(t, "the reply on Slack", func(calls []apiCall) bool {
		msgs = f.messages(t, user, thread)
		if len(msgs) == 0 || msgs[len(msgs)-1].Author != journeystate.ActorBot || len(calls) == 0 {
			return false
		}
		return calls[len(calls)-1].Text == finalText(msgs[len(msgs)-1].Text)
	})
	return msgs, calls
}

// finalText is what a stored reply looks like once posted: escaped mrkdwn. The replies in these tests hold no
// Markdown or links, so escaping is all there is.
func finalText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestMessagesAreAnsweredInTheirThread(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		// user and thread of the stored conversation; channel and thread_ts of every post and update
		user, thread, channel, threadTS string
	}{
		{name: "DM at the top level is answered at the top level",
			body: dm("Ev1", "UCUST001", "D0DM0001", "1800000001.000100", "", "How long does shipping take?"),
			user: "UCUST001", thread: "D0DM0001", channel: "D0DM0001", threadTS: ""},
		{name: "DM in a thread is answered in the thread",
			body: dm("Ev2", "UCUST001", "D0DM0001", "1800000002.000200", "1800000001.000100", "And returns?"),
			user: "UCUST001", thread: "D0DM0001/1800000001.000100", channel: "D0DM0001", threadTS: "1800000001.000100"},
		{name: "mention at a channel's top level is answered under it",
			body: mention("Ev3", "UCUST002", "C0SHARED1", "1800000003.000300", "", "What does the warranty cover?"),
			user: "UCUST002", thread: "C0SHARED1/1800000003.000300", channel: "C0SHARED1", threadTS: "1800000003.000300"},
		{name: "mention in a thread is answered in the thread",
			body: mention("Ev4", "UCUST002", "C0SHARED1", "1800000004.000400", "1800000000.000001", "Shipping to Canada?"),
			user: "UCUST002", thread: "C0SHARED1/1800000000.000001", channel: "C0SHARED1", threadTS: "1800000000.000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			if status, body := f.send(t, tt.body); status != http.StatusOK {
				t.Fatalf("status %d %q, want 200", status, body)
			}
			msgs, calls := f.answered(t, tt.user, tt.thread)
			if len(msgs) != 2 || msgs[0].Author != journeystate.ActorCustomer {
				t.Fatalf("stored %+v, want the customer's message and the reply", msgs)
			}
			if strings.Contains(msgs[0].Text, botUser) {
				t.Errorf("stored text %q still mentions the app", msgs[0].Text)
			}
			if got := calls[0].Method; got != "chat.postMessage" {
				t.Errorf("first call %s, want chat.postMessage", got)
			}
			for _, c := range calls {
				where := apiCall{Channel: c.Channel, ThreadTS: c.ThreadTS}
				want := apiCall{Channel: tt.channel}
				if c.Method == "chat.postMessage" {
					want.ThreadTS = tt.threadTS // chat.update names the message by ts, not by thread
				}
				if diff := cmp.Diff(want, where); diff != "" {
					t.Errorf("%s placed wrong (-want +got):\n%s", c.Method, diff)
				}
				if c.Method == "chat.update" && c.TS != calls[0].TS {
					t.Errorf("chat.update of %s, want the posted reply %s", c.TS, calls[0].TS)
				}
			}
		})
	}
}

func TestRetriedEventIsStoredAndAnsweredOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	body := dm("EvRetry", "UCUST001", "D0DM0001", "1800000001.000100", "", "How long does shipping take?")
	for retry := 0; retry < 4; retry++ {
		h := sign(testSecret, time.Now(), body)
		if retry > 0 {
			h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
			h.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		if status, _ := f.post(t, h, body); status != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", retry, status)
		}
	}
	msgs, _ := f.answered(t, "UCUST001", "D0DM0001")
	// Give any second turn the time to show itself.
	time.Sleep(300 * time.Millisecond)
	msgs = f.messages(t, "UCUST001", "D0DM0001")
	authors := make([]journeystate.Actor, len(msgs))
	for i, m := range msgs {
		authors[i] = m.Author
	}
	if diff := cmp.Diff([]journeystate.Actor{journeystate.ActorCustomer, journeystate.ActorBot}, authors); diff != "" {
		t.Errorf("stored messages (-want +got):\n%s", diff)
	}
	if posts := f.slack.recorded("chat.postMessage"); len(posts) != 1 {
		t.Errorf("%d chat.postMessage calls, want 1: %+v", len(posts), posts)
	}
}

func TestUnverifiedRequestsAreRefusedAndStoreNothing(t *testing.T) {
	body := dm("EvForged", "UCUST009", "D0DM0009", "1800000001.000100", "", "hello")
	now := time.Now()
	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{name: "no signature", header: http.Header{}, body: body},
		{name: "wrong secret", header: sign("not-the-secret", now, body), body: body},
		{name: "stale timestamp", header: sign(testSecret, now.Add(-6*time.Minute), body), body: body},
		{name: "timestamp from the future", header: sign(testSecret, now.Add(6*time.Minute), body), body: body},
		{name: "body changed after signing", header: sign(testSecret, now, body),
			body: []byte(strings.Replace(string(body), "hello", "give me a refund", 1))},
		{name: "signature not hex", header: func() http.Header {
			h := sign(testSecret, now, body)
			h.Set("X-Slack-Signature", "v0=zz")
			return h
		}(), body: body},
		{name: "signature of another version", header: func() http.Header {
			h := sign(testSecret, now, body)
			h.Set("X-Slack-Signature", strings.Replace(h.Get("X-Slack-Signature"), "v0=", "v1=", 1))
			return h
		}(), body: body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			if status, _ := f.post(t, tt.header, tt.body); status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", status)
			}
			if _, err := f.store.FindIdentity(context.Background(), journeystate.ChannelSlack, teamID+":UCUST009"); err == nil {
				t.Error("the sender was stored")
			}
			if calls := f.slack.recorded("chat.postMessage", "users.info"); len(calls) != 0 {
				t.Errorf("Slack was called: %+v", calls)
			}
		})
	}
}

func TestURLVerification(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	body := []byte(`{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	status, got := f.send(t, body)
	if status != http.StatusOK || got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("got %d %q, want 200 and the challenge", status, got)
	}
	if status, _ := f.post(t, http.Header{}, body); status != http.StatusUnauthorized {
		t.Errorf("unsigned challenge: status %d, want 401", status)
	}
}

func TestHostileBodies(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{name: "not JSON", body: []byte("token=x&team_id=T1"), want: http.StatusBadRequest},
		{name: "no type", body: []byte(`{"event_id":"Ev1"}`), want: http.StatusBadRequest},
		{name: "channel id that would forge a thread id", body: dm("EvH1", "UCUST001", "D0DM/1800000000.1", "1800000001.000100", "", "hi"), want: http.StatusBadRequest},
		{name: "user id with a colon", body: dm("EvH2", "T1:UCUST001", "D0DM0001", "1800000001.000100", "", "hi"), want: http.StatusBadRequest},
		{name: "ts that is not one", body: dm("EvH3", "UCUST001", "D0DM0001", "now", "", "hi"), want: http.StatusBadRequest},
		{name: "too large", body: []byte(`{"type":"event_callback","pad":"` + strings.Repeat("x", 1<<20) + `"}`), want: http.StatusRequestEntityTooLarge},
		{name: "an event type journeybot does not take", body: envelope("EvH4", map[string]any{"type": "reaction_added", "user": "UCUST001"}), want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, _ := f.send(t, tt.body); status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
		})
	}
	if calls := f.slack.recorded("chat.postMessage", "users.info"); len(calls) != 0 {
		t.Errorf("Slack was called: %+v", calls)
	}
}

func TestBotsAndItselfAreNeverAnswered(t *testing.T) {
	tests := []struct {
		name  string
		inner map[string]any
	}{
		{name: "a message with a bot_id", inner: map[string]any{"type": "message", "channel_type": "im", "channel": "D0DM0001",
			"user": "UOTHER01", "bot_id": "BOTHER01", "ts": "1800000001.000100", "text": "I am a bot"}},
		{name: "a bot_message", inner: map[string]any{"type": "message", "subtype": "bot_message", "channel_type": "im",
			"channel": "D0DM0001", "ts": "1800000001.000100", "text": "I am a bot", "username": "x"}},
		{name: "the app's own message", inner: map[string]any{"type": "message", "channel_type": "im", "channel": "D0DM0001",
			"user": botUser, "ts": "1800000001.000100", "text": "Here is your answer"}},
		{name: "the app's own message in a thread", inner: map[string]any{"type": "message", "channel_type": "im", "channel": "D0DM0001",
			"user": botUser, "ts": "1800000001.000200", "thread_ts": "1800000001.000100", "text": "More"}},
		{name: "a mention by another bot", inner: map[string]any{"type": "app_mention", "channel": "C0SHARED1",
			"user": "UOTHER01", "bot_id": "BOTHER01", "ts": "1800000001.000100", "text": "<@" + botUser + "> hi"}},
		{name: "a channel message without a mention", inner: map[string]any{"type": "message", "channel_type": "channel",
			"channel": "C0SHARED1", "user": "UCUST001", "ts": "1800000001.000100", "text": "hi all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			if status, _ := f.send(t, envelope("EvBot", tt.inner)); status != http.StatusOK {
				t.Errorf("status %d, want 200 (acknowledged, not retried)", status)
			}
			time.Sleep(200 * time.Millisecond)
			for _, user := range []string{"UOTHER01", botUser, "UCUST001"} {
				if _, err := f.store.FindIdentity(context.Background(), journeystate.ChannelSlack, teamID+":"+user); err == nil {
					t.Errorf("%s was stored as a customer", user)
				}
			}
			if calls := f.slack.recorded("chat.postMessage", "chat.update", "users.info"); len(calls) != 0 {
				t.Errorf("Slack was called: %+v", calls)
			}
		})
	}
}

func TestEditsAndDeletesAreRecorded(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.send(t, dm("Ev1", "UCUST001", "D0DM0001", "1800000001.000100", "", "How long does shipping take?"))
	msgs, _ := f.answered(t, "UCUST001", "D0DM0001")
	edit := envelope("Ev2", map[string]any{"type": "message", "subtype": "message_changed", "channel": "D0DM0001",
		"channel_type": "im", "ts": "1800000009.000900", "hidden": true,
		"message": map[string]any{"type": "message", "user": "UCUST001", "text": "How long does shipping to Canada take?",
			"ts": "1800000001.000100", "edited": map[string]any{"user": "UCUST001", "ts": "1800000009.000900"}},
		"previous_message": map[string]any{"type": "message", "user": "UCUST001", "text": "How long does shipping take?", "ts": "1800000001.000100"}})
	del := envelope("Ev3", map[string]any{"type": "message", "subtype": "message_deleted", "channel": "D0DM0001",
		"channel_type": "im", "ts": "1800000010.001000", "deleted_ts": "1800000001.000100", "hidden": true,
		"previous_message": map[string]any{"type": "message", "user": "UCUST001", "text": "How long does shipping to Canada take?", "ts": "1800000001.000100"}})
	for _, body := range [][]byte{edit, edit, del, del} { // each twice: a retry records nothing more
		if status, _ := f.send(t, body); status != http.StatusOK {
			t.Fatalf("status %d, want 200", status)
		}
	}
	events, err := f.store.Events(context.Background(), journeystate.EventQuery{CustomerID: msgs[0].CustomerID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		Type, ConversationID string
		Payload              map[string]any
	}
	var got []rec
	for _, e := range events {
		if e.Type == "message_edited" || e.Type == "message_deleted" {
			var p map[string]any
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			got = append(got, rec{e.Type, e.ConversationID, p})
		}
	}
	want := []rec{
		{"message_edited", msgs[0].ConversationID, map[string]any{"ts": "1800000001.000100", "text": "How long does shipping to Canada take?"}},
		{"message_deleted", msgs[0].ConversationID, map[string]any{"ts": "1800000001.000100"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded events (-want +got):\n%s", diff)
	}
	if posts := f.slack.recorded("chat.postMessage"); len(posts) != 1 {
		t.Errorf("%d posts, want 1: an edit is not answered again", len(posts))
	}
}

func TestRateLimitedPostsAreRetried(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.slack.rateLimit("chat.postMessage", 2) // the streamed post gives up on the first; the final post waits out one
	f.send(t, dm("Ev1", "UCUST001", "D0DM0001", "1800000001.000100", "", "How long does shipping take?"))
	msgs, calls := f.answered(t, "UCUST001", "D0DM0001")
	if posts := f.slack.recorded("chat.postMessage"); len(posts) != 1 {
		t.Errorf("%d posts, want 1: %+v", len(posts), posts)
	}
	if got, want := calls[len(calls)-1].Text, finalText(msgs[1].Text); got != want {
		t.Errorf("last text on Slack %q, want the stored reply %q", got, want)
	}
}

func TestModelAnswerIsStreamedWithUpdates(t *testing.T) {
	reply := "Shipping takes three to five business days & is free over $50 <always>."
	f := newFixture(t, fixtureOptions{model: &llmtest.Options{
		Replies: []llmtest.Reply{{Text: reply}}, ChunksPerSecond: 40, ChunkWords: 1}})
	f.send(t, dm("Ev1", "UCUST001", "D0DM0001", "1800000001.000100", "", "How long does shipping take?"))
	msgs, calls := f.answered(t, "UCUST001", "D0DM0001")
	if msgs[1].Text != reply {
		t.Fatalf("stored reply %q, want the model's %q", msgs[1].Text, reply)
	}
	if len(calls) < 3 || calls[0].Method != "chat.postMessage" {
		t.Fatalf("calls %+v, want a post and updates while the model wrote", calls)
	}
	for _, c := range calls[1:] {
		if c.Method != "chat.update" || c.TS != calls[0].TS {
			t.Errorf("call %+v, want updates of the posted reply %s", c, calls[0].TS)
		}
	}
	want := "Shipping takes three to five business days &amp; is free over $50 &lt;always&gt;."
	if got := calls[len(calls)-1].Text; got != want {
		t.Errorf("final text %q, want %q", got, want)
	}
	// 18 words at 40 a second take about 450 ms: updates at most every 20 ms make far fewer calls than words.
	if len(calls) > 16 {
		t.Errorf("%d calls for 18 words: deltas were not merged", len(calls))
	}
}

func TestProfileEmailJoinsTheCustomer(t *testing.T) {
	f := newFixture(t, fixtureOptions{model: &llmtest.Options{}})
	ctx := context.Background()
	// The company's systems know Dana's email (a verified identity, as the events API's identify makes), and she
	// first chats on the web, signed in (the widget's HMAC proves her user id).
	if _, err := f.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: "u-dana"}, Email: "Dana@Example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "visitor-1", bot.Identification{
		UserID: "u-dana", Verified: true, Evidence: "test"}); err != nil {
		t.Fatal(err)
	}
	web, err := f.engine.Receive(ctx, channelsInbound("visitor-1", "w1", "My Hearthly Plus order HX-1234 has not arrived"))
	if err != nil {
		t.Fatal(err)
	}
	f.slack.setUser("UCUST001", fakeUser{Name: "Dana Scully", Email: "dana@example.com", Confirmed: true})
	waitUntil(t, "the web reply", func() bool { return len(f.model.Requests()) >= 1 })

	f.send(t, dm("Ev1", "UCUST001", "D0DM0001", "1800000001.000100", "", "Any news on my order?"))
	msgs, _ := f.answered(t, "UCUST001", "D0DM0001")
	if got, want := msgs[0].CustomerID, web.Customer.ID; got != want {
		t.Errorf("the Slack message is customer %s's, want the web customer %s", got, want)
	}
	reqs := f.model.Requests()
	if prompt := promptText(reqs[len(reqs)-1]); !strings.Contains(prompt, "HX-1234") {
		t.Errorf("the prompt on Slack does not hold what was said on the web:\n%s", prompt)
	}
	// A second message does not ask users.info again.
	f.send(t, dm("Ev2", "UCUST001", "D0DM0001", "1800000002.000100", "", "Thanks"))
	f.answeredN(t, "UCUST001", "D0DM0001", 4)
	if n := len(f.slack.recorded("users.info")); n != 1 {
		t.Errorf("users.info called %d times, want once (cached)", n)
	}
}

func TestUnconfirmedOrMissingEmailDoesNotJoin(t *testing.T) {
	tests := []struct {
		name string
		user fakeUser
	}{
		{name: "email not confirmed", user: fakeUser{Name: "Mallory", Email: "dana@example.com", Confirmed: false}},
		{name: "no users:read.email scope", user: fakeUser{Name: "Mallory"}},
		{name: "no users:read scope", user: fakeUser{NoScope: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			ctx := context.Background()
			res, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "visitor-1", bot.Identification{
				Email: "dana@example.com", Verified: true, Evidence: "test"})
			if err != nil {
				t.Fatal(err)
			}
			f.slack.setUser("UCUST001", tt.user)
			f.send(t, dm("Ev1", "UCUST001", "D0DM0001", "1800000001.000100", "", "How long does shipping take?"))
			msgs, _ := f.answered(t, "UCUST001", "D0DM0001")
			if msgs[0].CustomerID == res.Customer.ID {
				t.Error("the Slack user was joined to the web customer without a confirmed email")
			}
		})
	}
}

// TestChannelThreadsKeepTheJourneyPrivate: a mention in a shared channel is answered in public, so the prompt of
// that turn holds none of the customer's private journey (what they said elsewhere), which a DM's does.
func TestChannelThreadsKeepTheJourneyPrivate(t *testing.T) {
	f := newFixture(t, fixtureOptions{model: &llmtest.Options{}})
	ctx := context.Background()
	if _, err := f.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: "u-dana"}, Email: "dana@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.IdentifyUser(ctx, journeystate.ChannelWeb, "visitor-2", bot.Identification{UserID: "u-dana", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Receive(ctx, channelsInbound("visitor-2", "w1", "My order HX-9876 has not arrived")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the web reply", func() bool { return len(f.model.Requests()) >= 1 })
	f.slack.setUser("UCUST009", fakeUser{Name: "Dana Scully", Email: "dana@example.com", Confirmed: true})

	f.send(t, mention("EvPub1", "UCUST009", "C0SHARED1", "1800000009.000900", "", "any news?"))
	f.answered(t, "UCUST009", "C0SHARED1/1800000009.000900")
	reqs := f.model.Requests()
	if prompt := promptText(reqs[len(reqs)-1]); strings.Contains(prompt, "HX-9876") {
		t.Errorf("a channel thread's prompt holds the customer's private journey:\n%s", prompt)
	}
	f.send(t, dm("EvPriv1", "UCUST009", "D0DM0009", "1800000010.000100", "", "any news?"))
	f.answered(t, "UCUST009", "D0DM0009")
	reqs = f.model.Requests()
	if prompt := promptText(reqs[len(reqs)-1]); !strings.Contains(prompt, "HX-9876") {
		t.Errorf("the DM's prompt lacks the customer's journey:\n%s", prompt)
	}
}

// channelMessage is an Events API delivery of a plain message in a channel (message.channels).
func channelMessage(eventID, user, channel, ts, threadTS, text string) []byte {
	inner := map[string]any{"type": "message", "channel_type": "channel", "channel": channel, "user": user, "ts": ts,
		"text": text, "team": teamID}
	if threadTS != "" {
		inner["thread_ts"] = threadTS
	}
	return envelope(eventID, inner)
}

// TestThreadFollowUpsNeedNoMention: after a mention, the customer's replies in that thread are answered without
// mentioning the app again; somebody else's replies there, and plain channel messages, are not.
func TestThreadFollowUpsNeedNoMention(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	const thread = "C0SHARED1/1800000020.000100"
	f.send(t, mention("EvT1", "UCUST020", "C0SHARED1", "1800000020.000100", "", "How long does shipping take?"))
	f.answeredN(t, "UCUST020", thread, 2)
	f.send(t, channelMessage("EvT2", "UCUST020", "C0SHARED1", "1800000020.000300", "1800000020.000100", "And to Canada?"))
	if msgs := f.answeredN(t, "UCUST020", thread, 4); msgs[2].Text != "And to Canada?" {
		t.Errorf("stored %+v, want the follow-up and its answer", msgs)
	}
	f.send(t, channelMessage("EvT3", "UOTHER21", "C0SHARED1", "1800000020.000500", "1800000020.000100", "I wonder too"))
	f.send(t, channelMessage("EvT4", "UCUST020", "C0SHARED1", "1800000020.000700", "", "lunch anyone?"))
	time.Sleep(300 * time.Millisecond)
	if msgs := f.messages(t, "UOTHER21", thread); len(msgs) != 0 {
		t.Errorf("somebody else's reply in the thread was taken: %+v", msgs)
	}
	if msgs := f.messages(t, "UCUST020", "C0SHARED1/1800000020.000700"); len(msgs) != 0 {
		t.Errorf("a channel message without a mention was taken: %+v", msgs)
	}
}

func TestFileOnlyDMIsKeptAsLinks(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var body map[string]any
	if err := json.Unmarshal(dm("EvFile1", "UCUST030", "D0DM0030", "1800000030.000100", "", ""), &body); err != nil {
		t.Fatal(err)
	}
	ev := body["event"].(map[string]any)
	ev["subtype"] = "file_share"
	ev["files"] = []any{
		map[string]any{"name": "thermostat.jpg", "permalink": "https://acme.slack.com/files/U1/F1/thermostat.jpg"},
		map[string]any{"name": "evil", "permalink": "javascript:alert(1)"},
	}
	raw, _ := json.Marshal(body)
	f.send(t, raw)
	msgs := f.answeredN(t, "UCUST030", "D0DM0030", 2)
	if want := "[attachment: thermostat.jpg https://acme.slack.com/files/U1/F1/thermostat.jpg]"; msgs[0].Text != want {
		t.Errorf("stored %q, want %q", msgs[0].Text, want)
	}
}
