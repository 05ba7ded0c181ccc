package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

// ErrUnknownUser is returned by RecordChannelEvent when the channel's user is not known: nothing was stored.
var ErrUnknownUser = errors.New("unknown user")

// ChannelEvent is something a channel reports about a customer's conversation that is not a message: an SMS
// delivery status, a Slack message edited or deleted, a consent change.
type ChannelEvent struct {
	Channel  string // journeystate.ChannelSMS, ...
	UserID   string // the customer's id on the channel, as in channels.Inbound
	ThreadID string // the conversation's thread; "" records the event outside any conversation
	// Type names it, e.g. "sms_status", "message_edited"; it must not be one journeybot records itself.
	Type string
	// Key is the idempotency key, e.g. "twilio-status:SM123:delivered": a retried webhook stores it once.
	Key     string
	Cause   string
	Payload map[string]any
}

// RecordChannelEvent adds a channel's event to the journey log of the customer the channel knows as ev.UserID, in
// their latest conversation on ev.ThreadID when there is one. It returns duplicate true when ev.Key was used
// before, ErrUnknownUser when the channel's user is not known, and store errors wrapped.
func (e *Engine) RecordChannelEvent(ctx context.Context, ev ChannelEvent) (duplicate bool, err error) {
	if ev.Channel == "" || ev.UserID == "" || ev.Type == "" {
		return false, errors.New("record channel event: channel, user and type are required")
	}
	if IsReservedEvent(ev.Type) {
		return false, fmt.Errorf("record channel event: %q is an event journeybot records itself", ev.Type)
	}
	id, err := e.cfg.Store.FindIdentity(ctx, ev.Channel, ev.UserID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return false, ErrUnknownUser
	}
	if err != nil {
		return false, fmt.Errorf("record channel event: %w", err)
	}
	convID := ""
	if ev.ThreadID != "" {
		conv, err := e.cfg.Store.LatestConversation(ctx, id.CustomerID, ev.Channel, ev.ThreadID)
		switch {
		case err == nil:
			convID = conv.ID
		case !errors.Is(err, journeystate.ErrNotFound):
			return false, fmt.Errorf("record channel event: %w", err)
		}
	}
	var payload json.RawMessage
	if ev.Payload != nil {
		if payload, err = json.Marshal(ev.Payload); err != nil {
			return false, fmt.Errorf("record channel event: payload: %w", err)
		}
	}
	_, dup, err := e.cfg.Store.AppendEvent(ctx, journeystate.Event{
		CustomerID: id.CustomerID, ConversationID: convID, Type: ev.Type, Channel: ev.Channel,
		Actor: journeystate.ActorSystem, Cause: ev.Cause, Payload: payload, Key: ev.Key,
	})
	if err != nil {
		return false, fmt.Errorf("record channel event: %w", err)
	}
	return dup, nil
}
