// Package routing decides where a handed-off conversation goes: which team serves it (Route), whether that team is
// working (Open, NextOpen), which online agent takes it (Assign), when it has waited too long (Expired) and what the
// customer is told (Promise). It is pure: it reads no store, clock, config file or network; callers pass the
// current time and act on its decisions.
package routing

import (
	"cmp"
	"slices"
	"time"
)

// Fallback is what happens to a conversation nobody took within its team's SLA.
type Fallback string

const (
	// FallbackBot hands the conversation back to the bot, with an apology.
	FallbackBot Fallback = "bot"
	// FallbackFollowUp keeps it queued and promises a reply on the customer's channel.
	FallbackFollowUp Fallback = "follow_up"
)

// Status is an agent's availability; only StatusOnline agents are assigned conversations.
type Status string

const (
	StatusOnline  Status = "online"
	StatusAway    Status = "away"
	StatusOffline Status = "offline"
)

// Agent is a human who takes conversations for the teams named in Teams.
type Agent struct {
	ID       string
	Teams    []string
	Status   Status
	Capacity int // most conversations at once; 0 takes none
	Active   int // conversations the agent holds now
}

// Item is one conversation waiting in the queue, with the hand-off packet's routing fields.
type Item struct {
	ConversationID string
	Priority       int // higher is more urgent
	Stage, Intent  string
	Language       string
	VIP            bool
	EnqueuedAt     time.Time
	Team           string // the team it waits for; Assign skips an item without one
}

// Assignment gives one queued conversation to one agent.
type Assignment struct {
	ConversationID string
	AgentID        string
	Team           string
	Waited         time.Duration
}

// Route picks the team for item. An item whose Team names a team goes there; otherwise the team whose Skills
// match most of the item's fields, weighted VIP ("vip") > intent > stage > language, ties to the earlier team;
// with no match, the Default team. ok is false when none fits.
func Route(item Item, teams []Team) (Team, bool) {
	if item.Team != "" {
		for _, t := range teams {
			if t.Name == item.Team {
				return t, true
			}
		}
	}
	best, bestScore := -1, 0
	for i, t := range teams {
		s := 0
		if item.VIP && slices.Contains(t.Skills, "vip") {
			s += 8
		}
		if item.Intent != "" && slices.Contains(t.Skills, item.Intent) {
			s += 4
		}
		if item.Stage != "" && slices.Contains(t.Skills, item.Stage) {
			s += 2
		}
		if item.Language != "" && slices.Contains(t.Skills, item.Language) {
			s++
		}
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	if best >= 0 {
		return teams[best], true
	}
	for _, t := range teams {
		if t.Default {
			return t, true
		}
	}
	return Team{}, false
}

// Assign matches queued items to online agents of the item's team with free capacity: highest priority first,
// then oldest, each to the least loaded eligible agent (ties by ID). No agent is given more than Capacity-Active.
// Items nobody can take stay out of the result. The inputs are not modified.
func Assign(queue []Item, agents []Agent, now time.Time) []Assignment {
	q := slices.Clone(queue)
	slices.SortStableFunc(q, func(a, b Item) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), a.EnqueuedAt.Compare(b.EnqueuedAt),
			cmp.Compare(a.ConversationID, b.ConversationID))
	})
	load := make([]int, len(agents))
	for i, a := range agents {
		load[i] = a.Active
	}
	var out []Assignment
	for _, it := range q {
		if it.Team == "" {
			continue
		}
		pick := -1
		for i, a := range agents {
			if a.Status != StatusOnline || load[i] >= a.Capacity || !slices.Contains(a.Teams, it.Team) {
				continue
			}
			if pick < 0 || load[i] < load[pick] || (load[i] == load[pick] && a.ID < agents[pick].ID) {
				pick = i
			}
		}
		if pick < 0 {
			continue
		}
		load[pick]++
		out = append(out, Assignment{it.ConversationID, agents[pick].ID, it.Team, now.Sub(it.EnqueuedAt)})
	}
	return out
}

// Expired reports whether item has waited at least team's SLA at now; a team without an SLA never expires.
func Expired(item Item, team Team, now time.Time) bool {
	return team.SLA > 0 && now.Sub(item.EnqueuedAt) >= team.SLA
}

// ExpectedWait estimates the wait of the customer at position (1 is next) when agentsOnline agents each take
// avgHandle per conversation. It is 0 when unknown (no agent, no position).
func ExpectedWait(position, agentsOnline int, avgHandle time.Duration) time.Duration {
	if position <= 0 || agentsOnline <= 0 {
		return 0
	}
	return time.Duration((position+agentsOnline-1)/agentsOnline) * avgHandle
}
