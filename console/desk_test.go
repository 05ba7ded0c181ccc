package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

const xss = `<img src=x onerror=alert(1)>`

// seed stores a conversation with id, owned as given, whose customer wrote xss and whose packet's summary is xss.
func (f *fixture) seed(id string, owner journeystate.Owner, agentID string) {
	now := f.clock()
	cust := journeystate.Customer{ID: "cust-" + id, Profile: journeystate.Profile{Name: "Jane Doe", Email: "jane@example.com"},
		Stage: "onboarding", Traits: map[string]string{"plan": "pro"},
		Memory: journeystate.Memory{Facts: map[string]string{"thermostat_model": "T2"}, Summary: "Bought a T2 last week."}}
	conv := journeystate.Conversation{ID: id, CustomerID: cust.ID, Channel: journeystate.ChannelWeb, Owner: owner,
		AgentID: agentID, Team: "support", OwnerSince: now.Add(-5 * time.Minute)}
	h := &journeystate.Handoff{ID: "h-" + id, ConversationID: id, CustomerID: cust.ID, Channel: journeystate.ChannelWeb,
		Summary: xss, SummarySource: journeystate.SummaryModel, Intent: "refund", Sentiment: journeystate.SentimentNegative,
		Stage: "onboarding", Language: "de", Reason: "asked for a refund over 500", Trigger: journeystate.TriggerCustomerRequest,
		Urgency: journeystate.UrgencyHigh, Confidence: 0.9, WaitingSince: now.Add(-12 * time.Minute), Team: "support",
		CreatedAt: now.Add(-5 * time.Minute),
		Timeline:  []journeystate.HandoffEntry{{Time: now.Add(-2 * time.Hour), Channel: "sms", Kind: "order_placed", Text: "order 1234"}},
		Tried: []journeystate.HandoffAttempt{
			{Time: now.Add(-10 * time.Minute), Kind: journeystate.AttemptTool, Tool: "search_knowledge", Arguments: `{"query":"refund"}`, OK: true, Result: "2 passages"},
			{Time: now.Add(-9 * time.Minute), Kind: journeystate.AttemptAnswer, Text: "Refunds take 5 days.", Source: "model",
				Citations: []journeystate.Citation{{Title: "Refund policy", Source: "refunds.md", URL: "https://example.com/refunds"}}},
		}}
	f.records.put(conv, cust, h,
		journeystate.Message{Author: journeystate.ActorCustomer, Text: xss, CreatedAt: now.Add(-12 * time.Minute)},
		journeystate.Message{Author: journeystate.ActorBot, Text: "Refunds take 5 days.", CreatedAt: now.Add(-9 * time.Minute)},
		journeystate.Message{Author: journeystate.ActorSystem, Meta: journeystate.MessageMeta{Notice: journeystate.NoticeAgentJoined, AgentName: "Sam Second"}, CreatedAt: now.Add(-8 * time.Minute)},
		journeystate.Message{Author: journeystate.ActorAgent, Text: "Hi, Sam here.", Meta: journeystate.MessageMeta{AgentName: "Sam Second"}, CreatedAt: now.Add(-7 * time.Minute)},
	)
}

// get fetches path with the session and returns the status and body.
func (f *fixture) get(t *testing.T, c *http.Cookie, path string) (int, string) {
	t.Helper()
	r := f.do(httptest.NewRequest("GET", path, nil), c)
	return r.StatusCode, body(t, r)
}

// csrf returns the session's CSRF token, from the workspace's forms.
func (f *fixture) csrf(t *testing.T, c *http.Cookie) string {
	t.Helper()
	_, b := f.get(t, c, "/console/")
	m := csrfRE.FindStringSubmatch(b)
	if m == nil {
		t.Fatal("workspace has no csrf field")
	}
	return m[1]
}

// post sends a form with the session; htmx marks it as htmx's.
func (f *fixture) post(c *http.Cookie, path string, v url.Values, htmx bool) *http.Response {
	req := httptest.NewRequest("POST", path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	if c == nil {
		return f.do(req)
	}
	return f.do(req, c)
}

func TestWorkspaceListsQueue(t *testing.T) {
	f := newFixture(t)
	f.seed("conv-q", journeystate.OwnerQueue, "")
	f.seed("conv-mine", journeystate.OwnerAgent, f.ids[agentEmail])
	f.seed("conv-other", journeystate.OwnerAgent, f.ids[agent2Email])
	c := f.session(t, agentEmail)
	for _, path := range []string{"/console/", "/console/queue"} {
		t.Run(path, func(t *testing.T) {
			status, b := f.get(t, c, path)
			if status != 200 {
				t.Fatalf("GET %s = %d", path, status)
			}
			queue, mine, ok := strings.Cut(b, "Mine (")
			if !ok {
				t.Fatalf("no Mine section in %q", b)
			}
			for _, want := range []string{`href="/console/conversations/conv-q"`, "Jane Doe", "web", "onboarding",
				"asked for a refund over 500", "customer_request", "high", "support", "12 min",
				`action="/console/conversations/conv-q/take"`, `aria-label="Take the conversation with Jane Doe"`} {
				if !strings.Contains(queue, want) {
					t.Errorf("queue lacks %q", want)
				}
			}
			if !strings.Contains(mine, `href="/console/conversations/conv-mine"`) || strings.Contains(b, "conv-other") {
				t.Errorf("Mine should list conv-mine and nobody's else: %q", mine)
			}
		})
	}
	_, b := f.get(t, c, "/console/")
	for _, want := range []string{`sse-connect="/console/events"`, `hx-trigger="every 10s, sse:queue"`, `hx-headers="{&#34;X-CSRF-Token&#34;:`} {
		if !strings.Contains(b, want) {
			t.Errorf("workspace lacks %q", want)
		}
	}
}

func TestConversationPage(t *testing.T) {
	f := newFixture(t)
	f.seed("conv-1", journeystate.OwnerAgent, f.ids[agentEmail])
	f.records.events["conv-1"] = []journeystate.Event{{ConversationID: "conv-1", Type: "agent_note",
		Payload: []byte(`{"text":"VIP, be nice","agent_name":"Bo Boss"}`)}, {ConversationID: "conv-1", Type: "bot_turn"}}
	c := f.session(t, agentEmail)
	status, b := f.get(t, c, "/console/conversations/conv-1")
	if status != 200 {
		t.Fatalf("GET = %d %q", status, b)
	}
	for _, want := range []string{
		`role="log"`, `aria-label="Customer Jane Doe"`, `aria-label="Assistant"`, `aria-label="Agent Sam Second"`,
		"Sam Second joined the conversation.", "Hi, Sam here.",
		// the packet
		"refund", "negative", "onboarding", "de", "asked for a refund over 500", "customer_request", "high", "90%",
		"12 min ago", "Summary written by the model", "jane@example.com", "thermostat_model", "T2", "Bought a T2 last week.",
		"plan", "pro", "order 1234", "search_knowledge", "{&#34;query&#34;:&#34;refund&#34;}", "2 passages",
		`<a href="https://example.com/refunds" rel="noopener noreferrer">Refund policy</a>`,
		// notes, actions, reply
		"VIP, be nice", "Bo Boss", `<label for="reply-text">Reply</label>`, "Send reply", `name="client_id" value="console:`,
		`data-canned="Hello! I&#39;m looking into it."`, "Hand back to bot", "Transfer to team", `<option value="billing">`,
		`<option value="resolved">`, "Assign to", `data-typing-url="/console/conversations/conv-1/typing"`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(b, ">Take<") {
		t.Error("the owner is offered Take")
	}
	for _, frag := range []string{"transcript", "notes", "actions"} {
		if status, fb := f.get(t, c, "/console/conversations/conv-1/"+frag); status != 200 || strings.Contains(fb, "<html") {
			t.Errorf("fragment %s = %d, whole page: %v", frag, status, strings.Contains(fb, "<html"))
		}
	}
	if status, _ := f.get(t, c, "/console/conversations/nope"); status != http.StatusNotFound {
		t.Errorf("unknown conversation = %d, want 404", status)
	}
}

func TestConversationEscapesUntrustedText(t *testing.T) {
	f := newFixture(t)
	f.seed("conv-1", journeystate.OwnerQueue, "")
	cust := f.records.customers["cust-conv-1"]
	cust.Profile.Name = `"><script>alert(2)</script>`
	f.records.customers[cust.ID] = cust
	c := f.session(t, agentEmail)
	for _, path := range []string{"/console/conversations/conv-1", "/console/conversations/conv-1/transcript", "/console/"} {
		_, b := f.get(t, c, path)
		if strings.Contains(b, "<img src=x") || strings.Contains(b, "<script>alert") {
			t.Errorf("%s shows untrusted text as HTML", path)
		}
		if path != "/console/" && strings.Count(b, "&lt;img src=x onerror=alert(1)&gt;") < 1 {
			t.Errorf("%s does not show the customer's text escaped", path)
		}
	}
	_, b := f.get(t, c, "/console/conversations/conv-1")
	if strings.Count(b, "&lt;img src=x onerror=alert(1)&gt;") < 2 { // the message and the summary
		t.Errorf("the message and the packet summary should both be shown escaped")
	}
}

func TestActionsCallDesk(t *testing.T) {
	tests := []struct {
		name   string
		owner  journeystate.Owner
		mine   bool
		as     string
		path   string
		form   url.Values
		status int
		call   string // %s is the signed-in user's id
	}{
		{"take from queue", journeystate.OwnerQueue, false, agentEmail, "take", nil, 303, "take c by %s"},
		{"take from bot", journeystate.OwnerBot, false, agentEmail, "take", nil, 303, "take c by %s"},
		{"reply", journeystate.OwnerAgent, true, agentEmail, "reply", url.Values{"text": {" Hello there "}, "client_id": {"console:x"}}, 303, "reply c by %s: Hello there"},
		{"note", journeystate.OwnerQueue, false, agentEmail, "notes", url.Values{"text": {"check the order"}}, 303, "note c by %s: check the order"},
		{"hand back", journeystate.OwnerAgent, true, agentEmail, "handback", nil, 303, "handback c by %s"},
		{"close", journeystate.OwnerAgent, true, agentEmail, "close", url.Values{"outcome": {"resolved"}}, 303, "close c by %s resolved"},
		{"close queued", journeystate.OwnerQueue, false, agentEmail, "close", url.Values{"outcome": {"spam"}}, 303, "close c by %s spam"},
		{"transfer", journeystate.OwnerAgent, true, agentEmail, "transfer", url.Values{"team": {"billing"}}, 303, "transfer c by %s to billing"},
		{"typing", journeystate.OwnerAgent, true, agentEmail, "typing", url.Values{"on": {"1"}}, 204, "typing c by %s true"},
		{"owner assigns", journeystate.OwnerAgent, true, agentEmail, "assign", url.Values{"agent": {"user-3"}}, 303, "assign c to user-3 by %s"},
		{"manager assigns", journeystate.OwnerQueue, false, bossEmail, "assign", url.Values{"agent": {"user-3"}}, 303, "assign c to user-3 by %s"},
		// refusals: nothing reaches the desk
		{"agent assigns a queued one", journeystate.OwnerQueue, false, agentEmail, "assign", url.Values{"agent": {"user-3"}}, 403, ""},
		{"assign to nobody", journeystate.OwnerQueue, false, bossEmail, "assign", url.Values{"agent": {"user-99"}}, 400, ""},
		{"reply to another's", journeystate.OwnerQueue, false, agentEmail, "reply", url.Values{"text": {"hi"}, "client_id": {"console:x"}}, 409, ""},
		{"empty reply", journeystate.OwnerAgent, true, agentEmail, "reply", url.Values{"text": {"  "}, "client_id": {"console:x"}}, 400, ""},
		{"too long a reply", journeystate.OwnerAgent, true, agentEmail, "reply", url.Values{"text": {strings.Repeat("é", 4001)}, "client_id": {"console:x"}}, 400, ""},
		{"reply without client id", journeystate.OwnerAgent, true, agentEmail, "reply", url.Values{"text": {"hi"}}, 400, ""},
		{"unknown team", journeystate.OwnerAgent, true, agentEmail, "transfer", url.Values{"team": {"sales"}}, 400, ""},
		{"unknown outcome", journeystate.OwnerAgent, true, agentEmail, "close", url.Values{"outcome": {"meh"}}, 400, ""},
		{"hand back another's", journeystate.OwnerQueue, false, agentEmail, "handback", nil, 409, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			agent := ""
			if tt.mine {
				agent = f.ids[tt.as]
			}
			f.seed("c", tt.owner, agent)
			c := f.session(t, tt.as)
			form := url.Values{"csrf": {f.csrf(t, c)}}
			for k, v := range tt.form {
				form[k] = v
			}
			r := f.post(c, "/console/conversations/c/"+tt.path, form, false)
			if r.StatusCode != tt.status {
				t.Fatalf("POST %s = %d, want %d: %s", tt.path, r.StatusCode, tt.status, body(t, r))
			}
			var want []string
			if tt.call != "" {
				want = []string{strings.Replace(tt.call, "%s", f.ids[tt.as], 1)}
			}
			if got := f.desk.Calls(); !slices.Equal(got, want) {
				t.Errorf("desk calls = %q, want %q", got, want)
			}
		})
	}
}

func TestActionsNeedCSRF(t *testing.T) {
	f := newFixture(t)
	f.seed("c", journeystate.OwnerAgent, f.ids[agentEmail])
	c := f.session(t, agentEmail)
	for _, path := range []string{"take", "reply", "notes", "handback", "close", "transfer", "assign", "typing"} {
		form := url.Values{"text": {"hi"}, "client_id": {"console:x"}, "outcome": {"resolved"}, "team": {"billing"}, "agent": {"user-3"}}
		if r := f.post(c, "/console/conversations/c/"+path, form, true); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without csrf = %d, want 403", path, r.StatusCode)
		}
	}
	if r := f.post(c, "/console/status", url.Values{"status": {"away"}}, false); r.StatusCode != http.StatusForbidden {
		t.Errorf("POST status without csrf = %d, want 403", r.StatusCode)
	}
	if calls := f.desk.Calls(); len(calls) != 0 {
		t.Errorf("desk was called: %q", calls)
	}
}

func TestDeskNeedsSession(t *testing.T) {
	f := newFixture(t)
	f.seed("c", journeystate.OwnerQueue, "")
	for _, path := range []string{"/console/", "/console/queue", "/console/events", "/console/conversations/c"} {
		r := f.do(httptest.NewRequest("GET", path, nil))
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/login" {
			t.Errorf("GET %s without a session = %d %s, want 303 to sign-in", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	req := httptest.NewRequest("GET", "/console/queue", nil)
	req.Header.Set("HX-Request", "true")
	if r := f.do(req); r.StatusCode != http.StatusUnauthorized || r.Header.Get("HX-Redirect") != "/console/login" {
		t.Errorf("htmx GET without a session = %d %q, want 401 with HX-Redirect", r.StatusCode, r.Header.Get("HX-Redirect"))
	}
	if r := f.post(nil, "/console/conversations/c/take", url.Values{"csrf": {"x"}}, false); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST take without a session = %d, want 401", r.StatusCode)
	}
	if calls := f.desk.Calls(); len(calls) != 0 {
		t.Errorf("desk was called: %q", calls)
	}
}

func TestConflict(t *testing.T) {
	f := newFixture(t)
	f.seed("c", journeystate.OwnerQueue, "")
	f.desk.Err = &journeystate.TransitionError{From: journeystate.OwnerAgent, FromAgentID: "user-3", To: journeystate.OwnerAgent,
		AgentID: f.ids[agentEmail], Actor: journeystate.ActorAgent, Reason: "the conversation is no longer owned by queue"}
	c := f.session(t, agentEmail)
	csrf := f.csrf(t, c)
	r := f.post(c, "/console/conversations/c/take", url.Values{"csrf": {csrf}}, false)
	b := body(t, r)
	if r.StatusCode != http.StatusConflict || !strings.Contains(b, "Someone else took this conversation") {
		t.Errorf("take of a taken conversation = %d %q, want 409 and a message", r.StatusCode, b)
	}
	if strings.Contains(b, "user-3") || strings.Contains(b, "no longer owned by") {
		t.Errorf("the page shows the internal error: %q", b)
	}
	// From htmx, the message goes into the page's alert region.
	f.records.setOwner("c", journeystate.OwnerAgent, f.ids[agentEmail])
	r = f.post(c, "/console/conversations/c/reply", url.Values{"csrf": {csrf}, "text": {"hi"}, "client_id": {"console:x"}}, true)
	b = body(t, r)
	if r.StatusCode != http.StatusConflict || r.Header.Get("HX-Retarget") != "#alert" || strings.Contains(b, "<html") ||
		!strings.Contains(b, "Someone else took this conversation") {
		t.Errorf("htmx reply on conflict = %d %v %q", r.StatusCode, r.Header, b)
	}
	f.desk.Err = journeystate.ErrNotFound
	if r := f.post(c, "/console/conversations/c/handback", url.Values{"csrf": {csrf}}, false); r.StatusCode != http.StatusNotFound {
		t.Errorf("hand back of a vanished conversation = %d, want 404", r.StatusCode)
	}
}

var clientIDRE = regexp.MustCompile(`name="client_id" value="([^"]+)"`)

func TestReplyFromHTMX(t *testing.T) {
	f := newFixture(t)
	f.seed("c", journeystate.OwnerAgent, f.ids[agentEmail])
	c := f.session(t, agentEmail)
	_, page := f.get(t, c, "/console/conversations/c")
	id := clientIDRE.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {f.csrf(t, c)}, "text": {"On it"}, "client_id": {id}}
	var fresh string
	for range 2 { // a double submit sends the same client id: the desk stores it once
		r := f.post(c, "/console/conversations/c/reply", form, true)
		b := body(t, r)
		if r.StatusCode != 200 || r.Header.Get("HX-Trigger") != "transcript" || !strings.Contains(b, `id="reply-form"`) {
			t.Fatalf("htmx reply = %d %v %q", r.StatusCode, r.Header, b)
		}
		fresh = clientIDRE.FindStringSubmatch(b)[1]
	}
	if fresh == id {
		t.Error("the fresh reply form has the sent reply's client id")
	}
	n := 0
	for _, m := range f.records.messages["c"] {
		if m.ClientID == id {
			n++
		}
	}
	if n != 1 {
		t.Errorf("reply stored %d times, want once", n)
	}
}

func TestSetStatus(t *testing.T) {
	f := newFixture(t)
	c := f.session(t, agentEmail)
	r := f.post(c, "/console/status", url.Values{"csrf": {f.csrf(t, c)}, "status": {"away"}}, false)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("set status = %d", r.StatusCode)
	}
	u, _ := f.users.User(t.Context(), f.ids[agentEmail])
	if u.Status != journeystate.StatusAway {
		t.Errorf("status = %q, want away", u.Status)
	}
	if _, b := f.get(t, c, "/console/"); !strings.Contains(b, `<option value="away" selected>`) {
		t.Error("the workspace does not show the status set")
	}
	if r := f.post(c, "/console/status", url.Values{"csrf": {f.csrf(t, c)}, "status": {"asleep"}}, false); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown status = %d, want 400", r.StatusCode)
	}
}

var staticRE = regexp.MustCompile(`src="(/console/static/console\.js\?v=[0-9a-f]+)"`)

func TestStatic(t *testing.T) {
	f := newFixture(t)
	c := f.session(t, agentEmail)
	_, page := f.get(t, c, "/console/")
	m := staticRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the workspace does not load console.js")
	}
	r := f.do(httptest.NewRequest("GET", m[1], nil))
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(r.Header.Get("Cache-Control"), "immutable") || r.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET %s = %d %v", m[1], r.StatusCode, r.Header)
	}
	if r := f.do(httptest.NewRequest("GET", "/console/static/console.js?v=old", nil)); r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version's Cache-Control = %q, want no-cache", r.Header.Get("Cache-Control"))
	}
	for _, path := range []string{"/console/static/nope.js", "/console/static/", "/console/static/..%2fconsole.go"} {
		if r := f.do(httptest.NewRequest("GET", path, nil)); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.StatusCode)
		}
	}
}
