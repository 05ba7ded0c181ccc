package console_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// seedTranscripts stores three conversations of the last days:
//
//	conv-a  web, contained, resolved, rated 5, tags billing, customer Ann, said xss
//	conv-b  sms, handed off (customer_request) to agent Sam, resolved, rated 2, customer =HYPERLINK("x")
//	conv-c  slack, open, with the bot, customer Cy
func seedTranscripts(f *fixture, rep *memReports) {
	now := f.clock()
	sam := f.ids[agent2Email]
	rep.add(journeystate.TranscriptRow{
		Conversation: journeystate.Conversation{ID: "conv-a", CustomerID: "cust-a", Channel: "web", Owner: journeystate.OwnerClosed, CreatedAt: now.Add(-50 * time.Hour)},
		CustomerName: "Ann", CustomerEmail: "ann@example.com", Outcome: "resolved", Rating: 5, Tags: []string{"billing"}, Stage: "purchase",
	}, journeystate.ConversationFacts{ClosedAt: now.Add(-49 * time.Hour), Outcome: "resolved", Stage: "purchase", Messages: 2,
		FirstCustomerAt: now.Add(-50 * time.Hour), FirstBotReplyAt: now.Add(-50*time.Hour + 2*time.Second), Rating: 5},
		journeystate.Message{Author: journeystate.ActorCustomer, Text: "refund " + xss, CreatedAt: now.Add(-50 * time.Hour)},
		journeystate.Message{Author: journeystate.ActorBot, Text: "Refunds take 5 days.", CreatedAt: now.Add(-50*time.Hour + 2*time.Second)})
	rep.add(journeystate.TranscriptRow{
		Conversation: journeystate.Conversation{ID: "conv-b", CustomerID: "cust-b", Channel: "sms", Owner: journeystate.OwnerClosed, Team: "support", CreatedAt: now.Add(-26 * time.Hour)},
		CustomerName: `=HYPERLINK("http://evil")`, HandedOff: true, Trigger: "customer_request", Agents: []string{sam},
		Outcome: "resolved", Rating: 2, Stage: "support",
	}, journeystate.ConversationFacts{ClosedAt: now.Add(-25 * time.Hour), Outcome: "resolved", Team: "support", Agents: []string{sam},
		Stage: "support", HandoffStage: "support", HandedOff: true, Triggers: []string{"customer_request"}, HandoffAt: now.Add(-26*time.Hour + time.Minute),
		FirstCustomerAt: now.Add(-26 * time.Hour), FirstBotReplyAt: now.Add(-26*time.Hour + 4*time.Second),
		FirstAgentReplyAt: now.Add(-26*time.Hour + 3*time.Minute), QueueWaits: 1, QueueWait: 90 * time.Second, Rating: 2},
		journeystate.Message{Author: journeystate.ActorCustomer, Text: "I want a person", CreatedAt: now.Add(-26 * time.Hour)},
		journeystate.Message{Author: journeystate.ActorAgent, Text: "Sam here.", Meta: journeystate.MessageMeta{AgentID: sam, AgentName: "Sam Second"}, CreatedAt: now.Add(-26*time.Hour + 3*time.Minute)})
	rep.add(journeystate.TranscriptRow{
		Conversation: journeystate.Conversation{ID: "conv-c", CustomerID: "cust-c", Channel: "slack", Owner: journeystate.OwnerBot, CreatedAt: now.Add(-2 * time.Hour)},
		CustomerName: "Cy", Stage: "awareness",
	}, journeystate.ConversationFacts{Stage: "awareness", Messages: 1, FirstCustomerAt: now.Add(-2 * time.Hour)},
		journeystate.Message{Author: journeystate.ActorCustomer, Text: "hello", CreatedAt: now.Add(-2 * time.Hour)})
}

// managerPages are every manager page and export, with conv-a where a page names a conversation.
var managerPages = []string{"/console/manager", "/console/manager?period=30d&channel=web", "/console/journeys",
	"/console/transcripts", "/console/transcripts.csv", "/console/transcripts.json", "/console/transcripts/conv-a",
	"/console/transcripts/conv-a/print", "/console/transcripts/conv-a/export.json", "/console/transcripts/conv-a/export.csv"}

func TestManagerPagesRoles(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	agent, boss := f.session(t, agentEmail), f.session(t, bossEmail)
	for _, path := range managerPages {
		if code, _ := f.get(t, agent, path); code != http.StatusForbidden {
			t.Errorf("agent: GET %s = %d, want 403", path, code)
		}
		if code, b := f.get(t, boss, path); code != http.StatusOK {
			t.Errorf("manager: GET %s = %d, want 200: %.300s", path, code, b)
		}
	}
	csrf := f.csrf(t, agent)
	for _, path := range []string{"/console/transcripts/conv-a/tags", "/console/transcripts/conv-a/review"} {
		if r := f.post(agent, path, url.Values{"csrf": {csrf}, "tags": {"x"}, "mark": {"good"}}, false); r.StatusCode != http.StatusForbidden {
			t.Errorf("agent: POST %s = %d, want 403", path, r.StatusCode)
		}
	}
	if w := rep.Writes(); len(w) != 0 {
		t.Errorf("an agent's posts wrote %q", w)
	}
}

func TestTranscriptListFilters(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	boss := f.session(t, bossEmail)
	sam := f.ids[agent2Email]
	v := url.Values{"channel": {"sms"}, "stage": {"support"}, "handling": {"handed_off"}, "agent": {sam},
		"outcome": {"resolved"}, "from": {"2026-11-01"}, "to": {"2026-11-30"}, "tags": {"Billing, VIP"},
		"min_rating": {"1"}, "max_rating": {"3"}, "review": {"needs_work"}, "q": {" person "}, "ids": {"conv-a,conv-b"}}
	code, b := f.get(t, boss, "/console/transcripts?"+v.Encode())
	if code != 200 {
		t.Fatalf("GET = %d %s", code, b)
	}
	want := journeystate.TranscriptQuery{Channel: "sms", Stage: "support", Handling: journeystate.HandlingHandedOff,
		AgentID: sam, Outcome: "resolved", From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Tags: []string{"billing", "vip"}, MinRating: 1, MaxRating: 3,
		Review: journeystate.ReviewNeedsWork, IDs: []string{"conv-a", "conv-b"}, Text: "person", Limit: 50}
	if diff := cmp.Diff(want, rep.lastQuery()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	// The form shows the filter it applied.
	for _, s := range []string{`<option value="sms" selected>`, `value="2026-11-01"`, `<option value="needs_work" selected>`, `value="person"`} {
		if !strings.Contains(b, s) {
			t.Errorf("form lacks %s", s)
		}
	}
	for _, bad := range []string{"handling=maybe", "from=yesterday", "min_rating=9", "review=meh", "outcome=won", "tags=a%3Cb"} {
		if code, _ := f.get(t, boss, "/console/transcripts?"+bad); code != http.StatusBadRequest {
			t.Errorf("GET ?%s = %d, want 400", bad, code)
		}
	}
}

// TestTranscriptListTriggerTeam: the trigger and team parameters reach the store, the form shows them, and the
// next page's link and the exports keep them.
func TestTranscriptListTriggerTeam(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	now := f.clock()
	for i := range 60 {
		rep.add(journeystate.TranscriptRow{Conversation: journeystate.Conversation{ID: fmt.Sprintf("c%03d", i), CustomerID: "cu",
			Channel: "web", Team: "support", CreatedAt: now.Add(-time.Duration(i) * time.Minute)}, HandedOff: true, Trigger: "rule:vip"},
			journeystate.ConversationFacts{})
	}
	boss := f.session(t, bossEmail)
	code, b := f.get(t, boss, "/console/transcripts?trigger=rule:vip&team=support")
	if code != 200 {
		t.Fatalf("GET = %d %s", code, b)
	}
	want := journeystate.TranscriptQuery{Trigger: "rule:vip", Team: "support", Limit: 50}
	if diff := cmp.Diff(want, rep.lastQuery()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	for _, s := range []string{`name="trigger" value="rule:vip"`, `name="team" value="support"`,
		`href="/console/transcripts.csv?team=support&amp;trigger=rule%3Avip"`} {
		if !strings.Contains(b, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	m := nextRE.FindStringSubmatch(b)
	if m == nil {
		t.Fatal("no next page")
	}
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	if code, _ := f.get(t, boss, next); code != 200 {
		t.Fatalf("GET %s = %d", next, code)
	}
	if q := rep.lastQuery(); q.Trigger != "rule:vip" || q.Team != "support" || q.Cursor == "" {
		t.Errorf("next page's query = %+v, want the trigger, the team and a cursor", q)
	}
	long := strings.Repeat("x", journeystate.MaxFilterValue+1)
	for _, bad := range []string{"trigger=" + long, "team=" + long} {
		if code, _ := f.get(t, boss, "/console/transcripts?"+bad); code != http.StatusBadRequest {
			t.Errorf("GET ?%.20s… = %d, want 400", bad, code)
		}
	}
}

var nextRE = regexp.MustCompile(`href="([^"]+)" rel="next"`)

func TestTranscriptPagination(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	now := f.clock()
	for i := range 120 {
		rep.add(journeystate.TranscriptRow{Conversation: journeystate.Conversation{ID: fmt.Sprintf("c%03d", i), CustomerID: "cu",
			Channel: "web", CreatedAt: now.Add(-time.Duration(i) * time.Minute)}, CustomerName: "Pat"}, journeystate.ConversationFacts{})
	}
	boss := f.session(t, bossEmail)
	path, seen := "/console/transcripts?channel=web", map[string]bool{}
	rowRE := regexp.MustCompile(`<a href="/console/transcripts/(c\d+)">`)
	for page := 1; ; page++ {
		code, b := f.get(t, boss, path)
		if code != 200 {
			t.Fatalf("page %d = %d", page, code)
		}
		for _, m := range rowRE.FindAllStringSubmatch(b, -1) {
			seen[m[1]] = true
		}
		m := nextRE.FindStringSubmatch(b)
		if m == nil {
			if page != 3 {
				t.Errorf("%d pages, want 3", page)
			}
			break
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.Contains(path, "channel=web") || !strings.Contains(path, "cursor=") {
			t.Errorf("next link %q does not keep the filter and the cursor", path)
		}
		if q := rep.lastQuery(); q.Channel != "web" {
			t.Errorf("query %+v", q)
		}
	}
	if len(seen) != 120 {
		t.Errorf("pages showed %d conversations, want 120", len(seen))
	}
	if code, _ := f.get(t, boss, "/console/transcripts?cursor=forged"); code != http.StatusBadRequest {
		t.Errorf("a forged cursor = %d, want 400", code)
	}
}

func TestTranscriptSearchEscaped(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	_, b := f.get(t, f.session(t, bossEmail), "/console/transcripts?q=refund")
	if strings.Contains(b, xss) || strings.Contains(b, "<img") {
		t.Errorf("the snippet is not escaped: %s", b)
	}
	if !strings.Contains(b, `<p class="snippet"><mark>refund</mark> &lt;img src=x onerror=alert(1)&gt;</p>`) {
		t.Errorf("the snippet does not mark the match: %s", b)
	}
	if strings.Contains(b, journeystate.SnippetOpen) || strings.Contains(b, "conv-b") {
		t.Errorf("markers left in, or a row that does not match: %s", b)
	}
}

func TestExportCSV(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	now := f.clock()
	for i := range 250 { // more than one store page
		rep.add(journeystate.TranscriptRow{Conversation: journeystate.Conversation{ID: fmt.Sprintf("bulk-%03d", i), CustomerID: "cu",
			Channel: "web", CreatedAt: now.Add(-time.Duration(100+i) * time.Hour)}, CustomerName: "Pat"}, journeystate.ConversationFacts{})
	}
	r := f.do(httptestGet("/console/transcripts.csv"), f.session(t, bossEmail))
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(body(t, r))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"id", "channel", "customer", "created", "closed", "outcome", "handed_off", "trigger", "agents",
		"first_response_bot_s", "first_response_agent_s", "queue_wait_s", "rating", "tags", "messages"}
	if diff := cmp.Diff(wantHeader, recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(recs) != 1+253 {
		t.Fatalf("%d rows, want 253 and the header", len(recs)-1)
	}
	byID := map[string][]string{}
	for _, rec := range recs[1:] {
		byID[rec[0]] = rec
	}
	want := []string{"conv-b", "sms", `'=HYPERLINK("http://evil")`, "2026-11-30T07:00:00Z", "2026-11-30T08:00:00Z", "resolved",
		"true", "customer_request", "Sam Second", "4.0", "120.0", "90.0", "2", "", "2"}
	if diff := cmp.Diff(want, byID["conv-b"]); diff != "" {
		t.Errorf("conv-b (-want +got):\n%s", diff)
	}
	if got := byID["conv-a"][13]; got != "billing" {
		t.Errorf("conv-a tags = %q", got)
	}
	// The filter applies to the export.
	r = f.do(httptestGet("/console/transcripts.csv?channel=sms"), f.session(t, bossEmail))
	if recs, _ := csv.NewReader(strings.NewReader(body(t, r))).ReadAll(); len(recs) != 2 {
		t.Errorf("filtered export has %d rows, want conv-b only", len(recs)-1)
	}
}

func TestCSVSafeCells(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	for i, name := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "plain"} {
		rep.add(journeystate.TranscriptRow{Conversation: journeystate.Conversation{ID: fmt.Sprintf("c%d", i), CustomerID: "cu",
			Channel: "web", CreatedAt: f.clock().Add(-time.Duration(i) * time.Hour)}, CustomerName: name}, journeystate.ConversationFacts{})
	}
	r := f.do(httptestGet("/console/transcripts.csv"), f.session(t, bossEmail))
	recs, _ := csv.NewReader(strings.NewReader(body(t, r))).ReadAll()
	for _, rec := range recs[1:] {
		if c := rec[2]; c != "plain" && !strings.HasPrefix(c, "'") {
			t.Errorf("cell %q is not defused", c)
		}
	}
}

func TestExportJSONRoundTrip(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	r := f.do(httptestGet("/console/transcripts.json"), f.session(t, bossEmail))
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	type row struct {
		ID        string   `json:"id"`
		Channel   string   `json:"channel"`
		Customer  string   `json:"customer"`
		HandedOff bool     `json:"handed_off"`
		Agents    []string `json:"agents"`
		Rating    int      `json:"rating"`
		Tags      []string `json:"tags"`
		Messages  int      `json:"messages"`
		QueueWait *float64 `json:"queue_wait_s"`
	}
	var got []row
	if err := json.Unmarshal([]byte(body(t, r)), &got); err != nil {
		t.Fatal(err)
	}
	wait := 90.0
	want := []row{
		{ID: "conv-c", Channel: "slack", Customer: "Cy", Agents: []string{}, Tags: []string{}, Messages: 1},
		{ID: "conv-b", Channel: "sms", Customer: `=HYPERLINK("http://evil")`, HandedOff: true, Agents: []string{"Sam Second"}, Rating: 2, Tags: []string{}, Messages: 2, QueueWait: &wait},
		{ID: "conv-a", Channel: "web", Customer: "Ann", Agents: []string{}, Rating: 5, Tags: []string{"billing"}, Messages: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("export (-want +got):\n%s", diff)
	}
	// An empty export is an empty array.
	r = f.do(httptestGet("/console/transcripts.json?channel=web&outcome=spam"), f.session(t, bossEmail))
	if b := strings.TrimSpace(body(t, r)); b != "[]" {
		t.Errorf("empty export = %q", b)
	}
}

func TestTagsAndReviewForms(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	boss := f.session(t, bossEmail)
	_, page := f.get(t, boss, "/console/transcripts/conv-a")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("transcript page has no csrf field")
	}
	for _, path := range []string{"/console/transcripts/conv-a/tags", "/console/transcripts/conv-a/review"} {
		if r := f.post(boss, path, url.Values{"tags": {"x"}, "mark": {"good"}}, false); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without csrf = %d, want 403", path, r.StatusCode)
		}
	}
	if w := rep.Writes(); len(w) != 0 {
		t.Fatalf("posts without csrf wrote %q", w)
	}
	r := f.post(boss, "/console/transcripts/conv-a/tags", url.Values{"csrf": {m[1]}, "tags": {"Billing, needs follow up"}}, false)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/transcripts/conv-a" {
		t.Errorf("tags = %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r = f.post(boss, "/console/transcripts/conv-a/review", url.Values{"csrf": {m[1]}, "mark": {"needs_work"}, "note": {"cite the policy"}}, false)
	if r.StatusCode != http.StatusSeeOther {
		t.Errorf("review = %d", r.StatusCode)
	}
	want := []string{"tags conv-a agent by " + f.ids[bossEmail] + ": billing,needs-follow-up",
		"review conv-a needs_work by " + f.ids[bossEmail] + ": cite the policy"}
	if diff := cmp.Diff(want, rep.Writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if r := f.post(boss, "/console/transcripts/conv-a/review", url.Values{"csrf": {m[1]}, "mark": {"meh"}}, false); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown mark = %d, want 400", r.StatusCode)
	}
	if r := f.post(boss, "/console/transcripts/conv-a/tags", url.Values{"csrf": {m[1]}, "tags": {"<b>"}}, false); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad tag = %d, want 400", r.StatusCode)
	}
	if r := f.post(boss, "/console/transcripts/nope/tags", url.Values{"csrf": {m[1]}, "tags": {"x"}}, false); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown conversation = %d, want 404", r.StatusCode)
	}
	_, page = f.get(t, boss, "/console/transcripts/conv-a")
	if !strings.Contains(page, `value="billing, needs-follow-up"`) || !strings.Contains(page, "Review mark: needs_work") {
		t.Errorf("the page does not show the new tags and mark")
	}
}

func httptestGet(path string) *http.Request {
	req, _ := http.NewRequest("GET", "http://example.com"+path, nil)
	return req
}
