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
