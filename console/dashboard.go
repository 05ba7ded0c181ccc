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
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of the dashboard.
const (
	// maxDashboardFacts bounds the conversations one dashboard reads; beyond it the page says it is cut.
	maxDashboardFacts = 500_000
	// factsPage is how many facts each store call asks for (the store's cap).
	factsPage = 10_000
	// dashboardTTL is how long a computed dashboard is served again, and maxDashboards how many are kept.
	dashboardTTL  = 30 * time.Second
	maxDashboards = 16
)

// periods are the dashboard's periods, in days.
var periods = []struct {
	Value string
	Days  int
}{{"7d", 7}, {"30d", 30}, {"90d", 90}}

// tile is one KPI figure.
type tile struct {
	Label, Value, Note, Link string
}

// groupRow is one row of a breakdown table.
type groupRow struct {
	Name string
	K    kpis
	// Link opens the row's conversations; Sample says it opens only the first maxDrillIDs of them.
	Link   string
	Sample bool
}

// countRow is a count with its share and link (hand-offs by trigger, by stage).
type countRow struct {
	Name   string
	Count  int
	Share  float64
	Link   string
	Sample bool
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
	At                      time.Time
	From, To                time.Time // To is exclusive
	Cut                     bool
	Total                   kpis
	Tiles                   []tile
	ByChannel, ByTeam       []groupRow
	ByAgent, ByStage, ByDay []groupRow
	ByTrigger, ByHOStage    []countRow
	DayChart, TriggerChart  barChart
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
	period, days := q.Get("period"), 0
	for _, p := range periods {
		if p.Value == cmp.Or(period, "7d") {
			period, days = p.Value, p.Days
		}
	}
	channel := q.Get("channel")
	if days == 0 || channel != "" && !slices.Contains(channelNames, channel) {
		c.deskError(w, r, "dashboard", refuse(http.StatusBadRequest, "Choose a period of 7d, 30d or 90d and a known channel."))
		return
	}
	d, err := c.dashboardFor(ctx, days, channel)
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

// dashboardFor returns the dashboard of the days up to today (UTC) on channel ("" every channel), from the cache
// when it is fresh.
func (c *Console) dashboardFor(ctx context.Context, days int, channel string) (*dashboard, error) {
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
	d = buildDashboard(facts, from, to, channel, names)
	d.At, d.Cut = now, cut
	c.dashboards.mu.Lock()
	if c.dashboards.entries == nil || len(c.dashboards.entries) >= maxDashboards {
		c.dashboards.entries = map[string]*dashboard{}
	}
	c.dashboards.entries[key] = d
	c.dashboards.mu.Unlock()
	return d, nil
}

// loadFacts pages through the facts of the conversations created in [from, to) on channel.
func (c *Console) loadFacts(ctx context.Context, from, to time.Time, channel string) ([]journeystate.ConversationFacts, bool, error) {
	var out []journeystate.ConversationFacts
	q := journeystate.FactsQuery{From: from, To: to, Limit: factsPage}
	for read := 0; ; {
		fs, err := c.reports.ConversationFacts(ctx, q)
		if err != nil {
			return nil, false, fmt.Errorf("load facts: %w", err)
		}
		for _, f := range fs {
			if channel == "" || f.Channel == channel {
				out = append(out, f)
			}
		}
		read += len(fs)
		if len(fs) == 0 {
			return out, false, nil
		}
		if read >= maxDashboardFacts {
			return out, true, nil
		}
		q.After = fs[len(fs)-1].Cursor()
	}
}

func buildDashboard(facts []journeystate.ConversationFacts, from, to time.Time, channel string, names map[string]string) *dashboard {
	d := &dashboard{From: from, To: to}
	base := filterForm{Channel: channel, From: from.Format(dateLayout), To: to.AddDate(0, 0, -1).Format(dateLayout)}
	var total kpiAcc
	var byChannel, byTeam, byAgent, byStage, byTrigger, byHOStage groups
	byDay := map[string]*kpiAcc{}
	for i := range facts {
		f := &facts[i]
		total.add(f)
		byChannel.add(f.Channel, f)
		if f.Team != "" {
			byTeam.add(f.Team, f)
		}
		for _, a := range f.Agents {
			byAgent.add(a, f)
		}
		byStage.add(f.Stage, f)
		day := f.CreatedAt.UTC().Format(dateLayout)
		if byDay[day] == nil {
			byDay[day] = &kpiAcc{}
		}
		byDay[day].add(f)
		if f.HandedOff {
			byTrigger.add(cmp.Or(f.Trigger(), "unknown"), f)
			byHOStage.add(f.HandoffStage, f)
		}
	}
	d.Total = total.kpis()
	k := d.Total
	handedOff := base
	handedOff.Handling = string(journeystate.HandlingHandedOff)
	contained := base
	contained.Handling = string(journeystate.HandlingContained)
	rated := base
	rated.MinRating = "1"
	list := "/console/transcripts"
	d.Tiles = []tile{
		{"Conversations", fmt.Sprint(k.Conversations), fmt.Sprintf("%d closed", k.Closed), base.link(list)},
		{"Containment rate", percentOf(k.ContainmentRate, k.Closed), fmt.Sprintf("%d of %d closed without a person", k.Contained, k.Closed), contained.link(list)},
		{"Hand-off rate", percentOf(k.HandoffRate, k.Conversations), fmt.Sprintf("%d handed to people", k.HandedOff), handedOff.link(list)},
		{"First response (bot)", durationOr(k.BotFirst, k.HasBotFirst), "mean, first customer message to the bot's reply", base.link(list)},
		{"First response (agent)", durationOr(k.AgentFirst, k.HasAgentFirst), "mean, hand-off to an agent's first reply", handedOff.link(list)},
		{"Queue wait", durationOr(k.QueueWait, k.HasQueueWait), "mean wait before an agent took it", handedOff.link(list)},
		{"Mean rating", ratingOr(k.MeanRating, k.Rated), fmt.Sprintf("%d rated", k.Rated), rated.link(list)},
	}
	d.ByChannel = rows(byChannel, func(name string) filterForm { f := base; f.Channel = name; return f })
	d.ByTeam = rows(byTeam, nil)
	d.ByAgent = rows(byAgent, func(id string) filterForm { f := base; f.Agent = id; return f })
	for i := range d.ByAgent {
		d.ByAgent[i].Name = nameOr(names, d.ByAgent[i].Name)
	}
	d.ByStage = rows(byStage, func(name string) filterForm { f := base; f.Stage = name; return f })
	for i := range d.ByStage {
		if d.ByStage[i].Name == "" {
			// The list cannot filter on "no stage": the link carries the ids.
			d.ByStage[i].Name = "none yet"
			d.ByStage[i].Link, d.ByStage[i].Sample = idsLink(d.ByStage[i].K)
		}
	}
	dayChart := barChart{Kind: "bar", Series: []barSeries{{Name: "Conversations"}, {Name: "Handed off"}}}
	for t := from; t.Before(to); t = t.AddDate(0, 0, 1) {
		day := t.Format(dateLayout)
		acc := byDay[day]
		if acc == nil {
			acc = &kpiAcc{}
		}
		f := base
		f.From, f.To = day, day
		dk := acc.kpis()
		d.ByDay = append(d.ByDay, groupRow{Name: day, K: dk, Link: f.link(list)})
		dayChart.Categories = append(dayChart.Categories, day)
		dayChart.Series[0].Data = append(dayChart.Series[0].Data, float64(dk.Conversations))
		dayChart.Series[1].Data = append(dayChart.Series[1].Data, float64(dk.HandedOff))
	}
	d.DayChart = dayChart
	d.ByTrigger = counts(byTrigger, k.HandedOff)
	d.ByHOStage = counts(byHOStage, k.HandedOff)
	for i := range d.ByHOStage {
		if d.ByHOStage[i].Name == "" {
			d.ByHOStage[i].Name = "none yet"
		}
	}
	d.TriggerChart = barChart{Kind: "bar", Horizontal: true, Series: []barSeries{{Name: "Hand-offs"}}}
	for _, r := range d.ByTrigger {
		d.TriggerChart.Categories = append(d.TriggerChart.Categories, r.Name)
		d.TriggerChart.Series[0].Data = append(d.TriggerChart.Series[0].Data, float64(r.Count))
	}
	return d
}

// rows turns groups into table rows, most conversations first. filter, when not nil, gives the list filter that
// selects exactly a group's conversations; otherwise the link carries their ids.
func rows(g groups, filter func(name string) filterForm) []groupRow {
	out := make([]groupRow, 0, len(g.order))
	for _, name := range g.order {
		r := groupRow{Name: name, K: g.accs[name].kpis()}
		if filter != nil {
			r.Link = filter(name).link("/console/transcripts")
		} else {
			r.Link, r.Sample = idsLink(r.K)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b groupRow) int {
		return cmp.Or(cmp.Compare(b.K.Conversations, a.K.Conversations), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func counts(g groups, total int) []countRow {
	out := make([]countRow, 0, len(g.order))
	for _, r := range rows(g, nil) {
		share := 0.0
		if total > 0 {
			share = float64(r.K.Conversations) / float64(total)
		}
		out = append(out, countRow{Name: r.Name, Count: r.K.Conversations, Share: share, Link: r.Link, Sample: r.Sample})
	}
	return out
}

// idsLink links the transcripts of k's conversations by id (the first maxDrillIDs of them).
func idsLink(k kpis) (string, bool) {
	return idsURL(k.IDs), k.More
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
