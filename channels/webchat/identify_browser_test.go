package webchat

// Browser tests of JourneybotChat.identify (browser_test.go has the harness); run them with -run Browser.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// adaEngine is a fake engine where the user id "u_ada" belongs to a customer with an earlier web conversation: a
// verified identify of it merges the visitor into that customer, whose conversation History then returns (as the
// real engine does once the visitor's identity resolves to the survivor). Anything else changes nothing.
func adaEngine() *fakeEngine {
	store, eng := newFakeEngine(), newFakeEngine()
	var mu sync.Mutex
	merged := map[string]bool{} // visitor id → merged into Ada
	earlier := []journeystate.Message{
		{ID: "ada1", ConversationID: "conv-ada", Seq: 1, Author: journeystate.ActorCustomer, ClientID: "c_ada1",
			Text: "Where is my order 1234?", CreatedAt: testTime},
		{ID: "ada2", ConversationID: "conv-ada", Seq: 2, Author: journeystate.ActorBot, ClientID: "reply:ada1",
			Text: "Order 1234 ships tomorrow.", CreatedAt: testTime},
	}
	eng.IdentifyFn = func(_ context.Context, _, externalID string, who bot.Identification) (journeystate.IdentifyResult, error) {
		if !who.Verified || who.UserID != "u_ada" {
			return journeystate.IdentifyResult{Customer: journeystate.Customer{ID: "cust-" + externalID}}, nil
		}
		res := journeystate.IdentifyResult{Customer: journeystate.Customer{ID: "cust-ada",
			Profile: journeystate.Profile{Name: "Ada Lovelace"}}}
		mu.Lock()
		defer mu.Unlock()
		if !merged[externalID] {
			merged[externalID] = true
			res.Merges = []journeystate.Merge{{ID: "merge-" + externalID, SurvivorID: "cust-ada",
				AbsorbedID: "cust-" + externalID, Evidence: who.Evidence}}
		}
		return res, nil
	}
	eng.ReceiveFn = store.Receive
	eng.HistoryFn = func(ctx context.Context, channel, userID, threadID string, afterSeq int64, limit int) (journeystate.Conversation, []journeystate.Message, error) {
		mu.Lock()
		isAda := merged[userID]
		mu.Unlock()
		if !isAda {
			return store.History(ctx, channel, userID, threadID, afterSeq, limit)
		}
		var out []journeystate.Message
		for _, m := range earlier {
			if m.Seq > afterSeq {
				out = append(out, m)
			}
		}
		return journeystate.Conversation{ID: "conv-ada", Channel: channel, ThreadID: threadID, LastSeq: 2}, out, nil
	}
	return eng
}

// hostPage is a page of the company's site that queues calls for the widget before loading it.
const hostPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
<script>window.journeybotQueue = window.journeybotQueue || [];
journeybotQueue.push(["identify", {id: "u_ada", name: "Ada", hash: "%s"}]);</script>
<script src="/widget.js" defer></script></head><body><h1>Your account</h1></body></html>`

// identifyServer serves the hub's routes and, at /host, hostPage signed with hash.
func identifyServer(t *testing.T, eng Engine, hash string) (*Hub, *httptest.Server) {
	t.Helper()
	h := New(eng, Options{IdentitySecret: testSecret})
	mux := http.NewServeMux()
	h.Routes(mux)
	mux.HandleFunc("GET /host", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, hash)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h, srv
}

// dropSockets closes the visitor's sockets from the server's side, as a network failure would.
func dropSockets(h *Hub, vid string) {
	h.mu.Lock()
	var open []*client
	for c := range h.visitors[vid] {
		open = append(open, c)
	}
	h.mu.Unlock()
	for _, c := range open {
		c.stop(websocket.CloseAbnormalClosure, "")
		c.conn.Close()
	}
}

// identifications returns the engine's identify calls for vid.
func identifications(eng *fakeEngine, vid string) []bot.Identification {
	var out []bot.Identification
	for _, c := range eng.identified() {
		if c.ExternalID == vid && c.Channel == journeystate.ChannelWeb {
			out = append(out, c.Who)
		}
	}
	return out
}

const adaHistoryShown = `[...w('[role="log"]').querySelectorAll('.msg')].some((m) => m.textContent.includes('order 1234'))`

func TestBrowserIdentifyVerifiedJoinsHistory(t *testing.T) {
	eng := adaEngine()
	h, srv := identifyServer(t, eng, IdentityHash(testSecret, "u_ada"))
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/host")
	vid := openWidget(t, ctx, srv.URL)

	// The queued identify is sent after the welcome; the merge brings Ada's earlier conversation.
	pollJS(t, ctx, "Ada's earlier messages in the log", adaHistoryShown)
	want := []shown{
		{Author: "customer", Status: "sent", Text: "Where is my order 1234?"},
		{Author: "bot", Status: "sent", Text: "Order 1234 ships tomorrow."},
	}
	if diff := cmp.Diff(want, widgetLog(t, ctx)); diff != "" {
		t.Errorf("log after identify (-want +got):\n%s", diff)
	}
	got := identifications(eng, vid)
	if len(got) != 1 || !got[0].Verified || got[0].UserID != "u_ada" || got[0].Name != "Ada" {
		t.Fatalf("engine identifications for the visitor: %+v, want one verified u_ada named Ada", got)
	}

	// The API answers with what the server said.
	js[bool](t, ctx, `(window.__answer = null, JourneybotChat.identify({id: "u_ada", hash: `+
		fmt.Sprintf("%q", IdentityHash(testSecret, "u_ada"))+`}).then((a) => { window.__answer = a; }), true)`)
	pollJS(t, ctx, "the identify answer", `!!window.__answer`)
	if a := js[map[string]any](t, ctx, `window.__answer`); a["verified"] != true || a["customerName"] != "Ada Lovelace" {
		t.Errorf("identify answer %v, want verified and the customer's name", a)
	}

	// After a reconnect the socket is new: the widget identifies again, unasked.
	dropSockets(h, vid)
	waitFor(t, "identify again after the reconnect", func() bool { return len(identifications(eng, vid)) == 3 })
	if got := identifications(eng, vid)[2]; !got.Verified || got.UserID != "u_ada" {
		t.Errorf("identify after the reconnect: %+v, want verified u_ada", got)
	}
	// The hash is a credential: it is kept in memory only.
	key := fmt.Sprintf("%q", IdentityHash(testSecret, "u_ada"))
	if js[bool](t, ctx, `Object.keys(localStorage).some((k) => localStorage.getItem(k).includes(`+key+`))`) {
		t.Errorf("the hash is in localStorage")
	}

	// Logout: a new anonymous visitor, nothing of Ada's shown, no identify for the new visitor.
	js[bool](t, ctx, `(JourneybotChat.reset(), true)`)
	vkey := fmt.Sprintf("%q", "journeybot:"+srv.URL+":visitor")
	pollJS(t, ctx, "a new visitor id", "!!localStorage.getItem("+vkey+") && localStorage.getItem("+vkey+") !== "+
		fmt.Sprintf("%q", vid))
	if js[bool](t, ctx, adaHistoryShown) {
		t.Errorf("Ada's messages still shown after reset")
	}
	newVid := js[string](t, ctx, "localStorage.getItem("+vkey+")")
	typeAndSend(t, ctx, "hello from the next person")
	pollJS(t, ctx, "the new visitor's message sent", `!!w('.msg[data-status="sent"]')`)
	if got := identifications(eng, newVid); len(got) != 0 {
		t.Errorf("identify sent for the visitor after reset: %+v", got)
	}
}

func TestBrowserIdentifyBadHashDoesNotJoin(t *testing.T) {
	eng := adaEngine()
	_, srv := identifyServer(t, eng, IdentityHash("not the site's secret", "u_ada"))
	ctx := newBrowser(t)
	navigate(t, ctx, srv.URL+"/")
	vid := openWidget(t, ctx, srv.URL)

	bad := fmt.Sprintf("%q", IdentityHash("not the site's secret", "u_ada"))
	js[bool](t, ctx, `(window.__answer = null, JourneybotChat.identify({id: "u_ada", email: "ada@example.com", hash: `+
		bad+`}).then((a) => { window.__answer = a; }), true)`)
	pollJS(t, ctx, "the identify answer", `!!window.__answer`)
	if a := js[map[string]any](t, ctx, `window.__answer`); a["verified"] != false || a["customerName"] != "" {
		t.Errorf("identify answer %v, want unverified and no name", a)
	}
	got := identifications(eng, vid)
	if len(got) != 1 || got[0].Verified || got[0].UserID != "u_ada" || got[0].Email != "ada@example.com" {
		t.Fatalf("engine identifications: %+v, want one unverified claim of u_ada with the email", got)
	}
	// A message round trip, so that anything the identify sent has arrived.
	typeAndSend(t, ctx, "hi")
	pollJS(t, ctx, "the message sent", `!!w('.msg[data-status="sent"]')`)
	if js[bool](t, ctx, adaHistoryShown) {
		t.Errorf("Ada's messages shown after an identify with a bad hash: %+v", widgetLog(t, ctx))
	}
	if log := widgetLog(t, ctx); len(log) != 1 || !strings.Contains(log[0].Text, "hi") {
		t.Errorf("log: %+v, want only the visitor's own message", log)
	}

	// A page bug (claims the server refuses) rejects the promise and is not shown to the customer.
	js[bool](t, ctx, `(window.__refused = null, JourneybotChat.identify({email: "not an email"}).catch((e) => { window.__refused = e.message; }), true)`)
	pollJS(t, ctx, "the refusal", `!!window.__refused`)
	if js[bool](t, ctx, `!!w('.notice')`) {
		t.Errorf("a refused identify is shown to the customer")
	}
}
