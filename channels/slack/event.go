package slack

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The parser reads only the fields journeybot uses, with its own small structs rather than slackevents.ParseEvent:
// since v0.34 slackevents rejects a whole event when any block or attachment in it is malformed, and a customer's
// message must not be lost to a block journeybot never reads. It validates every id that goes into a key or a
// thread id, so that hostile input cannot forge one.

// kind is what an event asks journeybot to do.
type kind int

const (
	kindIgnore      kind = iota // nothing: not for journeybot (Reason says why)
	kindChallenge               // url_verification: answer Challenge
	kindMessage                 // a customer message (a DM to the app or a mention of it)
	kindEdit                    // a message was edited (message_changed)
	kindDelete                  // a message was deleted (message_deleted)
	kindThreadReply             // a channel message in a thread, without a mention: answered when the thread is the sender's conversation
)

// event is one Events API delivery as journeybot understands it.
type event struct {
	Kind      kind
	Reason    string // for kindIgnore
	Challenge string // for kindChallenge

	EventID string
	TeamID  string // the workspace the event was delivered for
	// Channel, TS and ThreadTS place the message; TS is the message's own ts (for kindDelete the deleted one's).
	Channel, TS, ThreadTS string
	// User and UserTeam are the author (UserTeam "" when the event does not say: TeamID is the author's team).
	User, UserTeam string
	BotID          string // set on messages a bot (maybe journeybot) wrote
	Mention        bool   // an app_mention event
	Text           string // Slack-encoded text, as Slack sent it
	EditTS         string // for kindEdit: edited.ts, when Slack gives it
	// Files are the links of the files shared with the message (a screenshot), kept as links in the transcript.
	Files []fileLink
}

// fileLink is a file shared in a message: its name and its link in Slack.
type fileLink struct{ Name, URL string }

// maxFiles bounds the file links kept of one message.
const maxFiles = 10

// errBadEvent marks a delivery that is not a well-formed Events API payload.
var errBadEvent = errors.New("bad event")

type wireEnvelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	TeamID    string          `json:"team_id"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

type wireMessage struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	User        string `json:"user"`
	UserTeam    string `json:"user_team"`
	Team        string `json:"team"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
	DeletedTS   string `json:"deleted_ts"`
	Edited      *struct {
		TS string `json:"ts"`
	} `json:"edited"`
	Message         *wireMessage `json:"message"`
	PreviousMessage *wireMessage `json:"previous_message"`
	Files           []struct {
		Name      string `json:"name"`
		Permalink string `json:"permalink"`
	} `json:"files"`
}

// parseEvent reads an Events API payload (the HTTP body, or a Socket Mode envelope's payload). It returns an error
// wrapping errBadEvent for anything that is not JSON of the expected shape, or whose ids are malformed; events that
// are well formed but not for journeybot come back as kindIgnore with a Reason. It never panics.
func parseEvent(body []byte) (event, error) {
	var env wireEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return event{}, fmt.Errorf("%w: %v", errBadEvent, err)
	}
	switch env.Type {
	case "url_verification":
		if env.Challenge == "" || len(env.Challenge) > 256 {
			return event{}, fmt.Errorf("%w: url_verification without a usable challenge", errBadEvent)
		}
		return event{Kind: kindChallenge, Challenge: env.Challenge}, nil
	case "event_callback":
	case "":
		return event{}, fmt.Errorf("%w: no type", errBadEvent)
	default:
		return event{Kind: kindIgnore, Reason: "envelope type " + env.Type}, nil
	}
	if env.EventID == "" || len(env.EventID) > 64 || !validID(env.TeamID) {
		return event{}, fmt.Errorf("%w: event_callback without a valid event_id and team_id", errBadEvent)
	}
	var m wireMessage
	if err := json.Unmarshal(env.Event, &m); err != nil {
		return event{}, fmt.Errorf("%w: inner event: %v", errBadEvent, err)
	}
	ev := event{EventID: env.EventID, TeamID: env.TeamID, Channel: m.Channel}
	switch {
	case m.Type == "app_mention":
		ev.Kind, ev.Mention = kindMessage, true
	case m.Type != "message":
		return ignore(ev, "event type "+m.Type), nil
	case m.Subtype == "message_changed":
		if m.Message == nil {
			return event{}, fmt.Errorf("%w: message_changed without message", errBadEvent)
		}
		ev.Kind = kindEdit
		if m.Message.Edited != nil {
			ev.EditTS = m.Message.Edited.TS
		}
		m = *m.Message
	case m.Subtype == "message_deleted":
		if m.PreviousMessage == nil {
			return event{}, fmt.Errorf("%w: message_deleted without previous_message", errBadEvent)
		}
		ev.Kind = kindDelete
		deleted := m.DeletedTS
		m = *m.PreviousMessage
		if deleted != "" {
			m.TS = deleted
		}
	case m.Subtype == "bot_message":
		return ignore(ev, "bot message"), nil
	case m.Subtype == "" || m.Subtype == "file_share" || m.Subtype == "thread_broadcast":
		// Outside a DM a plain message is answered as the app_mention Slack sends for it too, or, in a thread, when
		// the thread is already the sender's conversation with the bot (a follow-up needs no new mention).
		ev.Kind = kindMessage
		if m.ChannelType != "im" && !isDM(m.Channel) {
			if m.ThreadTS == "" {
				return ignore(ev, "channel message without a mention"), nil
			}
			ev.Kind = kindThreadReply
		}
	default:
		return ignore(ev, "message subtype "+m.Subtype), nil
	}
	ev.TS, ev.ThreadTS, ev.User, ev.UserTeam, ev.BotID, ev.Text = m.TS, m.ThreadTS, m.User, m.UserTeam, m.BotID, m.Text
	for _, f := range m.Files {
		if len(ev.Files) == maxFiles {
			break
		}
		if u, err := url.Parse(f.Permalink); err == nil && u.Scheme == "https" && u.Host != "" {
			ev.Files = append(ev.Files, fileLink{Name: truncate(strings.TrimSpace(f.Name), 200), URL: f.Permalink})
		}
	}
	if ev.UserTeam == "" {
		ev.UserTeam = m.Team
	}
	if ev.BotID != "" {
		return ignore(ev, "bot message"), nil
	}
	if ev.EditTS != "" && !validTS(ev.EditTS) {
		ev.EditTS = ""
	}
	switch {
	case !validID(ev.Channel):
		return event{}, fmt.Errorf("%w: channel %q", errBadEvent, ev.Channel)
	case !validTS(ev.TS):
		return event{}, fmt.Errorf("%w: ts %q", errBadEvent, ev.TS)
	case ev.ThreadTS != "" && !validTS(ev.ThreadTS):
		return event{}, fmt.Errorf("%w: thread_ts %q", errBadEvent, ev.ThreadTS)
	case ev.UserTeam != "" && !validID(ev.UserTeam):
		return event{}, fmt.Errorf("%w: team %q", errBadEvent, ev.UserTeam)
	case ev.User == "":
		return ignore(ev, "no user"), nil
	case !validID(ev.User):
		return event{}, fmt.Errorf("%w: user %q", errBadEvent, ev.User)
	}
	return ev, nil
}

func ignore(ev event, reason string) event {
	ev.Kind, ev.Reason = kindIgnore, reason
	return ev
}

// thread returns where the event's message belongs.
func (ev event) thread() threadKey { return threadOf(ev.Channel, ev.TS, ev.ThreadTS) }

// userKey returns the author's id as journeybot knows it on Slack: "TEAM:USER", with the author's own team (a
// Slack Connect guest's is not the workspace's).
func (ev event) userKey() string { return cmp.Or(ev.UserTeam, ev.TeamID) + ":" + ev.User }

// messageKey is the message's idempotency key: Slack's retries of one event, and the message and app_mention
// events Slack may send for one message, all carry the same channel and ts.
func (ev event) messageKey() string { return "slack:" + ev.Channel + ":" + ev.TS }
