package slack

import (
	"fmt"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// A conversation's ThreadID on Slack is "CHANNEL/THREAD_TS" for a thread (in a channel, or in a DM) and "CHANNEL"
// for the top level of a DM. The store sees it as an opaque string; Deliver parses it back to know where to post.
//
// Why a DM's top level is one conversation: people use a DM with an app like a chat window and rarely open
// threads, so the DM's top level continues one conversation (until it is closed; then the next message opens a new
// one on the same ThreadID), and the bot answers there, not in a thread under every message. A thread, in a DM or
// a channel, is its own conversation and is answered in the thread.

// threadKey is where a Slack message belongs: the channel, and the ts of its thread's root ("" for the top level
// of a DM).
type threadKey struct {
	Channel  string
	ThreadTS string
}

// String returns the conversation's ThreadID.
func (k threadKey) String() string {
	if k.ThreadTS == "" {
		return k.Channel
	}
	return k.Channel + "/" + k.ThreadTS
}

// threadOf returns where a message with ts (and thread_ts, "" when not in a thread) in channel belongs. A message
// at the top level of a channel starts a thread of its own: its answer goes under it.
func threadOf(channel, ts, threadTS string) threadKey {
	if threadTS != "" {
		return threadKey{Channel: channel, ThreadTS: threadTS}
	}
	if isDM(channel) {
		return threadKey{Channel: channel}
	}
	return threadKey{Channel: channel, ThreadTS: ts}
}

// isDM reports whether a channel id is a direct message with the app. Slack's DM ids start with "D"; app_mention
// events carry no channel_type, so the id is what is left to go by.
func isDM(channel string) bool { return strings.HasPrefix(channel, "D") }

// parseThreadID is the inverse of threadKey.String; it refuses anything threadKey.String cannot produce.
func parseThreadID(id string) (threadKey, error) {
	channel, ts, threaded := strings.Cut(id, "/")
	if !validID(channel) || (threaded && !validTS(ts)) {
		return threadKey{}, fmt.Errorf("not a Slack thread id: %q", id)
	}
	return threadKey{Channel: channel, ThreadTS: ts}, nil
}

// validID reports whether s looks like a Slack id (channel, user, team, bot): upper-case letters and digits, at most
// 32 of them. Anything else in an event is refused: these ids become parts of keys and thread ids.
func validID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// validTS reports whether s is a Slack message timestamp: digits, a dot, digits ("1700000000.000100").
func validTS(s string) bool {
	secs, frac, ok := strings.Cut(s, ".")
	return ok && digits(secs, 12) && digits(frac, 8)
}

func digits(s string, most int) bool {
	if s == "" || len(s) > most {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Public reports whether others than the customer may read conv: any conversation outside a DM (a thread in a
// channel, Slack Connect included). The engine keeps the customer's private journey out of those.
func (a *Adapter) Public(conv journeystate.Conversation) bool {
	k, err := parseThreadID(conv.ThreadID)
	return err != nil || !isDM(k.Channel)
}
