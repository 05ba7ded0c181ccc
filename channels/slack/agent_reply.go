package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// handleAgentMessage takes an event from an agent channel, which is never a customer's message: a reply in a
// thread linked to a conversation is the agent's answer to the customer (Desk.Reply delivers it on the customer's
// own channel); anything else (chatter at the top level, unlinked threads, edits, deletes) is ignored. It returns
// an error wrapping errUnavailable when Slack should deliver the event again (the link could not be read).
//
// A reply the Desk refuses (the agent has not taken the conversation, the text is empty or too long) is not
// delivered again: the author is told in the thread, only they see it, that it did not reach the customer.
func (a *Adapter) handleAgentMessage(ctx context.Context, ev event) (string, error) {
	if !a.deskReady() || ev.ThreadTS == "" || (ev.Kind != kindThreadReply && ev.Kind != kindMessage) {
		return "ignored", nil
	}
	if a.self.TeamID != "" && cmp.Or(ev.UserTeam, ev.TeamID) != a.self.TeamID {
		return "ignored", nil // a Slack Connect guest in an agent channel is not one of the company's agents
	}
	where := threadKey{Channel: ev.Channel, ThreadTS: ev.ThreadTS}
	convID, err := a.opts.Links.LinkedConversation(ctx, LinkAgentThread, linkID(where))
	switch {
	case errors.Is(err, journeystate.ErrNotFound):
		return "ignored", nil
	case err != nil:
		a.log.Error("slack: look up the agent thread", "err", err)
		return "error", fmt.Errorf("%w: %w", errUnavailable, err)
	}
	text := withFiles(plainText(ev.Text, a.self.UserID), ev.Files)
	if strings.TrimSpace(text) == "" {
		return "ignored", nil // a bare mention of the app
	}
	// The message and the app_mention event of one message, and Slack's retries, share the key; the Desk stores a
	// reply once by it too, and this keeps a refusal from being told twice.
	key := ev.messageKey()
	if !a.agentSeen.claim(key) {
		return "duplicate", nil
	}
	agent := a.agentFor(ctx, cmp.Or(ev.UserTeam, ev.TeamID), ev.User, "")
	if _, err := a.opts.Desk.Reply(ctx, convID, agent, key, text); err != nil {
		a.log.Info("slack: agent reply refused", "conversation", convID, "err", err)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), apiWait)
			defer cancel()
			if err := a.ephemeral(ctx, where, ev.User, replyRefusalText(err)); err != nil {
				a.log.Warn("slack: tell the agent the reply was not sent", "err", err)
			}
		}()
		return "refused", nil
	}
	return "agent_reply", nil
}

// replyRefusalText tells an agent why their reply did not reach the customer. The Desk's "not the owner" is not
// told apart from its other refusals here (this package does not import the engine's errors for it), so the
// words name the usual cause and the way out.
func replyRefusalText(err error) string {
	if te, ok := errors.AsType[*journeystate.TransitionError](err); ok && te.From == journeystate.OwnerClosed {
		return "Not sent to the customer: this conversation is closed. Take it to follow up."
	}
	return "Not sent to the customer: take the conversation first to answer the customer (or, if you have, try again)."
}
