package journeystate_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	js "github.com/journeybot/journeybot/journeystate"
)

func TestCheckTransition(t *testing.T) {
	bot := js.Conversation{ID: "c1", Owner: js.OwnerBot}
	queue := js.Conversation{ID: "c1", Owner: js.OwnerQueue}
	agent7 := js.Conversation{ID: "c1", Owner: js.OwnerAgent, AgentID: "agent-7"}
	closed := js.Conversation{ID: "c1", Owner: js.OwnerClosed}
	// to builds a well-formed change from conv's owner.
	to := func(conv js.Conversation, owner js.Owner, agentID string, actor js.Actor) js.OwnerChange {
		return js.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: owner, AgentID: agentID,
			Actor: actor, Cause: "test"}
	}
	tests := []struct {
		name   string
		conv   js.Conversation
		change js.OwnerChange
		// refused is the TransitionError's Reason; "" when the change is allowed.
		refused string
	}{
		{"bot hands off to the queue", bot, to(bot, js.OwnerQueue, "", js.ActorBot), ""},
		{"a rule hands off to the queue", bot, to(bot, js.OwnerQueue, "", js.ActorRule), ""},
		{"an agent takes over from the bot", bot, to(bot, js.OwnerAgent, "agent-7", js.ActorAgent), ""},
		{"an agent takes from the queue", queue, to(queue, js.OwnerAgent, "agent-7", js.ActorAgent), ""},
		{"routing assigns from the queue", queue, to(queue, js.OwnerAgent, "agent-7", js.ActorRule), ""},
		{"SLA fallback to the bot", queue, to(queue, js.OwnerBot, "", js.ActorRule), ""},
		{"transfer to another agent", agent7, to(agent7, js.OwnerAgent, "agent-9", js.ActorAgent), ""},
		{"transfer to the queue", agent7, to(agent7, js.OwnerQueue, "", js.ActorAgent), ""},
		{"agent hands back", agent7, to(agent7, js.OwnerBot, "", js.ActorAgent), ""},
		{"close from the bot", bot, to(bot, js.OwnerClosed, "", js.ActorBot), ""},
		{"close from the queue", queue, to(queue, js.OwnerClosed, "", js.ActorCustomer), ""},
		{"close from an agent", agent7, to(agent7, js.OwnerClosed, "", js.ActorAgent), ""},
		{"customer reopens to the bot", closed, to(closed, js.OwnerBot, "", js.ActorCustomer), ""},
		{"agent follows up on a closed conversation", closed, to(closed, js.OwnerAgent, "agent-7", js.ActorAgent), ""},

		{"reopen straight to the queue", closed, to(closed, js.OwnerQueue, "", js.ActorCustomer),
			"a closed conversation reopens to the bot, never straight back to the queue"},
		{"reopen to the queue by a rule", closed, to(closed, js.OwnerQueue, "", js.ActorRule),
			"a closed conversation reopens to the bot, never straight back to the queue"},
		{"routing assigns a closed conversation", closed, to(closed, js.OwnerAgent, "agent-7", js.ActorRule),
			"follow up is not a move for rule"},
		{"an agent reopens to the bot", closed, to(closed, js.OwnerBot, "", js.ActorAgent),
			"reopen is not a move for agent"},
		{"bot to bot", bot, to(bot, js.OwnerBot, "", js.ActorBot), "the conversation already has that owner"},
		{"queue to queue", queue, to(queue, js.OwnerQueue, "", js.ActorRule), "the conversation already has that owner"},
		{"closed to closed", closed, to(closed, js.OwnerClosed, "", js.ActorAgent), "the conversation already has that owner"},
		{"transfer to the same agent", agent7, to(agent7, js.OwnerAgent, "agent-7", js.ActorAgent),
			"the conversation already has that owner"},
		{"agent without an agent id", queue, to(queue, js.OwnerAgent, "", js.ActorAgent), "an agent owner needs an agent id"},
		{"queue with an agent id", bot, to(bot, js.OwnerQueue, "agent-7", js.ActorBot), "owner queue takes no agent id"},
		{"unknown owner", bot, to(bot, "robot", "", js.ActorBot), "unknown owner"},
		{"unknown actor", bot, to(bot, js.OwnerQueue, "", "martian"), "unknown actor"},
		{"no actor", bot, to(bot, js.OwnerQueue, "", ""), "unknown actor"},
		{"no cause", bot, js.OwnerChange{From: js.OwnerBot, Owner: js.OwnerQueue, Actor: js.ActorBot, Cause: " "},
			"a change of owner needs a cause"},
		{"no expected owner", bot, js.OwnerChange{Owner: js.OwnerQueue, Actor: js.ActorBot, Cause: "test"},
			"the change must name the owner it expects (From)"},
		{"the second agent to take a queued conversation", agent7, to(queue, js.OwnerAgent, "agent-9", js.ActorAgent),
			"the conversation is no longer owned by queue"},
		{"a transfer by an agent who no longer owns it", agent7, to(js.Conversation{Owner: js.OwnerAgent, AgentID: "agent-9"},
			js.OwnerBot, "", js.ActorAgent), "the conversation is no longer owned by agent agent-9"},
		{"the customer picks an agent", bot, to(bot, js.OwnerAgent, "agent-7", js.ActorCustomer),
			"take over is not a move for customer"},
		{"the bot takes from the queue for an agent", queue, to(queue, js.OwnerAgent, "agent-7", js.ActorBot),
			"take is not a move for bot"},
		{"the customer hands back from an agent", agent7, to(agent7, js.OwnerBot, "", js.ActorCustomer),
			"hand back is not a move for customer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := js.CheckTransition(tt.conv, tt.change)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("CheckTransition(%+v, %+v) = %v, want nil", tt.conv, tt.change, err)
				}
				return
			}
			if !errors.Is(err, js.ErrConflict) {
				t.Fatalf("CheckTransition(%+v, %+v) = %v, want an ErrConflict", tt.conv, tt.change, err)
			}
			var te *js.TransitionError
			if !errors.As(err, &te) {
				t.Fatalf("CheckTransition() = %T, want a *TransitionError", err)
			}
			want := &js.TransitionError{From: tt.conv.Owner, FromAgentID: tt.conv.AgentID, To: tt.change.Owner,
				AgentID: tt.change.AgentID, Actor: tt.change.Actor, Reason: tt.refused}
			if diff := cmp.Diff(want, te); diff != "" {
				t.Errorf("CheckTransition() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckTransitionEveryPair walks every pair of owners with an agent as the actor, so that a move added to the
// switchboard without a decision here fails.
func TestCheckTransitionEveryPair(t *testing.T) {
	owners := []js.Owner{js.OwnerBot, js.OwnerQueue, js.OwnerAgent, js.OwnerClosed}
	// allowed[from][to] for an agent (agent-7 owns agent conversations; changes to an agent go to agent-9).
	allowed := map[js.Owner]map[js.Owner]bool{
		js.OwnerBot:    {js.OwnerQueue: true, js.OwnerAgent: true, js.OwnerClosed: true},
		js.OwnerQueue:  {js.OwnerBot: true, js.OwnerAgent: true, js.OwnerClosed: true},
		js.OwnerAgent:  {js.OwnerBot: true, js.OwnerQueue: true, js.OwnerAgent: true, js.OwnerClosed: true},
		js.OwnerClosed: {js.OwnerAgent: true},
	}
	for _, from := range owners {
		for _, to := range owners {
			conv := js.Conversation{Owner: from}
			if from == js.OwnerAgent {
				conv.AgentID = "agent-7"
			}
			change := js.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: to, Actor: js.ActorAgent, Cause: "test"}
			if to == js.OwnerAgent {
				change.AgentID = "agent-9"
			}
			err := js.CheckTransition(conv, change)
			if got := err == nil; got != allowed[from][to] {
				t.Errorf("%s → %s by an agent: allowed %v (%v), want %v", from, to, got, err, allowed[from][to])
			}
		}
	}
}

func TestTransitionErrorText(t *testing.T) {
	err := js.CheckTransition(js.Conversation{Owner: js.OwnerAgent, AgentID: "agent-7"},
		js.OwnerChange{From: js.OwnerAgent, FromAgentID: "agent-7", Owner: js.OwnerAgent, AgentID: "agent-7", Actor: js.ActorAgent, Cause: "x"})
	want := `owner change agent agent-7 → agent agent-7 by "agent" refused: the conversation already has that owner`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
