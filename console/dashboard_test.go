package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

// tileRE finds a KPI tile: its link ("" for none), label, value and note.
var tileRE = regexp.MustCompile(`<li>(?:<a href="([^"]*)">)?<span class="label">([^<]+)</span> <span class="value">([^<]+)</span> <span class="note">([^<]*)</span>`)

// dashboardTiles returns the tiles of a dashboard page by label: the link with its query sorted, the value and the
// note.
func dashboardTiles(b string) map[string][3]string {
	tiles := map[string][3]string{}
	for _, m := range tileRE.FindAllStringSubmatch(b, -1) {
		tiles[m[2]] = [3]string{sortedLink(html.UnescapeString(m[1])), m[3], html.UnescapeString(m[4])}
	}
	return tiles
}

// sortedLink returns link with its query parameters in order, so that links compare as strings.
func sortedLink(link string) string {
	if link == "" {
		return ""
	}
	u, _ := url.Parse(link)
	return u.Path + "?" + u.Query().Encode()
}

func TestDashboardKPIs(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	_, b := f.get(t, f.session(t, bossEmail), "/console/manager")
	// Three conversations (a on web, b on sms, c on slack); a and b closed, a contained; b handed off (queue wait
	// 90 s, agent's first reply 2 min after the hand-off); bot first responses 2 s (a) and 4 s (b); ratings 5, 2.
	// No facts have reply times. The timings' drill-downs name the conversations with a value by id; the others
	// are list filters.
	base := "/console/transcripts?from=2026-11-25&to=2026-12-01"
	want := map[string][3]string{
		"Conversations":    {base, "3", "created in the period"},
		"Containment rate": {base + "&handling=contained", "33%", "1 of 3 closed without a person"},
		"Hand-off rate":    {base + "&handling=handed_off", "33%", "1 handed to people"},
		"First response (bot)": {sortedLink(base + "&ids=conv-a,conv-b"), "3 s",
			"mean; p50 2 s, p90 4 s; first customer message to the bot's reply (2)"},
		"First response (agent)": {sortedLink(base + "&ids=conv-b"), "2 min 0 s",
			"mean; p50 2 min 0 s, p90 2 min 0 s; hand-off to an agent's first reply (1)"},
		"Reply time (bot)":   {"", "–", "a conversation's mean bot reply"},
		"Reply time (agent)": {"", "–", "a conversation's mean agent reply"},
		"Queue wait": {sortedLink(base + "&ids=conv-b"), "1 min 30 s",
			"mean; p50 1 min 30 s, p90 1 min 30 s; wait before an agent took it (1)"},
		"Mean rating": {base + "&min_rating=1", "3.5 of 5", "2 rated"},
	}
	for k, v := range want {
		want[k] = [3]string{sortedLink(v[0]), v[1], v[2]}
	}
	if diff := cmp.Diff(want, dashboardTiles(b)); diff != "" {
		t.Errorf("tiles (-want +got):\n%s", diff)
	}
	// Hand-offs by trigger link the trigger filter, by stage the conversations by id (no filter says a hand-off's
	// stage); the agent's row links the agent filter, the team's row the team filter; the stage rows the stage
	// filter.
	sam := f.ids[agent2Email]
	for _, s := range []string{
		`<th scope="row">customer_request</th><td><a href="/console/transcripts?from=2026-11-25&amp;to=2026-12-01&amp;trigger=customer_request">1</a></td><td>33%</td><td>100%</td>`,
		`<caption>Hand-offs by stage at the hand-off</caption>`,
		`<th scope="row">support</th><td><a href="/console/transcripts?from=2026-11-25&amp;ids=conv-b&amp;to=2026-12-01">1</a></td>`,
		`<th scope="row">Sam Second</th>
<td><a href="/console/transcripts?agent=` + sam + `&amp;from=2026-11-25&amp;to=2026-12-01">1</a></td>`,
		`<th scope="row">support</th>
<td><a href="/console/transcripts?from=2026-11-25&amp;team=support&amp;to=2026-12-01">1</a></td>`,
		`<th scope="row">purchase</th>
<td><a href="/console/transcripts?from=2026-11-25&amp;stage=purchase&amp;to=2026-12-01">1</a></td>
<td>100% (<a href="/console/transcripts?from=2026-11-25&amp;handling=contained&amp;stage=purchase&amp;to=2026-12-01">1</a>)</td>`,
		// a day's row: its own day, the mean with p50 and p90
		`<th scope="row">2026-11-30</th>
<td><a href="/console/transcripts?from=2026-11-30&amp;to=2026-11-30">1</a></td>
<td>0%</td>
<td>100% (<a href="/console/transcripts?from=2026-11-30&amp;handling=handed_off&amp;to=2026-11-30">1</a>)</td>
<td>4 s<br><span class="muted">p50 4 s, p90 4 s</span></td><td>2 min 0 s<br><span class="muted">p50 2 min 0 s, p90 2 min 0 s</span></td>`,
		`<th scope="row">2026-11-25</th>
<td>0</td>`,
	} {
		if !strings.Contains(b, s) {
			t.Errorf("dashboard lacks %s", s)
		}
	}
	// The chart's data is in a JSON script, and the same figures in a table.
	if chart := chartData(t, b, "chart-periods"); len(chart.Categories) != 7 || chart.Categories[0] != "2026-11-25" ||
		!slices.Equal(chart.Series[0].Data, []float64{0, 0, 0, 0, 1, 1, 1}) || !slices.Equal(chart.Series[1].Data, []float64{0, 0, 0, 0, 0, 1, 0}) {
		t.Errorf("period chart = %+v", chart)
	}
	if !strings.Contains(b, `data-chart="bar" data-source="chart-periods" role="img" aria-label=`) || !strings.Contains(b, "echarts.min.js") {
		t.Errorf("the chart container or the chart library is missing")
	}
	// A channel filter narrows the figures and every link, those by id too.
	_, b = f.get(t, f.session(t, bossEmail), "/console/manager?period=30d&channel=sms")
	tiles := dashboardTiles(b)
	if got := tiles["Conversations"]; got[1] != "1" || got[0] != sortedLink("/console/transcripts?channel=sms&from=2026-11-02&to=2026-12-01") {
		t.Errorf("sms conversations tile = %q", got)
	}
	if got := tiles["Queue wait"][0]; got != sortedLink("/console/transcripts?channel=sms&from=2026-11-02&ids=conv-b&to=2026-12-01") {
		t.Errorf("sms queue wait link = %q", got)
	}
	if code, _ := f.get(t, f.session(t, bossEmail), "/console/manager?period=1y"); code != 400 {
		t.Errorf("period=1y = %d, want 400", code)
	}
}

// chartData returns the data of the chart in the JSON script id.
func chartData(t *testing.T, b, id string) (chart struct {
	Categories []string `json:"categories"`
	Series     []struct {
		Name string    `json:"name"`
		Data []float64 `json:"data"`
	} `json:"series"`
}) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="` + id + `">(.*?)</script>`).FindStringSubmatch(b)
	if m == nil {
		t.Fatalf("no chart data %s", id)
	}
	if err := json.Unmarshal([]byte(m[1]), &chart); err != nil {
		t.Fatalf("chart data %q: %v", m[1], err)
	}
	return chart
}

// TestDashboardTimingsAndBoundedLinks: 149 conversations handed off to the billing team by a rule, 100 answered by
// the bot in 10 s and 49 in 100 s, with reply times; the quarter's dashboard counts by week. Figures that no list
// filter says link at most maxDrillIDs (100) conversations, and say so.
func TestDashboardTimingsAndBoundedLinks(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	now := f.clock() // 2026-12-01 09:00, a Tuesday
	for i := range 149 {
		at := now.Add(-time.Duration(i+1) * time.Minute)
		first := 10 * time.Second
		if i >= 100 {
			first = 100 * time.Second
		}
		id := fmt.Sprintf("conv-%03d", i)
		rep.add(journeystate.TranscriptRow{
			Conversation: journeystate.Conversation{ID: id, CustomerID: "cust-" + id, Channel: "web", Owner: journeystate.OwnerQueue, Team: "billing", CreatedAt: at},
			HandedOff:    true, Trigger: "rule:vip",
		}, journeystate.ConversationFacts{Team: "billing", HandedOff: true, Triggers: []string{"rule:vip"}, HandoffAt: at.Add(time.Minute),
			FirstCustomerAt: at, FirstBotReplyAt: at.Add(first), BotReplies: 2, BotReplyTime: 2 * first,
			AgentReplies: 4, AgentReplyTime: time.Duration(4*(i+1)) * time.Second})
	}
	_, b := f.get(t, f.session(t, bossEmail), "/console/manager?period=90d")
	tiles := dashboardTiles(b)
	// Mean (100×10 s + 49×100 s) / 149 = 39.6 s; p50 is rank 75 (10 s), p90 rank 135 (100 s).
	// Agent replies: a mean of i s each, i = 1..149: mean 75 s, p50 rank 75 (75 s), p90 rank 135.
	for label, want := range map[string][2]string{
		"First response (bot)": {"40 s", "mean; p50 10 s, p90 1 min 40 s; first customer message to the bot's reply (149)"},
		"Reply time (bot)":     {"40 s", "mean; p50 10 s, p90 1 min 40 s; a conversation's mean bot reply (149)"},
		"Reply time (agent)":   {"1 min 15 s", "mean; p50 1 min 15 s, p90 2 min 15 s; a conversation's mean agent reply (149)"},
		"Containment rate":     {"0%", "0 of 149 closed without a person"},
		"Hand-off rate":        {"100%", "149 handed to people"},
	} {
		if got := tiles[label]; got[1] != want[0] || got[2] != want[1] {
			t.Errorf("tile %s = %q %q, want %q", label, got[1], got[2], want)
		}
	}
	ids := func(link string) []string {
		u, err := url.Parse(html.UnescapeString(link))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(u.Query().Get("ids"), ",")
	}
	// The bot's first response is behind every conversation: the link names the oldest 100, and says so.
	link := tiles["First response (bot)"][0]
	if got := ids(link); len(got) != 100 || got[0] != "conv-148" || got[99] != "conv-049" {
		t.Errorf("bot first response link has %d ids from %s to %s, want the oldest 100", len(got), got[0], got[len(got)-1])
	}
	if !strings.Contains(b, `(link: first 100 of 149)`) {
		t.Error("a sampled tile link does not say so")
	}
	// The team and the trigger rows say their 149 exactly by the team and trigger filters, as the handed-off
	// filter does.
	for _, s := range []string{`<th scope="row">billing</th>
<td><a href="/console/transcripts?from=2026-09-03&amp;team=billing&amp;to=2026-12-01">149</a></td>`,
		`<th scope="row">rule:vip</th><td><a href="/console/transcripts?from=2026-09-03&amp;to=2026-12-01&amp;trigger=rule%3Avip">149</a></td><td>100%</td><td>100%</td>`} {
		if !strings.Contains(b, s) {
			t.Errorf("dashboard lacks %s", s)
		}
	}
	if got := tiles["Hand-off rate"][0]; got != sortedLink("/console/transcripts?from=2026-09-03&handling=handed_off&to=2026-12-01") {
		t.Errorf("hand-off link = %q", got)
	}
	// By week: 90 days from Thursday 2026-09-03 are 14 ISO weeks (W36..W49); this week's row links from Monday
	// 2026-11-30 to today, the first week's from the period's first day.
	if chart := chartData(t, b, "chart-periods"); len(chart.Categories) != 14 || chart.Categories[0] != "2026-W36" ||
		chart.Categories[13] != "2026-W49" || chart.Series[0].Data[13] != 149 {
		t.Errorf("week chart = %+v", chart)
	}
	for _, s := range []string{`<h2 id="periods-heading">By week</h2>`,
		`<th scope="row">2026-W49</th>
<td><a href="/console/transcripts?from=2026-11-30&amp;to=2026-12-01">149</a></td>`,
		`<th scope="row">2026-W36</th>
<td>0</td>`} {
		if !strings.Contains(b, s) {
			t.Errorf("dashboard lacks %s", s)
		}
	}
}

func TestTranscriptsPageHasNoCharts(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	_, b := f.get(t, f.session(t, bossEmail), "/console/transcripts")
	if strings.Contains(b, "echarts") {
		t.Errorf("the transcript list loads the chart library")
	}
}

// seedJourneys logs stage paths: two customers take the designed awareness → consideration → purchase, two jump
// from awareness to purchase (a deviation), one starts at support.
func seedJourneys(f *fixture, rep *memReports) {
	now := f.clock()
	paths := map[string][]string{
		"cust-a": {"awareness", "consideration", "purchase"},
		"cust-b": {"awareness", "purchase"},
		"cust-c": {"awareness", "consideration", "purchase"},
		"cust-d": {"awareness", "purchase"},
		"cust-e": {"support"},
	}
	for _, cust := range []string{"cust-a", "cust-b", "cust-c", "cust-d", "cust-e"} {
		conv := "conv-" + strings.TrimPrefix(cust, "cust-")
		at := now.Add(-72 * time.Hour)
		from := ""
		for _, st := range paths[cust] {
			p, _ := json.Marshal(journeystate.StageChangedPayload{From: from, To: st})
			rep.event(journeystate.Event{CustomerID: cust, ConversationID: conv, Type: journeystate.EventStageChanged,
				Channel: "web", Actor: journeystate.ActorBot, Payload: p, Time: at})
			at, from = at.Add(time.Hour), st
		}
		intent, _ := json.Marshal(journeystate.IntentPayload{Intent: "pricing"})
		rep.event(journeystate.Event{CustomerID: cust, ConversationID: conv, Type: journeystate.EventIntentDetected, Payload: intent, Time: at})
	}
}

func TestJourneysPage(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedJourneys(f, rep)
	_, b := f.get(t, f.session(t, bossEmail), "/console/journeys")
	m := regexp.MustCompile(`(?s)<script type="application/json" id="chart-sankey">(.*?)</script>`).FindStringSubmatch(b)
	if m == nil {
		t.Fatalf("no Sankey data: %s", b)
	}
	var sankey struct {
		Links []struct {
			Source, Target string
			Value          int
			Desired        bool
		} `json:"links"`
	}
	if err := json.Unmarshal([]byte(m[1]), &sankey); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		Source, Target string
		Value          int
		Desired        bool
	}{
		{"1. awareness", "2. consideration", 2, true},
		{"1. awareness", "2. purchase", 2, false},
		{"2. consideration", "3. purchase", 2, true},
	}
	if diff := cmp.Diff(want, sankey.Links); diff != "" {
		t.Errorf("sankey (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		// the variants table, fitting or not, with examples linked to their transcripts
		`<th scope="row">awareness → consideration → purchase</th><td><a href="/console/transcripts?ids=conv-a%2Cconv-c">2</a></td><td>40.0%</td>`,
		`<td>fits</td><td><a href="/console/transcripts/conv-a">example 1</a>, <a href="/console/transcripts/conv-c">example 2</a></td>`,
		`<th scope="row">awareness → purchase</th>`, `<td>deviates</td>`,
		// desired vs actual
		`<span class="label">Fitting</span> <span class="value">2</span>`, `<span class="label">Deviating</span> <span class="value">3</span>`,
		`<th scope="row">awareness</th><td>purchase</td><td>2</td>`,
		// unknown journeys: the jump, twice (support alone is once, under the default support of 2)
		`awareness → purchase (skips consideration)`,
		// categories
		`<th scope="row">pricing</th>`,
		`data-chart="sankey"`, `data-chart="graph"`, `data-chart="bar" data-source="chart-fallout"`,
	} {
		if !strings.Contains(b, s) {
			t.Errorf("journeys page lacks %s", s)
		}
	}
}

func TestJourneysBeingComputed(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedJourneys(f, rep)
	gate := make(chan struct{})
	rep.mu.Lock()
	rep.scanGate = gate
	rep.mu.Unlock()
	_, b := f.get(t, f.session(t, bossEmail), "/console/journeys")
	if !strings.Contains(b, "being computed") || strings.Contains(b, "echarts") {
		t.Errorf("while mining runs the page should say so, without charts: %s", b)
	}
	close(gate)
}

// countingScanner is an EventScanner that counts the computations (scans from the start of the log).
type countingScanner struct{ rep *memReports }

func (s countingScanner) ScanEvents(ctx context.Context, after int64, limit int) ([]journeystate.Event, error) {
	return s.rep.ScanEvents(ctx, after, limit)
}

func TestInsightsComputeOnceAndRefresh(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedJourneys(f, rep)
	in := console.NewInsights(countingScanner{rep}, testJourney, time.Minute, f.clock, slog.New(slog.DiscardHandler))
	t.Cleanup(in.Close)
	ctx := context.Background()
	m1, err := in.Get(ctx, 10*time.Second)
	if err != nil || m1 == nil {
		t.Fatalf("first Get = %v, %v", m1, err)
	}
	if m1.Cases != 5 || m1.Conformance.Fitting != 2 {
		t.Errorf("mined %d cases, %d fitting; want 5 and 2", m1.Cases, m1.Conformance.Fitting)
	}
	for range 3 {
		if m, _ := in.Get(ctx, time.Second); m != m1 {
			t.Fatal("a fresh result was computed again")
		}
	}
	if n := rep.Scans(); n != 1 {
		t.Fatalf("%d computations, want 1", n)
	}
	f.advance(2 * time.Minute)
	if m, _ := in.Get(ctx, time.Second); m != m1 {
		t.Error("a stale result is not served while the fresh one is computed")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, _ := in.Get(ctx, time.Second)
		if m != m1 {
			if !m.At.Equal(f.clock()) {
				t.Errorf("refreshed at %v, want %v", m.At, f.clock())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the insights were not refreshed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := rep.Scans(); n != 2 {
		t.Errorf("%d computations, want 2", n)
	}
}
