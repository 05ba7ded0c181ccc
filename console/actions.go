package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of the agent's forms.
const (
	// maxTextChars bounds a reply and a note: the engine's default bound of a customer message (bot's
	// MaxMessageChars), so that an agent's reply fits every channel the customer's did.
	maxTextChars = 4000
	// maxClientIDBytes bounds the reply form's client id (the form makes "console:" and 43 characters).
	maxClientIDBytes = 128
)

// Refusals of the agent's forms; their text is shown as it is.
var (
	errNotOwner   = refuse(http.StatusConflict, "This conversation is no longer yours: someone else has it now. Reload the page to see it as it is now.")
	errNoAssign   = refuse(http.StatusForbidden, "Only a manager or the agent who has this conversation can assign it.")
	errNoAgent    = refuse(http.StatusBadRequest, "Choose an agent to assign the conversation to.")
	errNoTeam     = refuse(http.StatusBadRequest, "Choose one of the teams.")
	errNoOutcome  = refuse(http.StatusBadRequest, "Choose an outcome.")
	errEmptyText  = refuse(http.StatusBadRequest, "Write something first.")
	errLongText   = refuse(http.StatusBadRequest, "That is too long: at most 4000 characters.")
	errBadReplyID = refuse(http.StatusBadRequest, "The reply form is broken. Reload the page and try again.")
)

// action is one POST on a conversation: check what the desk cannot (the form, the console's own rules) → act →
// answer. act gets the conversation as the request found it, and the agent acting.
type action func(ctx context.Context, r *http.Request, conv journeystate.Conversation, u journeystate.User) error

// handle runs act on the conversation of the request's {id}, and on success redirects to next ("" for the
// conversation's page).
func (c *Console) handle(w http.ResponseWriter, r *http.Request, what, next string, act action) {
	ctx := r.Context()
	u, _ := UserFrom(ctx)
	id := r.PathValue("id")
	conv, err := c.records.Conversation(ctx, id)
	if err == nil {
		err = act(ctx, r, conv, u)
	}
	if err != nil {
		c.deskError(w, r, what, err)
		return
	}
	if next == "" {
		next = "/console/conversations/" + id
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func owns(u journeystate.User, conv journeystate.Conversation) bool {
	return conv.Owner == journeystate.OwnerAgent && conv.AgentID == u.ID
}

// take needs no check of its own: the desk refuses a conversation someone else has (a *TransitionError → 409).
func (c *Console) take(w http.ResponseWriter, r *http.Request) {
	c.handle(w, r, "take", "", func(ctx context.Context, r *http.Request, conv journeystate.Conversation, u journeystate.User) error {
		_, err := c.desk.Take(ctx, conv.ID, agentOf(u))
		return err
	})
}

// assign lets managers and admins give any conversation to an agent, and agents give away their own.
func (c *Console) assign(w http.ResponseWriter, r *http.Request) {
	c.handle(w, r, "assign", "/console/", func(ctx context.Context, r *http.Request, conv journeystate.Conversation, u journeystate.User) error {
		if !u.Role.Allows(journeystate.RoleManager) && !owns(u, conv) {
			if conv.Owner == journeystate.OwnerAgent {
				return errNotOwner
			}
			return errNoAssign
		}
		to, err := c.users.User(ctx, r.PostFormValue("agent"))
		if errors.Is(err, journeystate.ErrNotFound) || (err == nil && to.Disabled) {
			return errNoAgent
		}
		if err != nil {
			return err
		}
		_, err = c.desk.Assign(ctx, conv.ID, agentOf(to), agentOf(u))
		return err
	})
}

func (c *Console) transfer(w http.ResponseWriter, r *http.Request) {
	c.handle(w, r, "transfer", "/console/", func(ctx context.Context, r *http.Request, conv journeystate.Conversation, u journeystate.User) error {
		team := r.PostFormValue("team")
		if !slices.Contains(c.teams, team) {
			return errNoTeam
		}
		if !owns(u, conv) {
			return errNotOwner
		}
		_, err := c.desk.TransferToTeam(ctx, conv.ID, agentOf(u), team)
		return err
	})
}

func (c *Console) handBack(w http.ResponseWriter, r *http.Request) {
	c.handle(w, r, "hand back", "/console/", func(ctx context.Context, r *http.Request, conv journeystate.Conversation, u journeystate.User) error {
		if !owns(u, conv) {
			return errNotOwner
		}
		_, err := c.desk.HandBack(ctx, conv.ID, agentOf(u))
		return err
	})
}

// closeConversation closes the agent's own conversation, or a queued one (spam, a customer who left).
func (c *Console) closeConversation(w http.ResponseWriter, r *http.Request) {
	c.handle(w, r, "close", "/console/", func(ctx context.Context, r *http.Request, conv journeystate.Conversation, u journeystate.User) error {
		outcome := r.PostFormValue("outcome")
		if !journeystate.ValidOutcome(outcome) {
			return errNoOutcome
		}
		if !owns(u, conv) && conv.Owner != journeystate.OwnerQueue {
			return errNotOwner
		}
		_, err := c.desk.Close(ctx, conv.ID, agentOf(u), outcome)
		return err
	})
}

// formText returns the form's trimmed text field, or why it cannot be sent.
func formText(r *http.Request) (string, error) {
	text := strings.TrimSpace(r.PostFormValue("text"))
	switch {
	case text == "":
		return "", errEmptyText
	case !utf8.ValidString(text):
		return "", refuse(http.StatusBadRequest, "The text could not be read.")
	case utf8.RuneCountInString(text) > maxTextChars:
		return "", errLongText
	}
	return text, nil
}

// reply sends the agent's reply. From htmx it answers with a fresh, empty reply form (a new client id) and tells the
// transcript to reload; from a plain form it redirects to the conversation.
func (c *Console) reply(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, _ := UserFrom(ctx)
	id := r.PathValue("id")
	err := func() error {
		text, err := formText(r)
		if err != nil {
			return err
		}
		clientID := r.PostFormValue("client_id")
		if clientID == "" || len(clientID) > maxClientIDBytes || !utf8.ValidString(clientID) {
			return errBadReplyID
		}
		conv, err := c.records.Conversation(ctx, id)
		if err != nil {
			return err
		}
		if !owns(u, conv) {
			return errNotOwner
		}
		_, err = c.desk.Reply(ctx, id, agentOf(u), clientID, text)
		return err
	}()
	if err != nil {
		c.deskError(w, r, "reply", err)
		return
	}
	c.answerForm(w, r, id, "replyform", "transcript")
}

// note stores an internal note; any agent may write one on any conversation.
func (c *Console) note(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, _ := UserFrom(ctx)
	id := r.PathValue("id")
	text, err := formText(r)
	if err == nil {
		_, err = c.desk.Note(ctx, id, agentOf(u), text)
	}
	if err != nil {
		c.deskError(w, r, "note", err)
		return
	}
	c.answerForm(w, r, id, "noteform", "notes")
}

// answerForm answers a form sent from the conversation page: htmx gets the form fresh and an event (HX-Trigger)
// that reloads the part of the page the form changed; a plain form a redirect to the page.
func (c *Console) answerForm(w http.ResponseWriter, r *http.Request, id, form, event string) {
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, "/console/conversations/"+id, http.StatusSeeOther)
		return
	}
	p, err := c.loadConversation(r.Context(), id)
	if err != nil {
		c.deskError(w, r, "reload conversation", err)
		return
	}
	w.Header().Set("HX-Trigger", event)
	c.render(w, http.StatusOK, form, p)
}

// typing shows the customer that the agent who owns the conversation is writing (on=1) or stopped (on=0); console.js
// posts it while the agent types. It answers 204.
func (c *Console) typing(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, _ := UserFrom(ctx)
	on := r.PostFormValue("on") == "1"
	conv, err := c.records.Conversation(ctx, r.PathValue("id"))
	if err == nil && !owns(u, conv) {
		err = errNotOwner
	}
	if err == nil {
		err = c.desk.Typing(ctx, conv.ID, agentOf(u), on)
	}
	if err != nil {
		c.deskError(w, r, "typing", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
