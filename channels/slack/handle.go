package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// errUnavailable means the event was not taken (the engine is shutting down, or the store failed) and Slack should
// deliver it again: the Events API answers 503, Socket Mode does not acknowledge it.
var errUnavailable = errors.New("slack event not taken; deliver it again")

// handle acts on one parsed event, from either transport, and returns the outcome for the metrics. It returns an
// error wrapping errUnavailable when Slack should deliver the event again; any other event is done with (taken,
// a duplicate, or refused for good) and gets nil.
//
// Edits are recorded, not answered again: people mostly edit to fix a typo, a second answer to one question is
// confusing, and the agent sees the edit in the journey. Deletes are recorded the same way; the stored message
// stays, as every message of the transcript does.
func (a *Adapter) handle(ctx context.Context, ev event) (outcome string, err error) {
	if ev.Kind != kindIgnore && (ev.User == a.self.UserID || (ev.BotID != "" && ev.BotID == a.self.BotID)) {
		return "ignored", nil // the app itself: never a customer (no loops)
	}
	if ev.Kind != kindIgnore && a.isAgentChannel(ev.Channel) {
		return a.handleAgentMessage(ctx, ev) // agents, never a customer
	}
	switch ev.Kind {
	case kindMessage:
		return a.handleMessage(ctx, ev)
	case kindThreadReply:
		if strings.Contains(ev.Text, "<@"+a.self.UserID+">") {
			return "ignored", nil // the app_mention Slack sends for it is the one handled
		}
		conv, _, err := a.engine.History(ctx, journeystate.ChannelSlack, ev.userKey(), ev.thread().String(), 0, 1)
		if err != nil {
			return "error", fmt.Errorf("%w: %w", errUnavailable, err)
		}
		if conv.ID == "" || conv.Owner == journeystate.OwnerClosed {
			return "ignored", nil // a thread the bot is not in with this person
		}
		return a.handleMessage(ctx, ev)
	case kindEdit:
		return "edit", a.recordChange(ctx, ev, "message_edited", "slack-edit:"+ev.Channel+":"+ev.TS+":"+cmp.Or(ev.EditTS, ev.EventID),
			map[string]any{"ts": ev.TS, "text": truncate(plainText(ev.Text, a.self.UserID), 4000)})
	case kindDelete:
		return "delete", a.recordChange(ctx, ev, "message_deleted", "slack-delete:"+ev.Channel+":"+ev.TS,
			map[string]any{"ts": ev.TS})
	default:
		a.log.Debug("slack: event ignored", "reason", ev.Reason)
		return "ignored", nil
	}
}

func (a *Adapter) handleMessage(ctx context.Context, ev event) (string, error) {
	where := ev.thread()
	p := a.identify(ctx, ev)
	r, err := a.engine.Receive(ctx, channels.Inbound{
		Channel:     journeystate.ChannelSlack,
		UserID:      ev.userKey(),
		Level:       journeystate.LevelVerified,
		Profile:     journeystate.Profile{Name: p.Name},
		ThreadID:    where.String(),
		ClientMsgID: ev.messageKey(),
		Text:        withFiles(plainText(ev.Text, a.self.UserID), ev.Files),
	})
	switch {
	case err == nil && r.Duplicate:
		return "duplicate", nil
	case err == nil:
		return "message", nil
	case errors.Is(err, bot.ErrEmptyMessage):
		return "ignored", nil // a bare mention, or a file without text
	case errors.Is(err, bot.ErrTooLong):
		// Tell the customer, off the ack's path; the text is the engine's, safe to show.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), apiWait)
			defer cancel()
			if _, err := a.post(ctx, where, escape("Sorry, "+bot.ErrTooLong.Error()+": please send a shorter one.")); err != nil {
				a.log.Warn("slack: tell the sender the message is too long", "err", err)
			}
		}()
		return "refused", nil
	case errors.Is(err, bot.ErrShuttingDown):
		return "error", fmt.Errorf("%w: %w", errUnavailable, err)
	default:
		a.log.Error("slack: receive", "err", err)
		return "error", fmt.Errorf("%w: %w", errUnavailable, err)
	}
}

// recordChange records an edit or a delete in the author's journey; one of a user the engine does not know is
// dropped (they never wrote to the bot).
func (a *Adapter) recordChange(ctx context.Context, ev event, typ, key string, payload map[string]any) error {
	_, err := a.engine.RecordChannelEvent(ctx, bot.ChannelEvent{
		Channel: journeystate.ChannelSlack, UserID: ev.userKey(), ThreadID: ev.thread().String(),
		Type: typ, Key: key, Cause: "slack " + typ, Payload: payload,
	})
	switch {
	case err == nil, errors.Is(err, bot.ErrUnknownUser):
		return nil
	default:
		a.log.Error("slack: record "+typ, "err", err)
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
}

// withFiles adds a line "[attachment: NAME URL]" to text for each file shared with the message, so that a screenshot
// sent alone is a message too, and the transcript keeps where it is.
func withFiles(text string, files []fileLink) string {
	var b strings.Builder
	b.WriteString(text)
	for _, f := range files {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("[attachment: ")
		if f.Name != "" {
			b.WriteString(f.Name + " ")
		}
		b.WriteString(f.URL + "]")
	}
	return b.String()
}
