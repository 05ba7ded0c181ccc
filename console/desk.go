package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Desk is what agents do with handed-off conversations. *bot.Engine satisfies it; the console does not import bot
// (adapters depend on the engine's behaviour, not its package). Every owner change is a compare-and-set: an action on
// a conversation that changed meanwhile returns a *journeystate.TransitionError (an ErrConflict); an unknown
// conversation ErrNotFound. Implementations are safe for concurrent use.
type Desk interface {
	// Take gives the conversation to agent: from the queue, from the bot, or a closed one (a follow-up).
	Take(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error)
	// Assign gives a queued conversation, or one another agent holds, to agent to, on the decision of by. The
	// console checks that by may decide it (a manager, or the agent holding it).
	Assign(ctx context.Context, convID string, to, by channels.Agent) (journeystate.Conversation, error)
	// TransferToTeam puts the conversation agent holds into team's queue.
	TransferToTeam(ctx context.Context, convID string, agent channels.Agent, team string) (journeystate.Conversation, error)
	// Reply stores and delivers the agent's message; the same clientID stores it once.
	Reply(ctx context.Context, convID string, agent channels.Agent, clientID, text string) (journeystate.Message, error)
	// Note stores an internal note (an "agent_note" event with payload {"text", "agent_name"}).
	Note(ctx context.Context, convID string, agent channels.Agent, text string) (journeystate.Event, error)
	// Typing shows the customer that agent is writing, or no longer.
	Typing(ctx context.Context, convID string, agent channels.Agent, on bool) error
	// HandBack gives the conversation agent holds back to the bot.
	HandBack(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error)
	// Close closes the conversation with an outcome (journeystate.ValidOutcome).
	Close(ctx context.Context, convID string, agent channels.Agent, outcome string) (journeystate.Conversation, error)
	// Subscribe returns the updates of every conversation and a func that ends the subscription. A subscriber that
	// falls behind loses updates (they are wake-ups: the pages reload from Records).
	Subscribe(buffer int) (<-chan channels.Update, func())
}

// Records is what the console's pages read; journeystate.Store satisfies it. Errors as journeystate.Store documents
// them: ErrNotFound for an unknown id.
type Records interface {
	Conversations(ctx context.Context, q journeystate.ConversationQuery) ([]journeystate.Conversation, error)
	Conversation(ctx context.Context, id string) (journeystate.Conversation, error)
	LatestHandoff(ctx context.Context, conversationID string) (journeystate.Handoff, error)
	RecentMessages(ctx context.Context, conversationID string, limit int) ([]journeystate.Message, error)
	Customer(ctx context.Context, id string) (journeystate.Customer, error)
	Identities(ctx context.Context, customerID string) ([]journeystate.Identity, error)
	Events(ctx context.Context, q journeystate.EventQuery) ([]journeystate.Event, error)
}

// The journey store is what the pages read.
var _ Records = journeystate.Store(nil)

// CannedReply is a ready-made text an agent puts into a reply with one button, and edits before sending.
type CannedReply struct {
	Title string
	Text  string
}

// agentOf is the channels.Agent a console user acts as.
func agentOf(u journeystate.User) channels.Agent { return channels.Agent{ID: u.ID, Name: u.Name} }

// userError is an error whose message is safe to show to the agent: the console's own refusals (a form field
// missing, an action only the owner may take).
type userError struct {
	status  int
	message string
}

func (e *userError) Error() string { return e.message }

func refuse(status int, message string) error { return &userError{status: status, message: message} }

// Messages shown for the errors of the desk and the store.
const (
	msgConflict = "Someone else took this conversation, or it changed meanwhile. Reload the page to see it as it is now."
	msgNotFound = "This conversation does not exist."
	msgInternal = "Something went wrong. Please try again."
)

// deskError answers a failed action or page: the one place where errors become status codes. The agent sees a safe
// message; the log sees the cause of what is not the agent's doing. A request from htmx gets the message as a
// fragment retargeted to the page's alert region (#alert), so that the page around it stays as it is.
func (c *Console) deskError(w http.ResponseWriter, r *http.Request, what string, err error) {
	status, msg := http.StatusInternalServerError, msgInternal
	var ue *userError
	switch {
	case errors.As(err, &ue):
		status, msg = ue.status, ue.message
	case errors.Is(err, journeystate.ErrConflict): // a *TransitionError too
		status, msg = http.StatusConflict, msgConflict
		c.log.Info("console: "+what+" refused", "err", err)
	case errors.Is(err, journeystate.ErrNotFound):
		status, msg = http.StatusNotFound, msgNotFound
	case errors.Is(err, context.Canceled):
		return // the agent went away; nobody reads an answer
	default:
		c.log.Error("console: "+what, "err", err)
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Retarget", "#alert")
		w.Header().Set("HX-Reswap", "innerHTML")
		c.render(w, status, "alert", msg)
		return
	}
	c.errorPage(w, status, msg)
}
