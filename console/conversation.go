package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of what the conversation page loads.
const (
	// maxTranscript is how many of the newest messages the transcript shows.
	maxTranscript = 200
	// maxNoteEvents is how many of the conversation's newest events are searched for notes.
	maxNoteEvents = 500
)

// noteEvent is the type of the journey events that hold internal notes, and noteEventPayload their payload.
const noteEvent = "agent_note"

type noteEventPayload struct {
	Text      string `json:"text"`
	AgentName string `json:"agent_name"`
}

// convPage is the data of conversation.html and its fragments.
type convPage struct {
	User     journeystate.User
	CSRF     string
	Conv     journeystate.Conversation
	Customer journeystate.Customer
	Name     string // the customer's name, or "Visitor"
	// Identities are how the customer is known on each channel.
	Identities []journeystate.Identity
	// Handoff is the newest hand-off packet, nil when the conversation was never handed off.
	Handoff  *journeystate.Handoff
	Messages []shownMessage
	Notes    []shownNote
	// OwnerName names the agent who owns the conversation, "" when no agent does.
	OwnerName string
	// Agents are whom the conversation may be assigned to: every enabled user but its owner.
	Agents   []journeystate.User
	Teams    []string
	Outcomes []string
	Canned   []CannedReply
	Can      permissions
	// ClientID is the reply form's message id: a reply sent twice (a double click, a resend) is stored once.
	ClientID string
	Now      time.Time
}

// permissions say which actions the page offers the signed-in agent. The desk enforces the switchboard on its own;
// these keep the page from offering what would be refused, and Assign's rule is the console's (the desk does not
// know roles).
type permissions struct {
	Take, Assign, Transfer, HandBack, Close, Reply bool
}

// shownMessage is a message as the transcript shows it.
type shownMessage struct {
	journeystate.Message
	// Who names the author for people and assistive technology: "Customer Jane", "Agent Sam", "Assistant".
	Who string
	// Notice is the words of a system notice ("Sam joined"), "" for other messages.
	Notice string
}

type shownNote struct {
	Time      time.Time
	AgentName string
	Text      string
}

var outcomes = []string{journeystate.OutcomeResolved, journeystate.OutcomeUnresolved, journeystate.OutcomeFollowUp,
	journeystate.OutcomeSpam, journeystate.OutcomeAbandoned}

func (c *Console) conversation(w http.ResponseWriter, r *http.Request) {
	c.serveConversation(w, r, "conversation.html")
}

func (c *Console) transcriptFragment(w http.ResponseWriter, r *http.Request) {
	c.serveConversation(w, r, "transcript")
}

func (c *Console) notesFragment(w http.ResponseWriter, r *http.Request) {
	c.serveConversation(w, r, "notes")
}

func (c *Console) actionsFragment(w http.ResponseWriter, r *http.Request) {
	c.serveConversation(w, r, "actions")
}

func (c *Console) serveConversation(w http.ResponseWriter, r *http.Request, name string) {
	p, err := c.loadConversation(r.Context(), r.PathValue("id"))
	if err != nil {
		c.deskError(w, r, "load conversation", err)
		return
	}
	c.render(w, http.StatusOK, name, p)
}

// loadConversation reads everything the conversation page shows. Only a missing conversation is an error the agent
// sees as such (ErrNotFound); a missing customer or packet leaves its part of the page empty.
func (c *Console) loadConversation(ctx context.Context, id string) (convPage, error) {
	u, _ := UserFrom(ctx)
	conv, err := c.records.Conversation(ctx, id)
	if err != nil {
		return convPage{}, fmt.Errorf("load conversation %s: %w", id, err)
	}
	clientID, err := newToken()
	if err != nil {
		return convPage{}, err
	}
	p := convPage{User: u, CSRF: CSRFToken(ctx), Conv: conv, Name: "Visitor", Teams: c.teams, Outcomes: outcomes,
		Canned: c.canned, ClientID: "console:" + clientID, Now: c.now()}
	if p.Customer, err = c.records.Customer(ctx, conv.CustomerID); err == nil {
		if p.Customer.Profile.Name != "" {
			p.Name = p.Customer.Profile.Name
		}
		if p.Identities, err = c.records.Identities(ctx, conv.CustomerID); err != nil {
			return p, fmt.Errorf("load identities of %s: %w", conv.CustomerID, err)
		}
	} else if !errors.Is(err, journeystate.ErrNotFound) {
		return p, fmt.Errorf("load customer %s: %w", conv.CustomerID, err)
	}
	switch h, err := c.records.LatestHandoff(ctx, id); {
	case err == nil:
		p.Handoff = &h
	case !errors.Is(err, journeystate.ErrNotFound):
		return p, fmt.Errorf("load hand-off of %s: %w", id, err)
	}
	msgs, err := c.records.RecentMessages(ctx, id, maxTranscript)
	if err != nil {
		return p, fmt.Errorf("load messages of %s: %w", id, err)
	}
	for _, m := range msgs {
		p.Messages = append(p.Messages, show(m, p.Name))
	}
	if p.Notes, err = c.loadNotes(ctx, id); err != nil {
		return p, err
	}
	users, err := c.users.Users(ctx)
	if err != nil {
		return p, fmt.Errorf("list users: %w", err)
	}
	for _, a := range users {
		if a.ID == conv.AgentID && conv.Owner == journeystate.OwnerAgent {
			p.OwnerName = a.Name
			continue
		}
		if !a.Disabled {
			p.Agents = append(p.Agents, a)
		}
	}
	p.Can = allowed(u, conv, len(c.teams) > 0)
	return p, nil
}

// allowed says what u may do with conv.
func allowed(u journeystate.User, conv journeystate.Conversation, teams bool) permissions {
	mine := conv.Owner == journeystate.OwnerAgent && conv.AgentID == u.ID
	manager := u.Role.Allows(journeystate.RoleManager)
	return permissions{
		Take:     conv.Owner == journeystate.OwnerQueue || conv.Owner == journeystate.OwnerBot || conv.Owner == journeystate.OwnerClosed,
		Assign:   (manager && (conv.Owner == journeystate.OwnerQueue || conv.Owner == journeystate.OwnerAgent)) || mine,
		Transfer: mine && teams,
		HandBack: mine,
		Close:    mine || conv.Owner == journeystate.OwnerQueue,
		Reply:    mine,
	}
}

// loadNotes returns the conversation's internal notes, oldest first.
func (c *Console) loadNotes(ctx context.Context, id string) ([]shownNote, error) {
	events, err := c.records.Events(ctx, journeystate.EventQuery{ConversationID: id, Limit: maxNoteEvents, Newest: true})
	if err != nil {
		return nil, fmt.Errorf("load events of %s: %w", id, err)
	}
	var notes []shownNote
	for _, e := range events {
		if e.Type != noteEvent {
			continue
		}
		var p noteEventPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			c.log.Warn("console: malformed note", "event", e.ID, "err", err)
			continue
		}
		notes = append(notes, shownNote{Time: e.Time, AgentName: p.AgentName, Text: p.Text})
	}
	return notes, nil
}

// show says who wrote m and what a notice announces.
func show(m journeystate.Message, customer string) shownMessage {
	s := shownMessage{Message: m}
	agent := m.Meta.AgentName
	switch m.Author {
	case journeystate.ActorCustomer:
		s.Who = "Customer " + customer
	case journeystate.ActorBot:
		s.Who = "Assistant"
	case journeystate.ActorAgent:
		s.Who = strings.TrimSpace("Agent " + agent)
	default:
		s.Who = "Notice"
		if agent == "" {
			agent = "An agent"
		}
		switch m.Meta.Notice {
		case journeystate.NoticeAgentJoined:
			s.Notice = agent + " joined the conversation."
		case journeystate.NoticeAgentLeft:
			s.Notice = agent + " left the conversation."
		case journeystate.NoticeBotBack:
			s.Notice = "The assistant is back."
		case journeystate.NoticeClosed:
			s.Notice = "The conversation was closed."
		}
	}
	return s
}
