// Package channels defines what passes between journeybot's channel adapters (web chat, Slack, SMS) and the bot
// engine: the inbound message a channel hands in, and the Channel interface through which replies go out.
//
// The adapters live in sub-packages; none of them imports another.
package channels

import (
	"context"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Inbound is one customer message as a channel adapter received and verified it.
type Inbound struct {
	Channel  string             // journeystate.ChannelWeb, ...
	UserID   string             // the sender's id on the channel (web: visitor id; SMS: E.164 number)
	Level    journeystate.Level // how sure the channel is of UserID
	Profile  journeystate.Profile
	ThreadID string // the channel's thread; a new thread is a new conversation
	// ClientMsgID is the sender's id for this message, so that a resent message is stored and answered once.
	ClientMsgID string
	Text        string
	ReceivedAt  time.Time
}

// Channel delivers messages to customers on one channel. Implementations must be safe for concurrent use and must
// not block on a slow customer: a delivery that cannot be made promptly is dropped or queued within a bound.
type Channel interface {
	// Name returns the channel name used in conversations, e.g. journeystate.ChannelWeb.
	Name() string
	// Deliver sends a stored message (bot, agent or system) to the customer of conv.
	Deliver(ctx context.Context, conv journeystate.Conversation, m journeystate.Message) error
}

// Streamer is implemented by channels that can show a reply while it is being written.
type Streamer interface {
	// Typing shows or hides that the bot is writing in conv.
	Typing(conv journeystate.Conversation, on bool)
	// StreamDelta appends text to the reply replyID that is being written in conv. The final reply is later
	// delivered with Deliver and a message whose ClientID is replyID, which replaces what was streamed.
	StreamDelta(conv journeystate.Conversation, replyID, text string)
}

// Audience is implemented by channels where others than the customer may read a conversation: a thread in a shared
// Slack channel. The bot keeps the customer's private journey (their other conversations, business events, memory,
// and the company's tools that read their data) out of such a conversation.
type Audience interface {
	// Public reports whether others than the customer can read conv.
	Public(conv journeystate.Conversation) bool
}

// Agent is a person who works handed-off conversations: a console user (ID is the user's id), or a Slack user
// answering in an agent thread (ID "slack:" and their Slack user id). Name is how customers and other agents see
// them.
type Agent struct {
	ID   string
	Name string
}

// UpdateKind says what an Update reports.
type UpdateKind string

// Update kinds.
const (
	// UpdateMessage: a message was stored in the conversation (the customer's, the bot's, an agent's, a notice).
	UpdateMessage UpdateKind = "message"
	// UpdateOwner: the conversation changed owner (handed off, taken, transferred, handed back, closed).
	UpdateOwner UpdateKind = "owner"
	// UpdateNote: an agent wrote an internal note, which the customer never sees.
	UpdateNote UpdateKind = "note"
	// UpdateTyping: an agent started or stopped typing.
	UpdateTyping UpdateKind = "typing"
)

// Update is something that happened to a conversation, as the engine reports it to those who work conversations
// (the agent console, Slack agent threads). Updates are a wake-up, not the record: the store is. A subscriber that
// falls behind loses updates and reloads from the store.
type Update struct {
	Kind UpdateKind
	// Conversation is the conversation as it is after the update.
	Conversation journeystate.Conversation
	// Message is the stored message of an UpdateMessage.
	Message journeystate.Message
	// Change is the owner change of an UpdateOwner; Handoff its packet when it handed the conversation to people.
	Change  journeystate.OwnerChange
	Handoff *journeystate.Handoff
	// Agent is the agent who made the update (a note, typing, a take), zero when it was not an agent.
	Agent Agent
	// Text is an UpdateNote's note.
	Text string
	// Typing is an UpdateTyping's state.
	Typing bool
}

// AgentTyping is implemented by channels that can show the customer that an agent is writing (the web chat).
type AgentTyping interface {
	// AgentTyping shows or hides that agent is writing in conv.
	AgentTyping(conv journeystate.Conversation, agent Agent, on bool)
}
