package console

// The dashboard's KPIs, computed from the store's conversation facts. analytics.ComputeKPIs is being written on
// another branch; until it lands this is the small set the dashboard shows, with the definitions on the page.

import (
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// maxDrillIDs bounds the conversation ids a figure's link carries when no filter of the list selects exactly its
// conversations (a team, a trigger): the link then opens the first maxDrillIDs of them.
const maxDrillIDs = 200

// kpiAcc accumulates the KPIs of a group of conversations.
type kpiAcc struct {
	conversations, closed, contained, handedOff int
	botFR, agentFR, queueWait                   time.Duration
	botN, agentN, queueN                        int
	ratingSum, rated                            int
	ids                                         []string
}

func (a *kpiAcc) add(f *journeystate.ConversationFacts) {
	a.conversations++
	if len(a.ids) < maxDrillIDs {
		a.ids = append(a.ids, f.ConversationID)
	}
	if f.Closed() {
		a.closed++
		if f.Contained() {
			a.contained++
		}
	}
	if f.HandedOff {
		a.handedOff++
	}
	if d, ok := f.BotFirstResponse(); ok {
		a.botFR += d
		a.botN++
	}
	if d, ok := f.AgentFirstResponse(); ok {
		a.agentFR += d
		a.agentN++
	}
	if f.QueueWaits > 0 {
		a.queueWait += f.QueueWait
		a.queueN += f.QueueWaits
	}
	if f.Rating > 0 {
		a.ratingSum += f.Rating
		a.rated++
	}
}

// kpis are a group's figures. A mean over nothing is absent (its Has… false), not zero.
type kpis struct {
	Conversations, Closed, Contained, HandedOff, Rated int
	// ContainmentRate is Contained (closed, never handed to a person) over Closed; HandoffRate HandedOff over
	// Conversations.
	ContainmentRate, HandoffRate float64
	// BotFirst and AgentFirst are the mean first responses: the bot's to the first customer message, an agent's
	// to the first hand-off. QueueWait is the mean wait of a take from the queue.
	BotFirst, AgentFirst, QueueWait          time.Duration
	HasBotFirst, HasAgentFirst, HasQueueWait bool
	MeanRating                               float64
	// IDs are the first maxDrillIDs conversations; More says there are others.
	IDs  []string
	More bool
}

func (a *kpiAcc) kpis() kpis {
	k := kpis{Conversations: a.conversations, Closed: a.closed, Contained: a.contained, HandedOff: a.handedOff,
		Rated: a.rated, IDs: a.ids, More: a.conversations > len(a.ids)}
	if a.closed > 0 {
		k.ContainmentRate = float64(a.contained) / float64(a.closed)
	}
	if a.conversations > 0 {
		k.HandoffRate = float64(a.handedOff) / float64(a.conversations)
	}
	if a.botN > 0 {
		k.BotFirst, k.HasBotFirst = a.botFR/time.Duration(a.botN), true
	}
	if a.agentN > 0 {
		k.AgentFirst, k.HasAgentFirst = a.agentFR/time.Duration(a.agentN), true
	}
	if a.queueN > 0 {
		k.QueueWait, k.HasQueueWait = a.queueWait/time.Duration(a.queueN), true
	}
	if a.rated > 0 {
		k.MeanRating = float64(a.ratingSum) / float64(a.rated)
	}
	return k
}

// groups accumulates KPIs by a key, remembering the order keys first came in.
type groups struct {
	order []string
	accs  map[string]*kpiAcc
}

func (g *groups) add(key string, f *journeystate.ConversationFacts) {
	if g.accs == nil {
		g.accs = map[string]*kpiAcc{}
	}
	a, ok := g.accs[key]
	if !ok {
		a = &kpiAcc{}
		g.accs[key] = a
		g.order = append(g.order, key)
	}
	a.add(f)
}
