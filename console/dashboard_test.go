package console_test

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

// tileRE finds a KPI tile: its link, label and value.
var tileRE = regexp.MustCompile(`<li><a href="([^"]*)"><span class="label">([^<]+)</span> <span class="value">([^<]+)</span>`)

func TestDashboardKPIs(t *testing.T) {
	f, rep := newManagerFixture(t, nil)
	seedTranscripts(f, rep)
	_, b := f.get(t, f.session(t, bossEmail), "/console/manager")
	tiles := map[string][2]string{}
	for _, m := range tileRE.FindAllStringSubmatch(b, -1) {
		tiles[m[2]] = [2]string{html.UnescapeString(m[1]), m[3]}
	}
	// Three conversations; two closed, one of them contained; one handed off; ratings 5 and 2.
	base := "/console/transcripts?from=2026-11-25&to=2026-12-01"
	want := map[string][2]string{
		"Conversations":          {base, "3"},
		"Containment rate":       {base + "&handling=contained", "50%"},
		"Hand-off rate":          {base + "&handling=handed_off", "33%"},
		"First response (bot)":   {base, "3 s"},
		"First response (agent)": {base + "&handling=handed_off", "2 min 0 s"},
		"Queue wait":             {base + "&handling=handed_off", "1 min 30 s"},
		"Mean rating":            {base + "&min_rating=1", "3.5 of 5"},
	}
	norm := func(m map[string][2]string) map[string][2]string {
		out := map[string][2]string{}
		for k, v := range m {
			u, _ := url.Parse(v[0])
			out[k] = [2]string{u.Path + "?" + u.Query().Encode(), v[1]}
		}
		return out
	}
	if diff := cmp.Diff(norm(want), norm(tiles)); diff != "" {
		t.Errorf("tiles (-want +got):\n%s", diff)
	}
	// Hand-offs by trigger link the conversations by id; the agent's row links the agent filter.
	for _, s := range []string{`<th scope="row">customer_request</th><td><a href="/console/transcripts?ids=conv-b">1</a>`,
		`<th scope="row">Sam Second</th>`, `agent=` + f.ids[agent2Email], `<th scope="row">support</th>`} {
		if !strings.Contains(b, s) {
			t.Errorf("dashboard lacks %s", s)
		}
	}
	// The chart's data is in a JSON script, and the same figures in a table.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="chart-days">(.*?)</script>`).FindStringSubmatch(b)
	if m == nil {
		t.Fatal("no day chart data")
	}
	var chart struct {
		Categories []string `json:"categories"`
		Series     []struct {
			Name string    `json:"name"`
			Data []float64 `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(m[1]), &chart); err != nil {
		t.Fatalf("chart data %q: %v", m[1], err)
	}
	if len(chart.Categories) != 7 || chart.Series[0].Data[4] != 1 || chart.Series[0].Data[5] != 1 || chart.Series[0].Data[6] != 1 {
		t.Errorf("day chart = %+v", chart)
	}
	if !strings.Contains(b, `data-chart="bar" data-source="chart-days" role="img" aria-label=`) || !strings.Contains(b, "echarts.min.js") {
		t.Errorf("the chart container or the chart library is missing")
	}
	// A channel filter narrows the figures and the links.
	_, b = f.get(t, f.session(t, bossEmail), "/console/manager?period=30d&channel=sms")
	if !strings.Contains(b, `<span class="label">Conversations</span> <span class="value">1</span>`) || !strings.Contains(b, "channel=sms") {
		t.Errorf("the channel filter is not applied")
	}
	if code, _ := f.get(t, f.session(t, bossEmail), "/console/manager?period=1y"); code != 400 {
		t.Errorf("period=1y = %d, want 400", code)
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
