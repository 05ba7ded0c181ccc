package analytics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Period is the length of the periods KPIs are broken down by.
type Period string

// Periods.
const (
	PeriodDay  Period = "day"  // keys "2026-01-02"
	PeriodWeek Period = "week" // ISO weeks from Monday, keys "2026-W01"
)

// DefaultMaxDrill is how many conversation ids a Drill holds when KPIOptions.MaxDrill is 0.
const DefaultMaxDrill = 100

// KPIOptions says how ComputeKPIs breaks the figures down and what its drill-downs say.
type KPIOptions struct {
	// Period is the breakdown by time, PeriodDay when "". Location is the time zone periods start in, UTC when nil.
	Period   Period
	Location *time.Location
	// IdleBefore counts a conversation that was never handed off and is not closed as over (so contained) when its
	// newest message is older than it; zero counts closed conversations only. It is the TranscriptQuery.IdleBefore of
	// the drill-downs.
	IdleBefore time.Time
	// From and To are the CreatedAt range the facts were read for (FactsQuery): the drill-downs' range.
	From, To time.Time
	// MaxDrill bounds the ids of each Drill; DefaultMaxDrill when 0.
	MaxDrill int
}

// KPIs are the figures of a set of conversations, in total and broken down. The keys of the breakdowns are channel
// names, team names, agent ids, stages (the customer's stage at the conversation's newest message; "" for none) and
// period keys (see Period). A conversation owned by several agents counts for each of them; one never owned by an
// agent or a team is in no ByAgent or ByTeam group.
type KPIs struct {
	Total     Figures
	ByChannel map[string]Figures
	ByTeam    map[string]Figures
	ByAgent   map[string]Figures
	ByStage   map[string]Figures
	ByPeriod  map[string]Figures
}

// Figures are the KPIs of one group of conversations.
type Figures struct {
	Conversations int
	// Contained conversations were never handed off and are over: closed, or idle (see KPIOptions.IdleBefore).
	// ContainmentRate is Contained / Conversations.
	Contained       int
	ContainmentRate float64
	// HandedOff conversations were owned by the queue or an agent at least once; HandoffRate is HandedOff /
	// Conversations. HandoffsByTrigger counts them by their first hand-off's trigger, HandoffsByStage by the stage
	// of the first hand-off's packet (the conversation's stage when the packet has none); divided by
	// Conversations they are the hand-off rates by trigger and by stage, which add up to HandoffRate.
	HandedOff         int
	HandoffRate       float64
	HandoffsByTrigger map[string]int
	HandoffsByStage   map[string]int
	// Timings take one value per conversation that has one (see Timing).
	BotFirstResponse   Timing // first customer message → the bot's first message after it
	AgentFirstResponse Timing // first hand-off → the first agent message after it
	BotReply           Timing // the conversation's mean bot reply delay (ConversationFacts.BotReplyTime / BotReplies)
	AgentReply         Timing // the same for agents
	QueueWait          Timing // the conversation's mean wait in the queue before an agent took it
	// Ratings is how many conversations were rated, MeanRating their mean newest rating (0 when none).
	Ratings    int
	MeanRating float64
	// Drill leads from each figure to the conversations behind it, by figure key: "conversations", "contained",
	// "handed_off", "trigger:<trigger>", "stage:<stage>", "bot_first_response", "agent_first_response",
	// "bot_reply", "agent_reply", "queue_wait", "ratings".
	Drill map[string]Drill
}

// Timing is a distribution of durations, one per conversation. P50 and P90 are nearest-rank percentiles: the value
// at rank ceil(p/100 × N) of the sorted values. All are zero when N is 0.
type Timing struct {
	N              int
	Mean, P50, P90 time.Duration
}

// Drill is the drill-down of one figure: the conversations behind it.
type Drill struct {
	// Total is how many conversations are behind the figure; IDs the first MaxDrill of them, oldest first.
	Total int
	IDs   []string
	// Query is a transcript list query for them. When Exact, it selects exactly them: by its filters, or, where
	// the filters cannot say it (a hand-off stage, a timing, a first trigger that is also a later trigger of some
	// conversation of the group) and they are few enough, by IDs set to all of them. When not Exact, it selects a
	// superset (the group's filters, and the figure's as far as they go) and IDs is the way in.
	Query journeystate.TranscriptQuery
	Exact bool
}

// ComputeKPIs computes the KPIs of facts. It is pure: the same facts and options give the same figures.
func ComputeKPIs(facts []journeystate.ConversationFacts, opts KPIOptions) (KPIs, error) {
	if opts.Period == "" {
		opts.Period = PeriodDay
	}
	if opts.Period != PeriodDay && opts.Period != PeriodWeek {
		return KPIs{}, fmt.Errorf("period %q is not day or week", opts.Period)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxDrill <= 0 {
		opts.MaxDrill = DefaultMaxDrill
	}
	base := journeystate.TranscriptQuery{From: opts.From, To: opts.To, IdleBefore: opts.IdleBefore}
	k := KPIs{Total: figures(facts, nil, base, true, opts)}
	groups := []struct {
		out  *map[string]Figures
		keys func(f *journeystate.ConversationFacts) []string
		// query narrows base to the group; exact says whether a TranscriptQuery can say the group.
		query func(key string, q *journeystate.TranscriptQuery)
		exact bool
	}{
		{&k.ByChannel, func(f *journeystate.ConversationFacts) []string { return []string{f.Channel} },
			func(key string, q *journeystate.TranscriptQuery) { q.Channel = key }, true},
		{&k.ByTeam, func(f *journeystate.ConversationFacts) []string { return nonEmpty(f.Team) },
			func(key string, q *journeystate.TranscriptQuery) { q.Team = key }, true},
		{&k.ByAgent, func(f *journeystate.ConversationFacts) []string { return f.Agents },
			func(key string, q *journeystate.TranscriptQuery) { q.AgentID = key }, true},
		// An empty stage cannot be asked for (TranscriptQuery.Stage "" is any stage).
		{&k.ByStage, func(f *journeystate.ConversationFacts) []string { return []string{f.Stage} },
			func(key string, q *journeystate.TranscriptQuery) { q.Stage = key }, true},
		{&k.ByPeriod, func(f *journeystate.ConversationFacts) []string { return []string{periodKey(f.CreatedAt, opts)} },
			func(key string, q *journeystate.TranscriptQuery) {
				from, to := periodRange(key, opts)
				q.From, q.To = later(from, opts.From), earlier(to, opts.To)
			}, true},
	}
	for _, g := range groups {
		// A group holds the indexes of its facts, not copies of them: with 100,000 conversations the copies were
		// most of the time and memory of ComputeKPIs.
		members := make(map[string][]int)
		for i := range facts {
			for _, key := range g.keys(&facts[i]) {
				members[key] = append(members[key], i)
			}
		}
		*g.out = make(map[string]Figures, len(members))
		for key, idx := range members {
			q := base
			g.query(key, &q)
			(*g.out)[key] = figures(facts, idx, q, g.exact && key != "", opts)
		}
	}
	return k, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// drillAcc gathers a figure's drill-down: how many conversations, and the ids of the first MaxDrill (all that
// a Drill ever holds).
type drillAcc struct {
	total int
	ids   []string
}

// figures computes the figures of the group of facts whose indexes are idx (all of facts when idx is nil); q
// selects the group in the transcript list (exactly when exact).
func figures(facts []journeystate.ConversationFacts, idx []int, q journeystate.TranscriptQuery, exact bool, opts KPIOptions) Figures {
	n := len(facts)
	if idx != nil {
		n = len(idx)
	}
	fg := Figures{Conversations: n, HandoffsByTrigger: map[string]int{}, HandoffsByStage: map[string]int{},
		Drill: map[string]Drill{}}
	members := map[string]*drillAcc{}
	// anyTrigger counts, by trigger, the conversations any of whose hand-offs had it: TranscriptQuery.Trigger's
	// rule. A "trigger:" figure counts first triggers only, so the filter says it exactly when the two counts agree.
	anyTrigger := map[string]int{}
	add := func(key, id string) {
		m := members[key]
		if m == nil {
			m = &drillAcc{}
			members[key] = m
		}
		m.total++
		if len(m.ids) < opts.MaxDrill {
			m.ids = append(m.ids, id)
		}
	}
	var botFirst, agentFirst, botReply, agentReply, queue []time.Duration
	ratingSum := 0
	for j := range n {
		i := j
		if idx != nil {
			i = idx[j]
		}
		f := &facts[i]
		add("conversations", f.ConversationID)
		if contained(f, opts.IdleBefore) {
			fg.Contained++
			add("contained", f.ConversationID)
		}
		if f.HandedOff {
			fg.HandedOff++
			add("handed_off", f.ConversationID)
			fg.HandoffsByTrigger[f.Trigger()]++
			add("trigger:"+f.Trigger(), f.ConversationID)
			for i, tr := range f.Triggers {
				if !slices.Contains(f.Triggers[:i], tr) {
					anyTrigger[tr]++
				}
			}
			stage := f.HandoffStage
			if stage == "" {
				stage = f.Stage
			}
			fg.HandoffsByStage[stage]++
			add("stage:"+stage, f.ConversationID)
		}
		if d, ok := f.BotFirstResponse(); ok {
			botFirst = append(botFirst, d)
			add("bot_first_response", f.ConversationID)
		}
		if d, ok := f.AgentFirstResponse(); ok {
			agentFirst = append(agentFirst, d)
			add("agent_first_response", f.ConversationID)
		}
		if f.BotReplies > 0 {
			botReply = append(botReply, f.BotReplyTime/time.Duration(f.BotReplies))
			add("bot_reply", f.ConversationID)
		}
		if f.AgentReplies > 0 {
			agentReply = append(agentReply, f.AgentReplyTime/time.Duration(f.AgentReplies))
			add("agent_reply", f.ConversationID)
		}
		if f.QueueWaits > 0 {
			queue = append(queue, f.QueueWait/time.Duration(f.QueueWaits))
			add("queue_wait", f.ConversationID)
		}
		if f.Rating > 0 {
			fg.Ratings++
			ratingSum += f.Rating
			add("ratings", f.ConversationID)
		}
	}
	fg.ContainmentRate = rate(fg.Contained, fg.Conversations)
	fg.HandoffRate = rate(fg.HandedOff, fg.Conversations)
	fg.MeanRating = rate(ratingSum, fg.Ratings)
	fg.BotFirstResponse, fg.AgentFirstResponse = timing(botFirst), timing(agentFirst)
	fg.BotReply, fg.AgentReply, fg.QueueWait = timing(botReply), timing(agentReply), timing(queue)
	for key, m := range members {
		fq, fexact := q, exact
		switch key {
		case "conversations":
		case "contained":
			fq.Handling = journeystate.HandlingContained
		case "handed_off":
			fq.Handling = journeystate.HandlingHandedOff
		case "ratings":
			fq.MinRating = journeystate.MinRating
		default:
			// An empty trigger cannot be asked for (TranscriptQuery.Trigger "" is any).
			if tr, ok := strings.CutPrefix(key, "trigger:"); ok && tr != "" {
				fq.Trigger = tr
				fexact = exact && anyTrigger[tr] == fg.HandoffsByTrigger[tr]
			} else {
				fexact = false
			}
		}
		fg.Drill[key] = drill(m, fq, fexact, opts.MaxDrill)
	}
	return fg
}

// drill returns the Drill of m, whose ids are the first min(total, maxDrill).
func drill(m *drillAcc, q journeystate.TranscriptQuery, exact bool, maxDrill int) Drill {
	d := Drill{Total: m.total, IDs: m.ids, Query: q, Exact: exact}
	if !exact && m.total <= min(maxDrill, journeystate.MaxTranscriptIDs) {
		d.Query.IDs, d.Exact = slices.Clone(m.ids), true
	}
	return d
}

// contained reports whether f was never handed off and is over: closed, or idle since before idleBefore. It is the
// rule of journeystate.HandlingContained.
func contained(f *journeystate.ConversationFacts, idleBefore time.Time) bool {
	if f.HandedOff {
		return false
	}
	return f.Closed() || (!idleBefore.IsZero() && !f.LastMessageAt.IsZero() && f.LastMessageAt.Before(idleBefore))
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func timing(ds []time.Duration) Timing {
	if len(ds) == 0 {
		return Timing{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	rank := func(p float64) time.Duration {
		return ds[int(math.Ceil(p/100*float64(len(ds))))-1]
	}
	return Timing{N: len(ds), Mean: sum / time.Duration(len(ds)), P50: rank(50), P90: rank(90)}
}

// periodKey names the period t falls in.
func periodKey(t time.Time, opts KPIOptions) string {
	t = t.In(opts.Location)
	if opts.Period == PeriodWeek {
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	}
	return t.Format(time.DateOnly)
}

// periodRange returns the start and end of the period key names.
func periodRange(key string, opts KPIOptions) (time.Time, time.Time) {
	if opts.Period == PeriodWeek {
		var y, w int
		if _, err := fmt.Sscanf(key, "%04d-W%02d", &y, &w); err != nil {
			return time.Time{}, time.Time{}
		}
		// ISO week 1 holds January 4th; weeks start on Monday.
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, opts.Location)
		monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+(w-1)*7)
		return monday, monday.AddDate(0, 0, 7)
	}
	day, err := time.ParseInLocation(time.DateOnly, key, opts.Location)
	if err != nil {
		return time.Time{}, time.Time{}
	}
	return day, day.AddDate(0, 0, 1)
}

// later returns the later of a and b, zero counting as unbounded (earliest).
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// earlier returns the earlier of a and b, zero counting as unbounded (latest).
func earlier(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}
