package bot

import (
	"context"
	"errors"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// The desk: what agents do with handed-off conversations, from the agent console or a Slack agent thread. Every
// action is a compare-and-set owner change through the switchboard (journeystate.CheckTransition), so that two
// agents acting on one conversation at once cannot both win: the loser gets a *journeystate.TransitionError (an
// ErrConflict). Each action stores what the customer is to see (the agent's words, a notice that an agent joined or
// that the assistant is back) before delivering it on the customer's own channel, and reports an Update to the
// subscribers.

// ErrNotOwner means the agent acted on a conversation they do not own (a reply, a hand-back, a close by an agent who
// is not its owner).
var ErrNotOwner = errors.New("the agent does not own the conversation")

// ErrEmptyNote means a note or agent reply had no text.
var ErrEmptyNote = errors.New("the text is empty")

// HandoffRequest is a trigger's decision to hand a conversation to people.
type HandoffRequest struct {
	// Trigger is one of the journeystate.Trigger constants or a rule's trigger ("rule:vip").
	Trigger string
	// Reason says why, in words an agent reads.
	Reason     string
	Urgency    journeystate.Urgency // "" normal
	Sentiment  journeystate.Sentiment
	Intent     string
	Confidence float64
	Language   string
	// Agent is the agent who takes the conversation over on their own (Trigger "agent"); zero for every other
	// trigger, which queue the conversation.
	Agent channels.Agent
	// Actor is who decided: the customer (asked for a person), the bot (the model's tool), a rule, an agent.
	Actor journeystate.Actor
}

var errTODO = errors.New("not implemented yet")

// HandOff hands the bot's conversation to people: it builds the packet (the model's summary when one is configured,
// an extractive one when not), routes it to a team, queues the conversation with its packet in one transaction (or,
// for an agent taking over, gives it to that agent), tells the customer what happens next (their place in the queue
// and the expected wait, or when the team is back and on which channel), and reports the Update. It returns the
// conversation as it now is and the packet. A conversation the bot no longer owns gives a *TransitionError.
func (e *Engine) HandOff(ctx context.Context, convID string, req HandoffRequest) (journeystate.Conversation, journeystate.Handoff, error) {
	return journeystate.Conversation{}, journeystate.Handoff{}, errTODO
}

// Take gives the conversation to agent: from the queue (take), from the bot (an agent taking over on their own:
// a packet with trigger "agent" is stored), or a closed conversation (a follow-up). The customer is told that the
// agent joined.
func (e *Engine) Take(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	return journeystate.Conversation{}, errTODO
}

// Assign gives a queued conversation, or one another agent holds, to agent to, on the decision of by (a manager or
// the agent holding it).
func (e *Engine) Assign(ctx context.Context, convID string, to, by channels.Agent) (journeystate.Conversation, error) {
	return journeystate.Conversation{}, errTODO
}

// TransferToTeam puts the conversation agent holds into team's queue (a configured team name).
func (e *Engine) TransferToTeam(ctx context.Context, convID string, agent channels.Agent, team string) (journeystate.Conversation, error) {
	return journeystate.Conversation{}, errTODO
}

// Reply stores the agent's message in the conversation the agent owns and delivers it on the customer's channel.
// clientID makes a resent reply (a double click, a Slack retry) stored once; "" gives it a fresh one. ErrNotOwner
// when agent does not own the conversation; ErrEmptyNote for empty text, ErrTooLong for too long a one.
func (e *Engine) Reply(ctx context.Context, convID string, agent channels.Agent, clientID, text string) (journeystate.Message, error) {
	return journeystate.Message{}, errTODO
}

// Note stores an internal note on the conversation (an "agent_note" event: agents see it, the customer never does).
// Any agent may write one on any conversation.
func (e *Engine) Note(ctx context.Context, convID string, agent channels.Agent, text string) (journeystate.Event, error) {
	return journeystate.Event{}, errTODO
}

// Typing shows the customer that agent is writing (on channels that can show it) and reports the Update.
func (e *Engine) Typing(ctx context.Context, convID string, agent channels.Agent, on bool) error {
	return errTODO
}

// HandBack gives the conversation agent holds back to the bot; the customer is told the assistant is back.
func (e *Engine) HandBack(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	return journeystate.Conversation{}, errTODO
}

// Close closes the conversation with an outcome (journeystate.ValidOutcome). An agent may close the conversations
// they own and queued ones.
func (e *Engine) Close(ctx context.Context, convID string, agent channels.Agent, outcome string) (journeystate.Conversation, error) {
	return journeystate.Conversation{}, errTODO
}

// Subscribe returns a channel of Updates and a func that ends the subscription. Each subscriber has a buffer of
// buffer updates (at least 16); one that falls behind loses updates rather than slowing the engine, and should
// reload from the store.
func (e *Engine) Subscribe(buffer int) (<-chan channels.Update, func()) {
	ch := make(chan channels.Update)
	return ch, func() {}
}
