package console

// Insights: the journey mining behind the journeys page, computed off the request path and cached.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/journeystate"
)

// Defaults and bounds of the insights.
const (
	// DefaultInsightsEvery is how old the insights may grow before a page asks for fresh ones, when
	// Options.InsightsEvery is 0.
	DefaultInsightsEvery = time.Minute
	// insightsWait is how long the first request waits for the first insights before it shows "being computed".
	insightsWait = 800 * time.Millisecond
	// insightsTimeout bounds one computation; maxMinedEvents the events it reads (the newest beyond it are left
	// out, and the page says so).
	insightsTimeout = 5 * time.Minute
	maxMinedEvents  = 5_000_000
	// scanPage is how many events each ScanEvents call asks for (the store's cap).
	scanPage = 10_000
	// Bounds of what the insights keep: the rows the journeys page shows.
	maxVariants   = 50
	maxUnknown    = 30
	maxCategories = 30
	// maxConvsPerCase is how many conversation ids are kept per customer, to link a journey's example to its
	// transcripts.
	maxConvsPerCase = 3
	// trendWeeks is how many weeks the unknown journeys' trend shows.
	trendWeeks = 8
)

// EventScanner reads the whole journey log in Seq order (journeystate.Store.ScanEvents).
type EventScanner interface {
	ScanEvents(ctx context.Context, afterSeq int64, limit int) ([]journeystate.Event, error)
}

// Mined is one computation of the insights over the whole journey log. It is not changed after it is published:
// readers share it.
type Mined struct {
	// At is when the computation started, Took how long it took; Events and Cases how many events and customers it
	// read; Cut says it stopped at maxMinedEvents.
	At     time.Time
	Took   time.Duration
	Events int
	Cases  int
	Cut    bool

	// Graph is the directly-follows graph of stages, business events and hand-offs.
	Graph analytics.Graph
	// Variants are the stage paths, most frequent first (at most maxVariants), and VariantFits whether each fits
	// the journey map.
	Variants    []analytics.Variant
	VariantFits []bool
	// Paths are the Sankey links of the stage paths.
	Paths []analytics.PathFlow
	// Conformance is the check against the journey map, without its per-case Traces; DeviationExamples are up to
	// analytics.MaxExamples customers whose first deviation is each of Conformance.Deviations' moves.
	Conformance       analytics.ConformanceReport
	DeviationExamples map[[2]string][]string
	Unknown           []analytics.UnknownJourney
	Categories        []analytics.Category
	// Conversations are a few conversation ids of each customer, for links to transcripts.
	Conversations map[string][]string
}

// Insights computes Mined in the background and keeps the newest. It is safe for concurrent use.
type Insights struct {
	src     EventScanner
	journey journeystate.JourneyMap
	every   time.Duration
	now     func() time.Time
	log     *slog.Logger

	// namer names the journeys the map does not describe (a model); names caches its names by stage path, so that
	// a refresh does not ask again. Both under mu.
	namer analytics.Namer
	names map[string]string

	mu      sync.Mutex
	cur     *Mined
	err     error         // of the newest computation, nil when it succeeded
	running chan struct{} // closed when the running computation ends; nil when none runs
	stop    context.CancelFunc
	ctx     context.Context
}

// NewInsights returns insights over src checked against journey, refreshed when older than every (0 means
// DefaultInsightsEvery). now and log may be nil (time.Now, slog.Default()).
func NewInsights(src EventScanner, journey journeystate.JourneyMap, every time.Duration, now func() time.Time, log *slog.Logger) *Insights {
	if every <= 0 {
		every = DefaultInsightsEvery
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Insights{src: src, journey: journey, every: every, now: now, log: log, ctx: ctx, stop: stop}
}

// SetNamer makes n name the journeys the map does not describe (the default names are kept where it fails).
// Call it before the first Get.
func (in *Insights) SetNamer(n analytics.Namer) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.namer, in.names = n, map[string]string{}
}

// nameTimeout bounds the naming of one refresh's unknown journeys.
const nameTimeout = 30 * time.Second

// name gives the unknown journeys the namer's names: cached ones at once, the others asked for (at most
// nameTimeout for all).
func (in *Insights) name(ctx context.Context, journeys []analytics.UnknownJourney) {
	in.mu.Lock()
	namer := in.namer
	var ask []int
	for i, j := range journeys {
		if name, ok := in.names[strings.Join(j.Stages, ">")]; ok {
			journeys[i].Name = name
		} else {
			ask = append(ask, i)
		}
	}
	in.mu.Unlock()
	if namer == nil || len(ask) == 0 {
		return
	}
	todo := make([]analytics.UnknownJourney, len(ask))
	for k, i := range ask {
		todo[k] = journeys[i]
	}
	nctx, cancel := context.WithTimeout(ctx, nameTimeout)
	defer cancel()
	if err := analytics.NameJourneys(nctx, todo, namer); err != nil {
		in.log.Warn("console: name unknown journeys; default names kept", "err", err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for k, i := range ask {
		if todo[k].Name != journeys[i].Name {
			in.names[strings.Join(todo[k].Stages, ">")] = todo[k].Name
		}
		journeys[i].Name = todo[k].Name
	}
}

// Get returns the newest insights, and starts computing fresh ones in the background when there are none or they
// are older than the refresh interval. When there are none yet, it waits up to wait (or until ctx ends) for the
// computation; it returns nil when it is still running, with the error of the newest computation when that failed.
func (in *Insights) Get(ctx context.Context, wait time.Duration) (*Mined, error) {
	in.mu.Lock()
	cur, err := in.cur, in.err
	if cur == nil || in.now().Sub(cur.At) >= in.every {
		in.startLocked()
	}
	running := in.running
	in.mu.Unlock()
	if cur != nil || running == nil {
		return cur, err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-running:
	case <-t.C:
	case <-ctx.Done():
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cur, in.err
}

// startLocked starts a computation unless one runs or the insights are closed.
func (in *Insights) startLocked() {
	if in.running != nil || in.ctx.Err() != nil {
		return
	}
	done := make(chan struct{})
	in.running = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(in.ctx, insightsTimeout)
		defer cancel()
		m, err := mine(ctx, in.src, in.journey, in.now)
		if err != nil {
			in.log.Error("console: compute insights", "err", err)
		} else {
			in.name(ctx, m.Unknown)
		}
		in.mu.Lock()
		defer in.mu.Unlock()
		in.running, in.err = nil, err
		if err == nil {
			in.cur = m
		}
	}()
}

// Close stops a running computation and any later one. It does not wait for the computation to end.
func (in *Insights) Close() { in.stop() }

// ratingPayload is what the insights read of a "rating" event.
type ratingPayload struct {
	Rating int `json:"rating"`
}

// mine reads the whole log and computes the insights.
func mine(ctx context.Context, src EventScanner, journey journeystate.JourneyMap, now func() time.Time) (*Mined, error) {
	m := &Mined{At: now(), Conversations: map[string][]string{}}
	start := time.Now()
	b := analytics.NewLogBuilder(analytics.LogOptions{Handoffs: true})
	type rated struct {
		sum float64
		n   int
	}
	ratings := map[string]rated{}
	var after int64
	for {
		if m.Events >= maxMinedEvents {
			m.Cut = true
			break
		}
		evs, err := src.ScanEvents(ctx, after, scanPage)
		if err != nil {
			return nil, fmt.Errorf("scan events after %d: %w", after, err)
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			ev := &evs[i]
			after = max(after, ev.Seq)
			b.Add(*ev)
			if ev.CustomerID == "" {
				continue
			}
			if ev.ConversationID != "" {
				ids := m.Conversations[ev.CustomerID]
				if len(ids) < maxConvsPerCase && !slices.Contains(ids, ev.ConversationID) {
					m.Conversations[ev.CustomerID] = append(ids, ev.ConversationID)
				}
			}
			if ev.Type == journeystate.EventRating {
				var p ratingPayload
				if json.Unmarshal(ev.Payload, &p) == nil && p.Rating > 0 {
					r := ratings[ev.CustomerID]
					ratings[ev.CustomerID] = rated{r.sum + float64(p.Rating), r.n + 1}
				}
			}
		}
		m.Events += len(evs)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	traces := b.Traces()
	m.Cases = len(traces)
	m.Graph = analytics.DFG(traces)
	stages := analytics.StageTraces(traces)
	m.Paths = analytics.StagePaths(traces, journey)
	facts := make(map[string]analytics.CaseFacts, len(traces))
	for _, t := range traces {
		f := analytics.CaseFacts{Handoffs: t.Handoffs}
		if r := ratings[t.CaseID]; r.n > 0 {
			f.Rating = r.sum / float64(r.n)
		}
		facts[t.CaseID] = f
	}
	rep := analytics.Conformance(traces, journey, facts)
	fits := make(map[string]bool, len(rep.Traces))
	m.DeviationExamples = map[[2]string][]string{}
	for _, tf := range rep.Traces {
		fits[tf.CaseID] = tf.Fits
		if d := tf.Deviation; d != nil {
			k := [2]string{d.From, d.To}
			if len(m.DeviationExamples[k]) < analytics.MaxExamples {
				m.DeviationExamples[k] = append(m.DeviationExamples[k], tf.CaseID)
			}
		}
	}
	rep.Traces = nil
	m.Conformance = rep
	vs := analytics.Variants(stages)
	if len(vs) > maxVariants {
		vs = vs[:maxVariants]
	}
	m.Variants = vs
	for _, v := range vs {
		m.VariantFits = append(m.VariantFits, len(v.Examples) > 0 && fits[v.Examples[0]])
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.Unknown = analytics.UnknownJourneys(traces, journey, analytics.UnknownOptions{Periods: weeks(m.At, trendWeeks)})
	if len(m.Unknown) > maxUnknown {
		m.Unknown = m.Unknown[:maxUnknown]
	}
	m.Categories = analytics.Categories(traces, analytics.CategoryOptions{})
	if len(m.Categories) > maxCategories {
		m.Categories = m.Categories[:maxCategories]
	}
	m.Took = time.Since(start)
	return m, nil
}

// weeks returns the boundaries of the n weeks before now, oldest first: n+1 times, the last one just after now.
func weeks(now time.Time, n int) []time.Time {
	end := now.Add(time.Nanosecond)
	out := make([]time.Time, n+1)
	for i := range out {
		out[i] = end.Add(-time.Duration(n-i) * 7 * 24 * time.Hour)
	}
	return out
}
