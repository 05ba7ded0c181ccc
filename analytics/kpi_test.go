package analytics

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// kpiT0 is Monday 2 March 2026, 09:00 UTC: ISO week 2026-W10 (week 1 is Mon 29 Dec 2025 – Sun 4 Jan 2026; 2 March
// is 63 days = 9 weeks later).
var kpiT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func kpi_at(d time.Duration) time.Time { return kpiT0.Add(d) }

const kpi_day = 24 * time.Hour

// kpiFacts are five conversations whose KPIs are worked out by hand in TestComputeKPIs.
//
//	f1 web  Mon 2 Mar  closed, never handed off (contained); bot first response 2s; 2 bot replies in 6s (3s);
//	                   rated 5; stage purchase
//	f2 web  Mon 2 Mar  handed off (customer_request, packet stage support) to team billing, agent a1; bot first
//	                   response 4s; 1 bot reply 4s; agent first response 60s; 2 agent replies in 100s (50s);
//	                   1 queue wait 30s; closed; rated 2; stage support
//	f3 sms  Tue 3 Mar  handed off (rule:vip, no packet stage) to billing, agents a1 then a2; agent first response
//	                   120s; 1 agent reply 120s; 2 queue waits in 40s (20s); open; stage purchase
//	f4 sms  Tue 10 Mar never handed off, open, newest message before IdleBefore (contained, idle); bot first
//	                   response 1s; 1 bot reply 1s; no stage
//	f5 web  Tue 10 Mar never handed off, open, newest message after IdleBefore (not over); rated 4; stage purchase
func kpiFacts() []journeystate.ConversationFacts {
	return []journeystate.ConversationFacts{
		{ConversationID: "f1", Channel: "web", CreatedAt: kpi_at(0), ClosedAt: kpi_at(time.Minute), Outcome: "resolved",
			Stage: "purchase", Messages: 4, LastMessageAt: kpi_at(30 * time.Second), FirstCustomerAt: kpi_at(0),
			FirstBotReplyAt: kpi_at(2 * time.Second), BotReplies: 2, BotReplyTime: 6 * time.Second, Rating: 5},
		{ConversationID: "f2", Channel: "web", CreatedAt: kpi_at(time.Hour), ClosedAt: kpi_at(2 * time.Hour), Outcome: "resolved",
			Team: "billing", Agents: []string{"a1"}, Stage: "support", HandoffStage: "support", Messages: 6,
			LastMessageAt: kpi_at(time.Hour + 5*time.Minute), HandedOff: true, Triggers: []string{"customer_request"},
			HandoffAt: kpi_at(time.Hour + 10*time.Second), FirstCustomerAt: kpi_at(time.Hour),
			FirstBotReplyAt: kpi_at(time.Hour + 4*time.Second), FirstAgentReplyAt: kpi_at(time.Hour + 70*time.Second),
			BotReplies: 1, BotReplyTime: 4 * time.Second, AgentReplies: 2, AgentReplyTime: 100 * time.Second,
			QueueWaits: 1, QueueWait: 30 * time.Second, Rating: 2},
		{ConversationID: "f3", Channel: "sms", CreatedAt: kpi_at(kpi_day), Team: "billing", Agents: []string{"a1", "a2"},
			Stage: "purchase", Messages: 3, LastMessageAt: kpi_at(kpi_day + 3*time.Minute), HandedOff: true,
			Triggers: []string{"rule:vip", "customer_request"}, HandoffAt: kpi_at(kpi_day), FirstCustomerAt: kpi_at(kpi_day),
			FirstAgentReplyAt: kpi_at(kpi_day + 120*time.Second), AgentReplies: 1, AgentReplyTime: 120 * time.Second,
			QueueWaits: 2, QueueWait: 40 * time.Second},
		{ConversationID: "f4", Channel: "sms", CreatedAt: kpi_at(8 * kpi_day), Messages: 2, LastMessageAt: kpi_at(8*kpi_day + 5*time.Second),
			FirstCustomerAt: kpi_at(8 * kpi_day), FirstBotReplyAt: kpi_at(8*kpi_day + time.Second), BotReplies: 1, BotReplyTime: time.Second},
		{ConversationID: "f5", Channel: "web", CreatedAt: kpi_at(8*kpi_day + time.Hour), Stage: "purchase", Messages: 1,
			LastMessageAt: kpi_at(9*kpi_day + time.Hour), FirstCustomerAt: kpi_at(8*kpi_day + time.Hour), Rating: 4},
	}
}

func TestComputeKPIs(t *testing.T) {
	idle := kpi_at(9 * kpi_day)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	k, err := ComputeKPIs(kpiFacts(), KPIOptions{Period: PeriodWeek, IdleBefore: idle, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	s := time.Second
	// Total, by hand:
	//   contained f1 (closed) and f4 (idle): 2/5 = 0.4; handed off f2, f3: 2/5 = 0.4, first triggers
	//   customer_request 1 and rule:vip 1, stages support 1 (f2's packet) and purchase 1 (f3 has no packet stage:
	//   its own stage);
	//   bot first response f4 1s, f1 2s, f2 4s: mean 7s/3, p50 rank ceil(1.5) = 2 → 2s, p90 rank ceil(2.7) = 3 → 4s;
	//   agent first response f2 60s, f3 120s: mean 90s, p50 rank 1 → 60s, p90 rank ceil(1.8) = 2 → 120s;
	//   bot reply f4 1s, f1 6s/2 = 3s, f2 4s: mean 8s/3, p50 3s, p90 4s;
	//   agent reply f2 100s/2 = 50s, f3 120s: mean 85s, p50 50s, p90 120s;
	//   queue wait f3 40s/2 = 20s, f2 30s: mean 25s, p50 20s, p90 30s;
	//   ratings 5, 2, 4: 3, mean 11/3.
	checkFigures(t, "total", k.Total, kpi_want{
		conversations: 5, contained: 2, containment: 0.4, handedOff: 2, handoffRate: 0.4,
		byTrigger: map[string]int{"customer_request": 1, "rule:vip": 1},
		byStage:   map[string]int{"support": 1, "purchase": 1},
		botFirst:  Timing{3, 7 * s / 3, 2 * s, 4 * s}, agentFirst: Timing{2, 90 * s, 60 * s, 120 * s},
		botReply: Timing{3, 8 * s / 3, 3 * s, 4 * s}, agentReply: Timing{2, 85 * s, 50 * s, 120 * s},
		queue: Timing{2, 25 * s, 20 * s, 30 * s}, ratings: 3, meanRating: 11.0 / 3,
	})
	// By channel: web f1, f2, f5 (contained f1, handed off f2; ratings 5, 2, 4); sms f3, f4 (contained f4, handed
	// off f3; no rating).
	checkFigures(t, "web", k.ByChannel["web"], kpi_want{conversations: 3, contained: 1, containment: 1.0 / 3, handedOff: 1,
		handoffRate: 1.0 / 3, byTrigger: map[string]int{"customer_request": 1}, byStage: map[string]int{"support": 1},
		botFirst: Timing{2, 3 * s, 2 * s, 4 * s}, agentFirst: Timing{1, 60 * s, 60 * s, 60 * s},
		botReply: Timing{2, 3500 * time.Millisecond, 3 * s, 4 * s}, agentReply: Timing{1, 50 * s, 50 * s, 50 * s},
		queue: Timing{1, 30 * s, 30 * s, 30 * s}, ratings: 3, meanRating: 11.0 / 3})
	checkFigures(t, "sms", k.ByChannel["sms"], kpi_want{conversations: 2, contained: 1, containment: 0.5, handedOff: 1,
		handoffRate: 0.5, byTrigger: map[string]int{"rule:vip": 1}, byStage: map[string]int{"purchase": 1},
		botFirst: Timing{1, s, s, s}, agentFirst: Timing{1, 120 * s, 120 * s, 120 * s},
		botReply: Timing{1, s, s, s}, agentReply: Timing{1, 120 * s, 120 * s, 120 * s},
		queue: Timing{1, 20 * s, 20 * s, 20 * s}})
	// By team: billing f2, f3, both handed off.
	if g := k.ByTeam["billing"]; g.Conversations != 2 || g.HandoffRate != 1 || len(k.ByTeam) != 1 {
		t.Errorf("ByTeam = %+v, kpi_want billing with f2 and f3, all handed off", k.ByTeam)
	}
	// By agent: a1 f2, f3; a2 f3.
	if k.ByAgent["a1"].Conversations != 2 || k.ByAgent["a2"].Conversations != 1 || len(k.ByAgent) != 2 {
		t.Errorf("ByAgent = a1 %d, a2 %d (%d agents); kpi_want 2, 1", k.ByAgent["a1"].Conversations,
			k.ByAgent["a2"].Conversations, len(k.ByAgent))
	}
	// By stage: purchase f1, f3, f5; support f2; none f4.
	for stage, n := range map[string]int{"purchase": 3, "support": 1, "": 1} {
		if got := k.ByStage[stage].Conversations; got != n {
			t.Errorf("ByStage[%q] = %d conversations, kpi_want %d", stage, got, n)
		}
	}
	// By week: W10 f1, f2, f3 (contained f1); W11 f4, f5 (contained f4).
	if w := k.ByPeriod["2026-W10"]; w.Conversations != 3 || w.Contained != 1 {
		t.Errorf("ByPeriod[2026-W10] = %d conversations, %d contained; kpi_want 3, 1", w.Conversations, w.Contained)
	}
	if w := k.ByPeriod["2026-W11"]; w.Conversations != 2 || w.Contained != 1 || len(k.ByPeriod) != 2 {
		t.Errorf("ByPeriod = %v; kpi_want W10 and W11, W11 with 2 conversations, 1 contained", k.ByPeriod)
	}

	// Drill-downs.
	d := k.Total.Drill["contained"]
	if d.Total != 2 || !slices.Equal(d.IDs, []string{"f1", "f4"}) || !d.Exact ||
		d.Query.Handling != journeystate.HandlingContained || !d.Query.IdleBefore.Equal(idle) ||
		!d.Query.From.Equal(from) || !d.Query.To.Equal(to) || d.Query.IDs != nil {
		t.Errorf("Drill[contained] = %+v, kpi_want f1, f4 by the contained filter over the range", d)
	}
	d = k.ByChannel["sms"].Drill["handed_off"]
	if !slices.Equal(d.IDs, []string{"f3"}) || !d.Exact || d.Query.Channel != "sms" ||
		d.Query.Handling != journeystate.HandlingHandedOff {
		t.Errorf("sms Drill[handed_off] = %+v, kpi_want f3 by channel and handling", d)
	}
	// rule:vip is only ever a first trigger (f3): the trigger filter says it. customer_request is f2's first and
	// f3's second: the filter would also select f3, so the ids say it, the filter narrowing them.
	d = k.Total.Drill["trigger:rule:vip"]
	if !d.Exact || d.Query.Trigger != "rule:vip" || d.Query.IDs != nil || !slices.Equal(d.IDs, []string{"f3"}) ||
		!d.Query.From.Equal(from) || !d.Query.To.Equal(to) {
		t.Errorf("Drill[trigger:rule:vip] = %+v, kpi_want f3 exact by the trigger filter over the range", d)
	}
	d = k.Total.Drill["trigger:customer_request"]
	if !d.Exact || d.Query.Trigger != "customer_request" || !slices.Equal(d.Query.IDs, []string{"f2"}) {
		t.Errorf("Drill[trigger:customer_request] = %+v, kpi_want exact by the ids (f3 has it as a later trigger)", d)
	}
	d = k.ByChannel["sms"].Drill["trigger:rule:vip"]
	if !d.Exact || d.Query.Trigger != "rule:vip" || d.Query.Channel != "sms" || d.Query.IDs != nil {
		t.Errorf("sms Drill[trigger:rule:vip] = %+v, kpi_want exact by channel and trigger", d)
	}
	d = k.ByTeam["billing"].Drill["conversations"]
	if !d.Exact || d.Query.Team != "billing" || d.Query.IDs != nil || !slices.Equal(d.IDs, []string{"f2", "f3"}) {
		t.Errorf("billing Drill[conversations] = %+v, kpi_want f2, f3 exact by the team filter", d)
	}
	d = k.ByTeam["billing"].Drill["handed_off"]
	if !d.Exact || d.Query.Team != "billing" || d.Query.Handling != journeystate.HandlingHandedOff || d.Query.IDs != nil {
		t.Errorf("billing Drill[handed_off] = %+v, kpi_want exact by team and handling", d)
	}
	d = k.ByTeam["billing"].Drill["trigger:customer_request"]
	if !d.Exact || d.Query.Team != "billing" || d.Query.Trigger != "customer_request" || !slices.Equal(d.Query.IDs, []string{"f2"}) {
		t.Errorf("billing Drill[trigger:customer_request] = %+v, kpi_want exact by the ids within the team", d)
	}
	d = k.ByAgent["a1"].Drill["ratings"]
	if !d.Exact || d.Query.AgentID != "a1" || d.Query.MinRating != 1 || !slices.Equal(d.IDs, []string{"f2"}) {
		t.Errorf("a1 Drill[ratings] = %+v, kpi_want f2 by agent and rating", d)
	}
	d = k.ByPeriod["2026-W11"].Drill["conversations"]
	if wantFrom, wantTo := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC); !d.Query.From.Equal(wantFrom) || !d.Query.To.Equal(wantTo) {
		t.Errorf("W11 drill range = %v – %v, kpi_want %v – %v", d.Query.From, d.Query.To, wantFrom, wantTo)
	}
	d = k.ByStage[""].Drill["conversations"]
	if !d.Exact || !slices.Equal(d.Query.IDs, []string{"f4"}) || d.Query.Stage != "" {
		t.Errorf("no-stage drill = %+v, kpi_want exact by ids (an empty stage filter is any stage)", d)
	}

	// A bounded drill that cannot be said by filters is not exact.
	k, err = ComputeKPIs(kpiFacts(), KPIOptions{MaxDrill: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := k.Total.Drill["bot_first_response"]; d.Total != 3 || len(d.IDs) != 1 || d.Exact || d.Query.IDs != nil {
		t.Errorf("Drill[bot_first_response] with MaxDrill 1 = %+v, kpi_want 3 in total, 1 id, not exact", d)
	}
	if d := k.ByTeam["billing"].Drill["conversations"]; d.Total != 2 || len(d.IDs) != 1 || !d.Exact || d.Query.IDs != nil {
		t.Errorf("billing Drill[conversations] with MaxDrill 1 = %+v, kpi_want 2 in total, 1 id, exact by the team", d)
	}
	if _, ok := k.ByPeriod["2026-03-10"]; !ok || len(k.ByPeriod) != 3 {
		t.Errorf("ByPeriod by kpi_day = %v, kpi_want 2026-03-02, 2026-03-03, 2026-03-10", kpi_keys(k.ByPeriod))
	}
	if k.Total.Contained != 1 {
		t.Errorf("without IdleBefore contained = %d, kpi_want 1 (f1, closed)", k.Total.Contained)
	}
	if _, err := ComputeKPIs(nil, KPIOptions{Period: "month"}); err == nil {
		t.Error("ComputeKPIs(month) = nil error")
	}
	empty, err := ComputeKPIs(nil, KPIOptions{})
	if err != nil || empty.Total.Conversations != 0 || empty.Total.ContainmentRate != 0 || empty.Total.BotReply.N != 0 {
		t.Errorf("ComputeKPIs(nil) = %+v, %v; kpi_want zeros", empty.Total, err)
	}
}

type kpi_want struct {
	conversations, contained, handedOff, ratings      int
	containment, handoffRate, meanRating              float64
	byTrigger, byStage                                map[string]int
	botFirst, agentFirst, botReply, agentReply, queue Timing
}

func checkFigures(t *testing.T, name string, got Figures, w kpi_want) {
	t.Helper()
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if got.Conversations != w.conversations || got.Contained != w.contained || got.HandedOff != w.handedOff ||
		got.Ratings != w.ratings || !near(got.ContainmentRate, w.containment) || !near(got.HandoffRate, w.handoffRate) ||
		!near(got.MeanRating, w.meanRating) {
		t.Errorf("%s: conversations %d contained %d (%.3f) handed off %d (%.3f) ratings %d (%.3f); kpi_want %d %d (%.3f) %d (%.3f) %d (%.3f)",
			name, got.Conversations, got.Contained, got.ContainmentRate, got.HandedOff, got.HandoffRate, got.Ratings,
			got.MeanRating, w.conversations, w.contained, w.containment, w.handedOff, w.handoffRate, w.ratings, w.meanRating)
	}
	if !equalCounts(got.HandoffsByTrigger, w.byTrigger) || !equalCounts(got.HandoffsByStage, w.byStage) {
		t.Errorf("%s: by trigger %v by stage %v; kpi_want %v %v", name, got.HandoffsByTrigger, got.HandoffsByStage, w.byTrigger, w.byStage)
	}
	for _, tm := range []struct {
		what          string
		got, kpi_want Timing
	}{{"bot first response", got.BotFirstResponse, w.botFirst}, {"agent first response", got.AgentFirstResponse, w.agentFirst},
		{"bot reply", got.BotReply, w.botReply}, {"agent reply", got.AgentReply, w.agentReply}, {"queue wait", got.QueueWait, w.queue}} {
		if tm.got != tm.kpi_want {
			t.Errorf("%s: %s = %+v, kpi_want %+v", name, tm.what, tm.got, tm.kpi_want)
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func kpi_keys(m map[string]Figures) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
