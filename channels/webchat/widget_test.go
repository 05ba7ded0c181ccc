package webchat

// Tests of widget.js in the browser (browser_test.go has the harness); run them with -run Browser.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

func TestBrowserWidgetUsesServerLimits(t *testing.T) {
	eng := newFakeEngine()
	_, srv := testServer(t, eng, Options{MaxMessageChars: 50, MaxFrameBytes: 1024})
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/")
	vid := openWidget(t, ctx, srv.URL)

	pollJS(t, ctx, "the message box takes the server's limit", `w('textarea').getAttribute('maxlength') === '50'`)
	tooLong := strings.Repeat("é", 51)
	typeAndSend(t, ctx, tooLong)
	pollJS(t, ctx, "the widget refuses the message", `!!w('.notice') && w('.notice').textContent.includes('50 characters')`)
	if got := js[string](t, ctx, `w('textarea').value`); got != tooLong {
		t.Errorf("message box holds %q after the refusal, want the text kept for shortening", got)
	}
	typeAndSend(t, ctx, strings.Repeat("é", 50))
	pollJS(t, ctx, "the message at the limit is sent", `!!w('.msg[data-status="sent"]')`)

	// A message written before the limits were known (kept in the outbox across a reload) is not sent: it is
	// marked failed and leaves the outbox.
	outbox, _ := json.Marshal([]map[string]string{{"id": "c_offline1", "text": tooLong}})
	key := fmt.Sprintf("%q", "journeybot:"+srv.URL+":outbox")
	js[bool](t, ctx, fmt.Sprintf("(localStorage.setItem(%s, %q), true)", key, outbox))
	navigate(t, ctx, srv.URL+"/")
	js[bool](t, ctx, `(w('.launcher').click(), true)`)
	pollJS(t, ctx, "the offline message marked failed", `!!w('.msg[data-status="error"]')`)
	if got := js[string](t, ctx, "localStorage.getItem("+key+") || ''"); got != "" {
		t.Errorf("outbox after the welcome: %s, want it empty", got)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if n := len(eng.msgs[vid]); n != 1 {
		t.Errorf("the server received %d messages, want 1: only the one within the limits", n)
	}
}

func TestBrowserWidgetStopsResendingRefusedMessage(t *testing.T) {
	store, eng := newFakeEngine(), newFakeEngine()
	var refused atomic.Int32
	eng.ReceiveFn = func(ctx context.Context, in channels.Inbound) (bot.Receipt, error) {
		if in.Text == "refuse me" {
			refused.Add(1)
			return bot.Receipt{}, bot.ErrTooLong // as if the engine's own limit were lower
		}
		return store.Receive(ctx, in)
	}
	eng.HistoryFn = store.History
	_, srv := testServer(t, eng, Options{})
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/")
	openWidget(t, ctx, srv.URL)

	typeAndSend(t, ctx, "refuse me")
	pollJS(t, ctx, "the refused message marked failed", `!!w('.msg[data-status="error"]')`)
	want := []shown{{Author: "customer", Status: "error", Text: "refuse me", Note: "That message is too long (4000 characters at most)."}}
	if diff := cmp.Diff(want, widgetLog(t, ctx)); diff != "" {
		t.Errorf("log after the refusal (-want +got):\n%s", diff)
	}
	key := fmt.Sprintf("%q", "journeybot:"+srv.URL+":outbox")
	if got := js[string](t, ctx, "localStorage.getItem("+key+") || ''"); got != "" {
		t.Errorf("outbox after the refusal: %s, want it empty", got)
	}

	// After a reload (a new socket, a new welcome) it is not sent again; a new message is.
	navigate(t, ctx, srv.URL+"/")
	js[bool](t, ctx, `(w('.launcher').click(), true)`)
	typeAndSend(t, ctx, "hello again")
	pollJS(t, ctx, "the next message acknowledged", `!!w('.msg[data-status="sent"]')`)
	if n := refused.Load(); n != 1 {
		t.Errorf("the refused message reached the server %d times, want 1", n)
	}
}

func TestBrowserWidgetDropsUnfinishedStream(t *testing.T) {
	h, srv := testServer(t, newFakeEngine(), Options{})
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/")
	vid := openWidget(t, ctx, srv.URL)
	conv := journeystate.Conversation{ID: "conv1", ThreadID: vid}

	// A turn that fails after streaming a little: typing goes off with no final message.
	h.Typing(conv, true)
	h.StreamDelta(conv, "reply:m1", "Standard shipping ")
	pollJS(t, ctx, "the reply streaming", `!!w('.msg[data-status="streaming"]')`)
	h.Typing(conv, false)
	pollJS(t, ctx, "the unfinished reply removed", `!w('.msg')`)

	// A turn that finishes: the final message comes before typing goes off, and stays.
	h.Typing(conv, true)
	h.StreamDelta(conv, "reply:m2", "Returns are ")
	h.Deliver(context.Background(), conv, journeystate.Message{ID: "m3", ConversationID: conv.ID, Seq: 3,
		Author: journeystate.ActorBot, ClientID: "reply:m2", Text: "Returns are free for 30 days.", CreatedAt: testTime})
	h.Typing(conv, false)
	// A delta of another reply after typing is off, as a marker that everything before it was handled.
	h.StreamDelta(conv, "reply:marker", "marker")
	// The first streaming message is the marker only once the finished reply is no longer streaming.
	pollJS(t, ctx, "the marker", `(w('.msg[data-status="streaming"]')||{textContent:""}).textContent.includes("marker")`)
	want := []shown{
		{Author: "bot", Status: "sent", Text: "Returns are free for 30 days."},
		{Author: "bot", Status: "streaming", Text: "marker"},
	}
	if diff := cmp.Diff(want, widgetLog(t, ctx)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// citationsJS returns the widget's citations as {text, href} ("" when not a link).
const citationsJS = `[...document.getElementById('journeybot-widget').shadowRoot.querySelectorAll('.cites li')].map((li) => {
  const a = li.querySelector('a');
  return {text: li.textContent, href: a ? a.href : ''};
})`

type citationShown struct {
	Text string `json:"text"`
	Href string `json:"href"`
}

func TestBrowserWidgetCitationLinks(t *testing.T) {
	citations := []journeystate.Citation{
		{Title: "Absolute", URL: "https://help.example.com/shipping"},
		{Title: "Relative", URL: "/help/shipping"},
		{Title: "Script", URL: "javascript:alert(1)"},
		{Title: "Protocol-relative", URL: "//evil.example/x"},
		{Title: "Backslash", URL: "/\\evil.example/x"},
		{Title: "Tab", URL: "/\t/evil.example/x"},
		{Title: "None"},
	}
	// A shop's page on another origin that embeds the widget from the chat server.
	var chatURL string
	host := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Shop</title><body><script src="%s/widget.js"></script></body></html>`, chatURL)
	}))
	hostURL := "http://" + host.Listener.Addr().String()
	h, srv := testServer(t, newFakeEngine(), Options{AllowedOrigins: []string{hostURL}})
	chatURL = srv.URL
	host.Start()
	t.Cleanup(host.Close)

	tests := []struct {
		name         string
		page         string
		wantRelative string
	}{
		{name: "page on the server's origin", page: srv.URL + "/", wantRelative: srv.URL + "/help/shipping"},
		{name: "page on another origin", page: hostURL + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newBrowser(t)
			navigate(t, ctx, tt.page)
			vid := openWidget(t, ctx, srv.URL)
			conv := journeystate.Conversation{ID: "conv1", ThreadID: vid}
			h.Deliver(context.Background(), conv, journeystate.Message{ID: "m1", ConversationID: conv.ID, Seq: 1,
				Author: journeystate.ActorBot, ClientID: "reply:m0", Text: "See these.", CreatedAt: testTime,
				Meta: journeystate.MessageMeta{Citations: citations}})
			pollJS(t, ctx, "the citations", `!!w('.cites')`)

			want := []citationShown{
				{Text: "Absolute", Href: "https://help.example.com/shipping"},
				{Text: "Relative", Href: tt.wantRelative},
				{Text: "Script"}, {Text: "Protocol-relative"}, {Text: "Backslash"}, {Text: "Tab"}, {Text: "None"},
			}
			if diff := cmp.Diff(want, js[[]citationShown](t, ctx, citationsJS)); diff != "" {
				t.Errorf("citations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBrowserWidgetTruncatedWelcome fills a gap whose welcome is truncated: the widget must take the welcome's first
// message as where its history starts, not ask for the missing older ones again and again.
func TestBrowserWidgetTruncatedWelcome(t *testing.T) {
	var stored, histories atomic.Int64
	stored.Store(3)
	message := func(seq int64) journeystate.Message {
		return journeystate.Message{ID: fmt.Sprintf("m%d", seq), ConversationID: "conv1", Seq: seq,
			Author: journeystate.ActorBot, ClientID: fmt.Sprintf("reply:%d", seq), Text: fmt.Sprint(seq), CreatedAt: testTime}
	}
	eng := newFakeEngine()
	eng.HistoryFn = func(_ context.Context, _, user, _ string, after int64, limit int) (journeystate.Conversation, []journeystate.Message, error) {
		histories.Add(1)
		var msgs []journeystate.Message
		for seq := max(after+1, stored.Load()-int64(limit)+1); seq <= stored.Load(); seq++ {
			msgs = append(msgs, message(seq))
		}
		return journeystate.Conversation{ID: "conv1", ThreadID: user}, msgs, nil
	}
	eng.ReceiveFn = func(_ context.Context, in channels.Inbound) (bot.Receipt, error) {
		conv := journeystate.Conversation{ID: "conv1", ThreadID: in.ThreadID}
		m := journeystate.Message{ID: "m-" + in.ClientMsgID, ConversationID: "conv1", Seq: stored.Add(1),
			Author: journeystate.ActorCustomer, ClientID: in.ClientMsgID, Text: in.Text, CreatedAt: testTime}
		return bot.Receipt{Conversation: conv, Message: m}, nil
	}
	h, srv := testServer(t, eng, Options{})
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/")
	vid := openWidget(t, ctx, srv.URL)
	pollJS(t, ctx, "the first messages", `w('[role="log"]').querySelectorAll('.msg').length === 3`)

	// 397 messages arrive while the widget misses them; the newest shows it the gap.
	stored.Store(400)
	h.Deliver(context.Background(), journeystate.Conversation{ID: "conv1", ThreadID: vid}, message(400))
	pollJS(t, ctx, "the newest 200 after the gap", `w('[role="log"]').querySelectorAll('.msg').length === 203`)

	// A message's round trip: the server handles the socket's frames in order, so any hello the widget sent
	// before it has been answered by the time it is acknowledged.
	typeAndSend(t, ctx, "ping")
	pollJS(t, ctx, "the message acknowledged", `!!w('.msg[data-author="customer"][data-status="sent"]')`)
	if n := histories.Load(); n != 2 {
		t.Errorf("History called %d times, want 2: the first hello and the one that fills the gap", n)
	}
}
