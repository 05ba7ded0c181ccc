package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	slackapi "github.com/slack-go/slack"

	"github.com/journeybot/journeybot/journeystate"
)

// maxStreamBytes bounds the text kept for one streamed reply; deltas past it are dropped (the final text is whole).
const maxStreamBytes = 64 << 10

// stream is a reply being written: its first delta posts it, later ones update it at most once per
// UpdateInterval, and the final Deliver replaces its text.
type stream struct {
	where threadKey
	text  strings.Builder // guarded by Adapter.mu
	wake  chan struct{}   // buffered 1: there is new text
	stop  chan struct{}   // closed by Deliver
	done  chan struct{}   // closed when the worker has returned; ts is final then
	ts    string          // the posted message, "" until posted; written by the worker only
}

// Typing does nothing: Slack offers apps no typing indicator outside its assistant threads, and the streamed
// reply shows soon enough that the bot is writing.
func (a *Adapter) Typing(journeystate.Conversation, bool) {}

// StreamDelta adds text to the reply replyID in conv. It never blocks on Slack: the posting and the throttled
// updates run on a goroutine of the reply's own. Past maxStreams replies at once, or for a conversation that is
// not a Slack thread, the delta is dropped and the reply is posted whole when it is delivered.
func (a *Adapter) StreamDelta(conv journeystate.Conversation, replyID, text string) {
	a.mu.Lock()
	s := a.streams[replyID]
	if s == nil {
		where, err := parseThreadID(conv.ThreadID)
		if err != nil || len(a.streams) >= maxStreams {
			a.mu.Unlock()
			return
		}
		s = &stream{where: where, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		a.streams[replyID] = s
		go a.runStream(replyID, s)
	}
	if s.text.Len()+len(text) <= maxStreamBytes {
		s.text.WriteString(text)
	}
	a.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // the worker has not taken the last wake-up yet: it will read this text too
	}
}

// runStream posts and updates the reply s until Deliver stops it or it has been idle for streamIdle.
func (a *Adapter) runStream(replyID string, s *stream) {
	defer close(s.done)
	idle := time.NewTimer(streamIdle)
	defer idle.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-idle.C:
			a.mu.Lock()
			if a.streams[replyID] == s {
				delete(a.streams, replyID)
			}
			a.mu.Unlock()
			return
		case <-s.wake:
		}
		idle.Reset(streamIdle)
		a.mu.Lock()
		text := toMrkdwn(s.text.String()) + " …"
		a.mu.Unlock()
		// One try each: a failed or rate-limited update is merged into the next one, and the final text is
		// posted or updated by Deliver in any case.
		ctx, cancel := context.WithTimeout(context.Background(), apiWait)
		var err error
		if s.ts == "" {
			s.ts, err = a.postOnce(ctx, s.where, text)
		} else {
			err = a.updateOnce(ctx, s.where.Channel, s.ts, text)
		}
		cancel()
		wait := a.opts.UpdateInterval
		var limited *slackapi.RateLimitedError
		if errors.As(err, &limited) {
			wait = max(wait, min(limited.RetryAfter, a.opts.MaxRetryAfter))
		} else if err != nil {
			a.log.Debug("slack: streamed update failed", "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
	}
}

// Deliver posts a stored message in its conversation's thread, as customerText shows it; for a reply that was
// streamed it replaces the streamed text with the final one instead. It returns an error for a conversation that is
// not a Slack thread, and the Web API's error (after waiting out rate limits within ctx).
func (a *Adapter) Deliver(ctx context.Context, conv journeystate.Conversation, m journeystate.Message) error {
	where, err := parseThreadID(conv.ThreadID)
	if err != nil {
		return fmt.Errorf("slack deliver: %w", err)
	}
	text := customerText(m)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	a.mu.Lock()
	s := a.streams[m.ClientID]
	delete(a.streams, m.ClientID)
	a.mu.Unlock()
	if s != nil {
		close(s.stop)
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("slack deliver: waiting for the stream: %w", ctx.Err())
		}
		if s.ts != "" {
			if err := a.update(ctx, where.Channel, s.ts, text); err != nil {
				return fmt.Errorf("slack deliver: %w", err)
			}
			return nil
		}
	}
	if _, err := a.post(ctx, where, text); err != nil {
		return fmt.Errorf("slack deliver: %w", err)
	}
	return nil
}

// maxAgentName bounds an agent's name in front of their words (Slack's own display names are at most 80).
const maxAgentName = 80

// customerText is what the customer reads of m in their thread. A bot reply is safe mrkdwn (toMrkdwn); so are an
// agent's words, after the agent's name in bold: "*Sam*: <text>" ("*Agent*" without a name). A notice (a system
// message the engine wrote, such as "Sam joined the conversation.") is its sentence in italics. A name and a
// notice are data, like a reply: plainMrkdwn keeps them from mentioning anyone or leaving their emphasis.
func customerText(m journeystate.Message) string {
	switch {
	case m.Author == journeystate.ActorAgent:
		text := toMrkdwn(m.Text)
		if strings.TrimSpace(text) == "" {
			return ""
		}
		name := plainMrkdwn(m.Meta.AgentName, maxAgentName)
		if name == "" {
			name = "Agent"
		}
		return "*" + name + "*: " + text
	case m.Author == journeystate.ActorSystem && m.Meta.Notice != "":
		if text := plainMrkdwn(m.Text, maxPostRunes-2); text != "" {
			return "_" + text + "_"
		}
		return ""
	}
	return toMrkdwn(m.Text)
}

// emphasisMarks replaces the characters that open or close mrkdwn formatting with their full-width lookalikes:
// mrkdwn has no escape for them, and a name such as "Sa*m" would otherwise end its bold early.
var emphasisMarks = strings.NewReplacer("*", "\uFF0A", "_", "\uFF3F", "~", "\uFF5E", "`", "\uFF40")

// plainMrkdwn turns plain text into mrkdwn that shows it as it is, on one line, within emphasis: &, < and > escaped
// (no mention, no link), formatting marks replaced by lookalikes, runs of white space and control characters made
// one space; cut to at most n runes.
func plainMrkdwn(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	return escape(emphasisMarks.Replace(truncate(s, n)))
}
