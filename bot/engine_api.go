package bot

// This file fixes the engine's public surface so that channel adapters can be written against it; engine.go
// implements it.

import (
	"errors"

	"github.com/journeybot/journeybot/journeystate"
)

// Receipt is what Engine.Receive tells a channel once a customer message is committed: enough to acknowledge it and
// then to ask for the bot's answer with Engine.Answer.
type Receipt struct {
	Customer     journeystate.Customer
	Conversation journeystate.Conversation
	Message      journeystate.Message
	// Duplicate is true when the message had been stored before (a resend); nothing was written.
	Duplicate bool
}

// Errors Engine.Receive returns for messages it refuses; their text is safe to show to the customer.
var (
	ErrEmptyMessage = errors.New("the message is empty")
	ErrTooLong      = errors.New("the message is too long")
	// ErrShuttingDown means the engine is shutting down and stored nothing: the channel should ask the sender to
	// send the message again (the web chat does so by itself after reconnecting; Slack and Twilio retry a 503).
	ErrShuttingDown = errors.New("the server is restarting")
)
