package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// maxListed bounds each list of the workspace: the queue and the agent's own conversations.
const maxListed = 200

// workspacePage is the data of home.html and of its "lists" fragment.
type workspacePage struct {
	User     journeystate.User
	CSRF     string
	Statuses []journeystate.AgentStatus
	Queue    []convRow
	Mine     []convRow
}

// convRow is one conversation in a list: what an agent needs to pick the next one.
type convRow struct {
	ID       string
	Customer string // the profile's name, or "Visitor"
	Channel  string
	Stage    string
	Team     string
	// Reason, Trigger and Urgency come from the hand-off packet; empty when there is none.
	Reason  string
	Trigger string
	Urgency journeystate.Urgency
	Waiting string // how long the customer has waited, in words ("12 min")
}

// convTable is the data of the "convtable" template: one list of the workspace.
type convTable struct {
	Rows []convRow
	CSRF string
	List string // "queue" or "mine"
}

var statuses = []journeystate.AgentStatus{journeystate.StatusOnline, journeystate.StatusAway, journeystate.StatusOffline}

func (c *Console) workspace(w http.ResponseWriter, r *http.Request) {
	p, err := c.loadWorkspace(r)
	if err != nil {
		c.deskError(w, r, "load workspace", err)
		return
	}
	c.render(w, http.StatusOK, "home.html", p)
}

// queueFragment serves the queue and the agent's own conversations, for htmx to swap in.
func (c *Console) queueFragment(w http.ResponseWriter, r *http.Request) {
	p, err := c.loadWorkspace(r)
	if err != nil {
		c.deskError(w, r, "load queue", err)
		return
	}
	c.render(w, http.StatusOK, "lists", p)
}

func (c *Console) loadWorkspace(r *http.Request) (workspacePage, error) {
	ctx := r.Context()
	u, _ := UserFrom(ctx)
	p := workspacePage{User: u, CSRF: CSRFToken(ctx), Statuses: statuses}
	var err error
	if p.Queue, err = c.rows(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerQueue, Limit: maxListed}); err != nil {
		return p, err
	}
	p.Mine, err = c.rows(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerAgent, AgentID: u.ID, Limit: maxListed})
	return p, err
}

// rows loads the conversations q selects with their customers and packets. A customer or packet that is missing
// (a conversation taken over without a hand-off) leaves its columns empty.
func (c *Console) rows(ctx context.Context, q journeystate.ConversationQuery) ([]convRow, error) {
	convs, err := c.records.Conversations(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	now := c.now()
	rows := make([]convRow, 0, len(convs))
	for _, conv := range convs {
		row := convRow{ID: conv.ID, Customer: "Visitor", Channel: conv.Channel, Team: conv.Team}
		cust, err := c.records.Customer(ctx, conv.CustomerID)
		switch {
		case err == nil:
			row.Stage = cust.Stage
			if cust.Profile.Name != "" {
				row.Customer = cust.Profile.Name
			}
		case !errors.Is(err, journeystate.ErrNotFound):
			return nil, fmt.Errorf("load customer %s: %w", conv.CustomerID, err)
		}
		since := conv.OwnerSince
		h, err := c.records.LatestHandoff(ctx, conv.ID)
		switch {
		case err == nil:
			row.Reason, row.Trigger, row.Urgency = h.Reason, h.Trigger, h.Urgency
			if conv.Owner == journeystate.OwnerQueue && !h.WaitingSince.IsZero() {
				since = h.WaitingSince // the customer waits from their first unanswered message, not from the hand-off
			}
		case !errors.Is(err, journeystate.ErrNotFound):
			return nil, fmt.Errorf("load hand-off of %s: %w", conv.ID, err)
		}
		row.Waiting = waited(now.Sub(since))
		rows = append(rows, row)
	}
	return rows, nil
}

// waited says a duration in words an agent reads at a glance.
func waited(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d d %d h", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// setStatus sets the signed-in agent's status and goes back to the workspace.
func (c *Console) setStatus(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	st, err := journeystate.ParseAgentStatus(r.PostFormValue("status"))
	if err != nil {
		c.deskError(w, r, "set status", refuse(http.StatusBadRequest, "Choose online, away or offline."))
		return
	}
	if _, err := c.users.SetUserStatus(r.Context(), u.ID, st); err != nil {
		c.deskError(w, r, "set status", err)
		return
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}
