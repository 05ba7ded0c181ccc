package console

// The manager dashboard: KPI tiles and breakdowns for a period, every figure linked to the transcripts behind it.

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of the dashboard.
const (
	// maxDashboardFacts bounds the conversations one dashboard reads; beyond it the page says it is cut.
	maxDashboardFacts = 500_000
	// factsPage is how many facts each store call asks for (the store's cap), and factsReaders how many store
	// calls the dashboard makes at once (a few of the store's read connections).
	factsPage    = 10_000
	factsReaders = 4
	// dashboardTTL is how long a computed dashboard is served again, and maxDashboards how many are kept.
	dashboardTTL  = 30 * time.Second
	maxDashboards = 16
	// maxDrillIDs bounds the conversation ids a figure's link carries (analytics.KPIOptions.MaxDrill): when no
	// filter of the list selects exactly a figure's conversations (a team, a trigger, a timing) and there are more,
	// the link opens the first maxDrillIDs of them. It keeps every link, and so the page, small.
	maxDrillIDs = 100
)

// periods are the dashboard's periods, in days, and what the breakdown by time counts by: days for a week or a
// month, weeks for a quarter (90 rows of days would bury the table).
var periods = []struct {
	Value string
	Days  int
	By    analytics.Period
}{{"7d", 7, analytics.PeriodDay}, {"30d", 30, analytics.PeriodDay}, {"90d", 90, analytics.PeriodWeek}}

// drillLink is a figure's link to the transcript list. Sample says it opens only the first N of the Of
// conversations behind the figure (the list cannot select them all otherwise). URL is "" when no conversation is
// behind the figure.
type drillLink struct {
	URL    string
	Sample bool
	N, Of  int
}

// tile is one KPI figure.
type tile struct {
	Label, Value, Note string
	Link               drillLink
}

// groupRow is one row of a breakdown table: a group's figures with the links of its counts.
type groupRow struct {
	Name                                       string
	F                                          analytics.Figures
	Conversations, Contained, HandedOff, Rated drillLink
}

// countRow is a hand-off count (by trigger, by stage) with its rate over the conversations, its share of the
// hand-offs, and its link.
type countRow struct {
	Name        string
	Count       int
	Rate, Share float64
	Link        drillLink
}

// barChart is the data of a bar or line chart in dashboard.js.
type barChart struct {
	Kind       string      `json:"kind"` // bar or line
	Categories []string    `json:"categories"`
	Series     []barSeries `json:"series"`
	Horizontal bool        `json:"horizontal,omitempty"`
}

type barSeries struct {
	Name string    `json:"name"`
	Data []float64 `json:"data"`
}

// dashboard is what a period's dashboard shows, computed once and served to every manager for dashboardTTL.
type dashboard struct {
	At                         time.Time
	From, To                   time.Time // To is exclusive
	Cut                        bool
	By                         analytics.Period
	Total                      analytics.Figures
	Tiles                      []tile
	ByChannel, ByTeam, ByAgent []groupRow
	ByStage, ByPeriod          []groupRow
	ByTrigger, ByHOStage       []countRow
	PeriodChart, TriggerChart  barChart
}

// dashboardPage is the data of manager.html.
type dashboardPage struct {
	User     journeystate.User
	CSRF     string
	Period   string
	Channel  string
	Periods  []string
	Channels []string
	*dashboard
}

// dashboardCache keeps computed dashboards by period and channel.
type dashboardCache struct {
	mu      sync.Mutex
	entries map[string]*dashboard
}

func (c *Console) managerArea(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c.reports == nil {
		c.deskError(w, r, "dashboard", errNoReports)
		return
	}
	q := r.URL.Query()
	period, days, by := q.Get("period"), 0, analytics.PeriodDay
	for _, p := range periods {
		if p.Value == cmp.Or(period, "7d") {
			period, days, by = p.Value, p.Days, p.By
		}
	}
	channel := q.Get("channel")
	if days == 0 || channel != "" && !slices.Contains(channelNames, channel) {
		c.deskError(w, r, "dashboard", refuse(http.StatusBadRequest, "Choose a period of 7d, 30d or 90d and a known channel."))
		return
	}
	d, err := c.dashboardFor(ctx, days, by, channel)
	if err != nil {
		c.deskError(w, r, "dashboard", err)
		return
	}
	u, _ := UserFrom(ctx)
	p := dashboardPage{User: u, CSRF: CSRFToken(ctx), Period: period, Channel: channel, Channels: channelNames, dashboard: d}
	for _, pp := range periods {
		p.Periods = append(p.Periods, pp.Value)
	}
	c.render(w, http.StatusOK, "manager.html", p)
}

// dashboardFor returns the dashboard of the days up to today (UTC) on channel ("" every channel), broken down by
// period by, from the cache when it is fresh.
func (c *Console) dashboardFor(ctx context.Context, days int, by analytics.Period, channel string) (*dashboard, error) {
	now := c.now()
	key := fmt.Sprintf("%d/%s", days, channel)
	c.dashboards.mu.Lock()
	d := c.dashboards.entries[key]
	c.dashboards.mu.Unlock()
	if d != nil && now.Sub(d.At) < dashboardTTL && now.Before(d.To) {
		return d, nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -(days-1)), today.AddDate(0, 0, 1)
	facts, cut, err := c.loadFacts(ctx, from, to, channel)
	if err != nil {
		return nil, err
	}
	names, _, err := c.userNames(ctx)
	if err != nil {
		return nil, err
	}
	if d, err = buildDashboard(facts, from, to, by, channel, names); err != nil {
		return nil, err
	}
	d.At, d.Cut = now, cut
	c.dashboards.mu.Lock()
	if c.dashboards.entries == nil || len(c.dashboards.entries) >= maxDashboards {
		c.dashboards.entries = map[string]*dashboard{}
	}
	c.dashboards.entries[key] = d
	c.dashboards.mu.Unlock()
	return d, nil
}

// loadFacts reads the facts of the conversations created in [from, to) on channel, oldest first, and whether it
// stopped at maxDashboardFacts read. Reading the facts is most of a cold dashboard's time, so it reads the days
// in parallel (factsReaders at a time, each paging through its day) and joins them in order once at the end.
// Once maxDashboardFacts are read, the readers stop; the result is then the days in order up to the first one
// read only in part, at most maxDashboardFacts.
func (c *Console) loadFacts(ctx context.Context, from, to time.Time, channel string) ([]journeystate.ConversationFacts, bool, error) {
	type day struct {
		pages    [][]journeystate.ConversationFacts
		n        int
		complete bool
		err      error
	}
	var days []day
	for t := from; t.Before(to); t = t.AddDate(0, 0, 1) {
		days = append(days, day{})
	}
	var read atomic.Int64
	readDay := func(i int) {
		d := &days[i]
		dayFrom := from.AddDate(0, 0, i)
		q := journeystate.FactsQuery{From: dayFrom, To: earlierOf(dayFrom.AddDate(0, 0, 1), to), Limit: factsPage}
		for read.Load() < maxDashboardFacts {
			fs, err := c.reports.ConversationFacts(ctx, q)
			if err != nil {
				d.err = fmt.Errorf("load facts: %w", err)
				return
			}
			if len(fs) == 0 {
				d.complete = true
				return
			}
			read.Add(int64(len(fs)))
			q.After = fs[len(fs)-1].Cursor()
			if channel != "" {
				fs = slices.DeleteFunc(fs, func(f journeystate.ConversationFacts) bool { return f.Channel != channel })
			}
			d.pages, d.n = append(d.pages, fs), d.n+len(fs)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(factsReaders, len(days)) {
		wg.Go(func() {
			for i := range next {
				readDay(i)
			}
		})
	}
	for i := range days {
		next <- i
	}
	close(next)
	wg.Wait()
	n := 0
	for _, d := range days {
		if d.err != nil {
			return nil, false, d.err
		}
		n += d.n
	}
	out := make([]journeystate.ConversationFacts, 0, min(n, maxDashboardFacts))
	for _, d := range days {
		for _, p := range d.pages {
			out = append(out, p[:min(len(p), maxDashboardFacts-len(out))]...)
		}
		if !d.complete {
			return out, true, nil
		}
	}
	return out, false, nil
}

func earlierOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// buildDashboard computes the KPIs of facts (the conversations created in [from, to) on channel, "" every one)
// with analytics.ComputeKPIs and lays them out: tiles, breakdown rows, hand-off counts and charts, each figure
// linked to its drill-down. Containment counts closed conversations only (no IdleBefore): the transcript list
// has no filter for idle ones, and a figure must open the conversations it counts.
func buildDashboard(facts []journeystate.ConversationFacts, from, to time.Time, by analytics.Period, channel string, names map[string]string) (*dashboard, error) {
	k, err := analytics.ComputeKPIs(facts, analytics.KPIOptions{Period: by, From: from, To: to, MaxDrill: maxDrillIDs})
	if err != nil {
		return nil, fmt.Errorf("compute kpis: %w", err)
	}
	l := linker{channel: channel}
	t := k.Total
	d := &dashboard{From: from, To: to, By: by, Total: t}
	timingTile := func(label, key, what string, tm analytics.Timing) tile {
		note := what
		if tm.N > 0 {
			note = fmt.Sprintf("mean; p50 %s, p90 %s; %s (%d)", span(tm.P50), span(tm.P90), what, tm.N)
		}
		return tile{label, durationOr(tm.Mean, tm.N > 0), note, l.link(t, key)}
	}
	d.Tiles = []tile{
		{"Conversations", fmt.Sprint(t.Conversations), "created in the period", l.link(t, "conversations")},
		{"Containment rate", percentOf(t.ContainmentRate, t.Conversations),
			fmt.Sprintf("%d of %d closed without a person", t.Contained, t.Conversations), l.link(t, "contained")},
		{"Hand-off rate", percentOf(t.HandoffRate, t.Conversations),
			fmt.Sprintf("%d handed to people", t.HandedOff), l.link(t, "handed_off")},
		timingTile("First response (bot)", "bot_first_response", "first customer message to the bot's reply", t.BotFirstResponse),
		timingTile("First response (agent)", "agent_first_response", "hand-off to an agent's first reply", t.AgentFirstResponse),
		timingTile("Reply time (bot)", "bot_reply", "a conversation's mean bot reply", t.BotReply),
		timingTile("Reply time (agent)", "agent_reply", "a conversation's mean agent reply", t.AgentReply),
		timingTile("Queue wait", "queue_wait", "wait before an agent took it", t.QueueWait),
		{"Mean rating", ratingOr(t.MeanRating, t.Ratings), fmt.Sprintf("%d rated", t.Ratings), l.link(t, "ratings")},
	}
	d.ByChannel = l.rows(k.ByChannel, nil)
	d.ByTeam = l.rows(k.ByTeam, nil)
	d.ByAgent = l.rows(k.ByAgent, func(id string) string { return nameOr(names, id) })
	d.ByStage = l.rows(k.ByStage, func(s string) string { return cmp.Or(s, "none yet") })
	d.ByPeriod = l.periodRows(k.ByPeriod, from, to, by)
	d.PeriodChart = barChart{Kind: "bar", Series: []barSeries{{Name: "Conversations"}, {Name: "Handed off"}}}
	for _, r := range d.ByPeriod {
		d.PeriodChart.Categories = append(d.PeriodChart.Categories, r.Name)
		d.PeriodChart.Series[0].Data = append(d.PeriodChart.Series[0].Data, float64(r.F.Conversations))
		d.PeriodChart.Series[1].Data = append(d.PeriodChart.Series[1].Data, float64(r.F.HandedOff))
	}
	d.ByTrigger = l.counts(t, t.HandoffsByTrigger, "trigger:", "unknown")
	d.ByHOStage = l.counts(t, t.HandoffsByStage, "stage:", "none yet")
	d.TriggerChart = barChart{Kind: "bar", Horizontal: true, Series: []barSeries{{Name: "Hand-offs"}}}
	for _, r := range d.ByTrigger {
		d.TriggerChart.Categories = append(d.TriggerChart.Categories, r.Name)
		d.TriggerChart.Series[0].Data = append(d.TriggerChart.Series[0].Data, float64(r.Count))
	}
	return d, nil
}

// linker turns drill-downs into links to the transcript list of a dashboard on channel ("" every channel).
type linker struct{ channel string }

// link returns the link of figure key of fg (see analytics.Figures.Drill).
func (l linker) link(fg analytics.Figures, key string) drillLink {
	d, ok := fg.Drill[key]
	if !ok || d.Total == 0 {
		return drillLink{}
	}
	q := d.Query
	// ComputeKPIs saw only the channel's facts; its queries do not say so.
	q.Channel = cmp.Or(q.Channel, l.channel)
	if d.Exact {
		if f, ok := listFilter(q); ok {
			return drillLink{URL: f.link("/console/transcripts"), N: d.Total, Of: d.Total}
		}
	}
	return drillLink{URL: idsURL(d.IDs), Sample: d.Total > len(d.IDs), N: len(d.IDs), Of: d.Total}
}

// rows turns a breakdown into table rows, most conversations first; name, when not nil, says a key.
func (l linker) rows(g map[string]analytics.Figures, name func(key string) string) []groupRow {
	out := make([]groupRow, 0, len(g))
	for key, fg := range g {
		r := l.row(key, fg)
		if name != nil {
			r.Name = name(key)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b groupRow) int {
		return cmp.Or(cmp.Compare(b.F.Conversations, a.F.Conversations), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func (l linker) row(name string, fg analytics.Figures) groupRow {
	return groupRow{Name: name, F: fg, Conversations: l.link(fg, "conversations"), Contained: l.link(fg, "contained"),
		HandedOff: l.link(fg, "handed_off"), Rated: l.link(fg, "ratings")}
}

// periodRows returns a row for every period of [from, to) in time order, those without conversations too (the
// chart shows the gaps).
func (l linker) periodRows(g map[string]analytics.Figures, from, to time.Time, by analytics.Period) []groupRow {
	var out []groupRow
	for t := from; t.Before(to); t = t.AddDate(0, 0, 1) {
		key := periodKey(t, by)
		if len(out) > 0 && out[len(out)-1].Name == key {
			continue
		}
		out = append(out, l.row(key, g[key]))
	}
	return out
}

// periodKey is the key analytics.ComputeKPIs gives the period (in UTC) that t falls in: "2026-01-02" for a day,
// the ISO week "2026-W01" for a week.
func periodKey(t time.Time, by analytics.Period) string {
	if by == analytics.PeriodWeek {
		y, w := t.UTC().ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	}
	return t.UTC().Format(dateLayout)
}

// counts turns hand-off counts (by trigger or stage) into rows, most first; the drill-down of key k is prefix+k,
// and an empty key is shown as none.
func (l linker) counts(fg analytics.Figures, by map[string]int, prefix, none string) []countRow {
	out := make([]countRow, 0, len(by))
	for key, n := range by {
		share := 0.0
		if fg.HandedOff > 0 {
			share = float64(n) / float64(fg.HandedOff)
		}
		rate := 0.0
		if fg.Conversations > 0 {
			rate = float64(n) / float64(fg.Conversations)
		}
		out = append(out, countRow{Name: cmp.Or(key, none), Count: n, Rate: rate, Share: share, Link: l.link(fg, prefix+key)})
	}
	slices.SortFunc(out, func(a, b countRow) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name)) })
	return out
}

// listFilter returns the transcript list's filter (its query parameters) that asks what q asks; false when the
// list's parameters cannot say q (an IdleBefore, a bound that is not a day).
func listFilter(q journeystate.TranscriptQuery) (filterForm, bool) {
	day := func(t time.Time) bool { return t.IsZero() || t.Equal(t.UTC().Truncate(24*time.Hour)) }
	if !q.IdleBefore.IsZero() || !day(q.From) || !day(q.To) || q.Cursor != "" {
		return filterForm{}, false
	}
	f := filterForm{Channel: q.Channel, Stage: q.Stage, Handling: string(q.Handling), Agent: q.AgentID, Trigger: q.Trigger,
		Team: q.Team, Outcome: q.Outcome,
		Tags: strings.Join(q.Tags, ","), Text: q.Text, Review: string(q.Review), IDs: q.IDs}
	if !q.From.IsZero() {
		f.From = q.From.UTC().Format(dateLayout)
	}
	if !q.To.IsZero() { // the list's "to" names the last day shown
		f.To = q.To.UTC().AddDate(0, 0, -1).Format(dateLayout)
	}
	if q.MinRating > 0 {
		f.MinRating = fmt.Sprint(q.MinRating)
	}
	if q.MaxRating > 0 {
		f.MaxRating = fmt.Sprint(q.MaxRating)
	}
	return f, true
}

func idsURL(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return "/console/transcripts?" + url.Values{"ids": {strings.Join(ids, ",")}}.Encode()
}

func percentOf(rate float64, of int) string {
	if of == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", rate*100)
}

func ratingOr(mean float64, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f of 5", mean)
}

func durationOr(d time.Duration, ok bool) string {
	if !ok {
		return "–"
	}
	return span(d)
}

// span says a duration in words, to the second.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d d %d h", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
