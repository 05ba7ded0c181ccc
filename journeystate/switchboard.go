package journeystate

import (
	"fmt"
	"slices"
	"strings"
)

// The switchboard: the rules for who may take a conversation from whom. A conversation has exactly one owner at a
// time (the bot, the queue, an agent) or is closed, and every change of owner is a compare-and-set: the change names
// the owner it expects to take the conversation from, so that of two agents taking one queued conversation at once
// only one wins. The moves allowed, and who may make them:
//
//	bot    → queue   hand off (a trigger fired)                     any actor
//	bot    → agent   take over (an agent steps in on their own)     agent
//	queue  → agent   take, or assign (routing, a manager)           agent, rule, system
//	queue  → bot     fall back (SLA timer), or hand back            bot, agent, rule, system
//	agent  → agent   transfer to another agent (never the same)     agent, system
//	agent  → queue   transfer to a team's queue (agent gone away)   agent, rule, system
//	agent  → bot     hand back                                      agent, rule, system
//	any    → closed  close with an outcome (the cause)              any actor
//	closed → bot     reopen: the customer writes again              customer, system
//	closed → agent   follow up: an agent writes to the customer     agent
//
// Everything else is refused, in particular:
//   - closed → queue: a reopened conversation goes to the bot first, which decides again, so that a customer who
//     writes "thanks!" after a hand-off is not queued for an agent once more (no hand-off loop);
//   - a change to the owner the conversation already has (same agent included): nothing would change, and an
//     "owner_changed" event that changes nothing would count twice in hand-off metrics;
//   - a customer or the bot choosing an agent: only agents, routing rules and the system do.
//
// closed → agent is allowed because a follow-up promised outside business hours ("an agent will write to you
// tomorrow") is an agent writing on a closed conversation; routing rules and the system may not do it, so that
// nothing assigns closed conversations on its own.

// TransitionError is an owner change the switchboard refuses; it names both owners and why.
// errors.Is(err, ErrConflict) holds for it.
type TransitionError struct {
	From        Owner
	FromAgentID string
	To          Owner
	AgentID     string
	Actor       Actor
	Reason      string
}

// Error names the move and the reason it was refused.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("owner change %s → %s by %q refused: %s",
		ownerName(e.From, e.FromAgentID), ownerName(e.To, e.AgentID), e.Actor, e.Reason)
}

// Unwrap makes a refused change an ErrConflict.
func (e *TransitionError) Unwrap() error { return ErrConflict }

func ownerName(o Owner, agentID string) string {
	if o == "" {
		o = `""`
	}
	if agentID == "" {
		return string(o)
	}
	return fmt.Sprintf("%s %s", o, agentID)
}

// knownActor says whether a is one of the Actor constants.
func knownActor(a Actor) bool {
	switch a {
	case ActorCustomer, ActorBot, ActorAgent, ActorRule, ActorSystem:
		return true
	}
	return false
}

// move returns the name of the move from → to and the actors allowed to make it (nil: any actor); ok is false when
// the move is not allowed at all.
func move(from, to Owner) (name string, actors []Actor, ok bool) {
	if to == OwnerClosed {
		return "close", nil, true
	}
	switch from {
	case OwnerBot:
		switch to {
		case OwnerQueue:
			return "hand off", nil, true
		case OwnerAgent:
			return "take over", []Actor{ActorAgent}, true
		}
	case OwnerQueue:
		switch to {
		case OwnerAgent:
			return "take", []Actor{ActorAgent, ActorRule, ActorSystem}, true
		case OwnerBot:
			return "fall back", []Actor{ActorBot, ActorAgent, ActorRule, ActorSystem}, true
		}
	case OwnerAgent:
		switch to {
		case OwnerAgent:
			return "transfer", []Actor{ActorAgent, ActorSystem}, true
		case OwnerQueue:
			return "transfer to the queue", []Actor{ActorAgent, ActorRule, ActorSystem}, true
		case OwnerBot:
			return "hand back", []Actor{ActorAgent, ActorRule, ActorSystem}, true
		}
	case OwnerClosed:
		switch to {
		case OwnerBot:
			return "reopen", []Actor{ActorCustomer, ActorSystem}, true
		case OwnerAgent:
			return "follow up", []Actor{ActorAgent}, true
		}
	}
	return "", nil, false
}

// CheckTransition says whether change may move conv to its new owner: nil when it may, a *TransitionError (an
// ErrConflict) when it may not. It is pure: stores call it on the stored conversation inside the transaction that
// writes the change, which makes the change a compare-and-set.
//
// change.From and change.FromAgentID must name conv's current owner: a change made on a stale reading of the
// conversation is refused. change.AgentID is required for an agent owner and refused for any other; change.Actor must
// be one allowed for the move (see the table above) and change.Cause must say why (a trigger, "sla 10m", the outcome
// of a close).
func CheckTransition(conv Conversation, change OwnerChange) error {
	refuse := func(format string, args ...any) error {
		return &TransitionError{From: conv.Owner, FromAgentID: conv.AgentID, To: change.Owner, AgentID: change.AgentID,
			Actor: change.Actor, Reason: fmt.Sprintf(format, args...)}
	}
	switch change.Owner {
	case OwnerAgent:
		if change.AgentID == "" {
			return refuse("an agent owner needs an agent id")
		}
	case OwnerBot, OwnerQueue, OwnerClosed:
		if change.AgentID != "" {
			return refuse("owner %s takes no agent id", change.Owner)
		}
	default:
		return refuse("unknown owner")
	}
	if !knownActor(change.Actor) {
		return refuse("unknown actor")
	}
	if strings.TrimSpace(change.Cause) == "" {
		return refuse("a change of owner needs a cause")
	}
	if change.From == "" {
		return refuse("the change must name the owner it expects (From)")
	}
	if change.From != conv.Owner || change.FromAgentID != conv.AgentID {
		return refuse("the conversation is no longer owned by %s", ownerName(change.From, change.FromAgentID))
	}
	if change.Owner == conv.Owner && change.AgentID == conv.AgentID {
		return refuse("the conversation already has that owner")
	}
	name, actors, ok := move(conv.Owner, change.Owner)
	if !ok {
		if conv.Owner == OwnerClosed && change.Owner == OwnerQueue {
			return refuse("a closed conversation reopens to the bot, never straight back to the queue")
		}
		return refuse("no such move")
	}
	if actors != nil && !slices.Contains(actors, change.Actor) {
		return refuse("%s is not a move for %s", name, change.Actor)
	}
	return nil
}
