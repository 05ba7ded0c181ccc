package console

// The journeys page: discovery (Sankey of stage paths, directly-follows graph, variants), desired vs actual,
// unknown journeys and categories, from the cached Insights.

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of what the journeys page draws.
const (
	// maxGraphEdges is how many of the most frequent edges the directly-follows graph draws and lists.
	maxGraphEdges = 30
	// maxSankeySteps is how many stage moves of each path the Sankey draws.
	maxSankeySteps = 6
	// maxDeviations is how many deviations the page lists.
	maxDeviations = 15
)

// flowChart is the data of a Sankey or graph chart in dashboard.js.
type flowChart struct {
	Kind  string      `json:"kind"` // sankey or graph
	Nodes []chartNode `json:"nodes"`
	Links []chartLink `json:"links"`
}

type chartNode struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value int    `json:"value,omitempty"`
}

type chartLink struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Value  int    `json:"value"`
	// Desired marks a Sankey link the journey map allows.
	Desired bool `json:"desired,omitempty"`
}

// journeyRef links a journey's example customers to their transcripts.
type journeyRef struct {
	// Examples are the example customers' first conversations; Link opens all of their conversations.
	Examples []string
	Link     string
}

type variantRow struct {
	Path  string
	Count int
	Share float64
	Mean  string
	Fits  bool
	journeyRef
}

type edgeRow struct {
	From, To string
	Count    int
	Mean     string
}

type deviationRow struct {
	From, To     string
	Count, Cases int
	journeyRef
}

type unknownRow struct {
	Name, Path string
	Count      int
	Share      float64
	Mean       string
	Trend      []analytics.PeriodCount
	journeyRef
}

type categoryRow struct {
	Name  string
	Count int
	Share float64
	journeyRef
}

// journeysPage is the data of journeys.html.
type journeysPage struct {
	User journeystate.User
	CSRF string
	// Ready is false while the first insights are being computed; Err says the newest computation failed.
	Ready bool
	Err   bool
	M     *Mined
	Age   string
	NoMap bool

	Sankey, Graph flowChart
	FallOut       barChart
	Edges         []edgeRow
	Variants      []variantRow
	Deviations    []deviationRow
	Stages        []analytics.StageFlow
	Unknown       []unknownRow
	Categories    []categoryRow
}

func (c *Console) journeys(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c.insights == nil {
		c.deskError(w, r, "journeys", errNoReports)
		return
	}
	u, _ := UserFrom(ctx)
	p := journeysPage{User: u, CSRF: CSRFToken(ctx), NoMap: len(c.journey.Stages) == 0}
	m, err := c.insights.Get(ctx, insightsWait)
	p.Err = err != nil && m == nil
	if m != nil {
		p.Ready, p.M, p.Age = true, m, waited(c.now().Sub(m.At))+" ago"
		fillJourneys(&p, m)
	}
	c.render(w, http.StatusOK, "journeys.html", p)
}

func fillJourneys(p *journeysPage, m *Mined) {
	ref := func(cases []string) journeyRef {
		var r journeyRef
		var all []string
		for _, cs := range cases {
			ids := m.Conversations[cs]
			if len(ids) > 0 {
				r.Examples = append(r.Examples, ids[0])
				all = append(all, ids...)
			}
		}
		r.Link = idsURL(all)
		return r
	}
	// The Sankey's nodes are (position, stage): a path that comes back to a stage flows on to the right, so the
	// chart has no cycle, which a Sankey cannot draw.
	p.Sankey.Kind = "sankey"
	seen := map[string]bool{}
	node := func(pos int, stage string) string {
		name := fmt.Sprintf("%d. %s", pos+1, stage)
		if !seen[name] {
			seen[name] = true
			p.Sankey.Nodes = append(p.Sankey.Nodes, chartNode{Name: name, Label: stage})
		}
		return name
	}
	for _, f := range m.Paths {
		if f.Position >= maxSankeySteps {
			continue
		}
		p.Sankey.Links = append(p.Sankey.Links, chartLink{Source: node(f.Position, f.From), Target: node(f.Position+1, f.To),
			Value: f.Value, Desired: f.Desired})
	}
	g := m.Graph.TopEdges(maxGraphEdges)
	p.Graph.Kind = "graph"
	for _, n := range g.Nodes {
		p.Graph.Nodes = append(p.Graph.Nodes, chartNode{Name: n.Activity, Label: n.Activity, Value: n.Count})
	}
	for _, e := range g.Edges {
		p.Graph.Links = append(p.Graph.Links, chartLink{Source: e.From, Target: e.To, Value: e.Count})
		mean := ""
		if e.From != analytics.Start && e.To != analytics.End {
			mean = span(e.Mean)
		}
		p.Edges = append(p.Edges, edgeRow{From: e.From, To: e.To, Count: e.Count, Mean: mean})
	}
	for i, v := range m.Variants {
		p.Variants = append(p.Variants, variantRow{Path: strings.Join(v.Activities, " → "), Count: v.Count, Share: v.Share,
			Mean: span(v.MeanDuration), Fits: m.VariantFits[i], journeyRef: ref(v.Examples)})
	}
	rep := m.Conformance
	p.Stages = rep.Stages
	p.FallOut = barChart{Kind: "bar", Series: []barSeries{{Name: "Reached"}, {Name: "Fell out"}}}
	for _, s := range rep.Stages {
		p.FallOut.Categories = append(p.FallOut.Categories, s.Stage)
		p.FallOut.Series[0].Data = append(p.FallOut.Series[0].Data, float64(s.Reached))
		p.FallOut.Series[1].Data = append(p.FallOut.Series[1].Data, float64(s.FellOut))
	}
	for i, d := range rep.Deviations {
		if i == maxDeviations {
			break
		}
		p.Deviations = append(p.Deviations, deviationRow{From: orStart(d.From), To: d.To, Count: d.Count, Cases: d.Cases,
			journeyRef: ref(m.DeviationExamples[[2]string{d.From, d.To}])})
	}
	for _, u := range m.Unknown {
		p.Unknown = append(p.Unknown, unknownRow{Name: u.Name, Path: strings.Join(u.Stages, " → "), Count: u.Count,
			Share: u.Share, Mean: span(u.MeanDuration), Trend: u.Trend, journeyRef: ref(u.Examples)})
	}
	for _, cat := range m.Categories {
		p.Categories = append(p.Categories, categoryRow{Name: cat.Name, Count: cat.Count, Share: cat.Share, journeyRef: ref(cat.Examples)})
	}
}

func orStart(from string) string {
	if from == "" {
		return "(start)"
	}
	return from
}

// weekOf names a trend period by its first day.
func weekOf(t time.Time) string { return t.UTC().Format("Jan 2") }
