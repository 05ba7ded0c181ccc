package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// The packet's buttons. A click arrives as a block_actions interaction (POST /slack/interactive, or a Socket Mode
// interactive envelope), is acknowledged at once, and is worked after that on a goroutine of its own with its own
// deadline: Slack shows the clicker an error when the answer takes 3 s, and the Desk delivers on the customer's
// channel, which may take longer.

const (
	// maxActions bounds the clicks worked at once over HTTP; past it a click gets 503 (Slack shows the clicker
	// that it failed, and they click again).
	maxActions = 64
	// actionWait bounds the work of one click: the Desk call and the posts that say how it went.
	actionWait = 20 * time.Second
	// maxConvIDLen bounds a button's conversation id.
	maxConvIDLen = 128
)

// interaction is one click on a packet's button, as journeybot understands it.
type interaction struct {
	Action string // actionTake, actionHandBack or actionClose
	ConvID string // the button's value, or the Close select's from its block id
	// Outcome is a Close's outcome (journeystate.ValidOutcome): the selected option's value, resolved for the
	// Close button of packets posted before the select.
	Outcome string
	// TeamID, UserID and UserName are the clicker (UserName as the payload gives it, a fallback for users.info).
	TeamID, UserID, UserName string
	// Where is the packet's thread: its channel and its ts.
	Where threadKey
}

// errBadInteraction marks a payload that is not a well-formed interaction.
var errBadInteraction = errors.New("bad interaction")

// parseInteractionForm reads an interactivity request's body, form-encoded payload=JSON; see parseInteraction.
func parseInteractionForm(body []byte) (interaction, bool, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return interaction{}, false, fmt.Errorf("%w: form: %v", errBadInteraction, err)
	}
	payload := form.Get("payload")
	if payload == "" {
		return interaction{}, false, fmt.Errorf("%w: no payload", errBadInteraction)
	}
	return parseInteraction([]byte(payload))
}

// parseInteraction reads an interaction payload (JSON) with slack-go's InteractionCallback. It returns ok false
// and no error for a well-formed one that is not a click on a packet's button or Close select (another type, an
// unknown action id), and an error wrapping errBadInteraction for malformed JSON, a click whose ids are not Slack's
// (they become parts of keys and link ids) or a Close whose outcome is not one. It never panics.
func parseInteraction(payload []byte) (ia interaction, ok bool, err error) {
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		return interaction{}, false, fmt.Errorf("%w: %v", errBadInteraction, err)
	}
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return interaction{}, false, nil
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act != nil && (act.ActionID == actionTake || act.ActionID == actionHandBack || act.ActionID == actionClose) {
			ia.Action, ia.ConvID = act.ActionID, act.Value
			if act.ActionID == actionClose {
				ia.Outcome = journeystate.OutcomeResolved
				if act.Type != slackapi.ActionType(slackapi.METButton) { // the Close select
					var found bool
					if ia.ConvID, found = strings.CutPrefix(act.BlockID, actionsBlockPrefix); !found {
						ia.ConvID = "" // not a packet's block: refused below
					}
					ia.Outcome = act.SelectedOption.Value
				}
			}
			break // one click is one action; Slack sends no more
		}
	}
	if ia.Action == "" {
		return interaction{}, false, nil
	}
	if ia.Action == actionClose && !journeystate.ValidOutcome(ia.Outcome) {
		return interaction{}, false, fmt.Errorf("%w: outcome %q", errBadInteraction, ia.Outcome)
	}
	ia.TeamID = cmp.Or(cb.User.TeamID, cb.Team.ID)
	ia.UserID = cb.User.ID
	ia.UserName = cmp.Or(cb.User.Name, cb.User.Username)
	ia.Where.Channel = cmp.Or(cb.Container.ChannelID, cb.Channel.ID)
	// The packet is a thread's root: its own ts is the thread's.
	ia.Where.ThreadTS = cmp.Or(cb.Container.ThreadTs, cb.Container.MessageTs, cb.Message.ThreadTimestamp, cb.Message.Timestamp)
	switch {
	case !validID(ia.UserID):
		return interaction{}, false, fmt.Errorf("%w: user %q", errBadInteraction, ia.UserID)
	case !validID(ia.TeamID):
		return interaction{}, false, fmt.Errorf("%w: team %q", errBadInteraction, ia.TeamID)
	case !validID(ia.Where.Channel):
		return interaction{}, false, fmt.Errorf("%w: channel %q", errBadInteraction, ia.Where.Channel)
	case !validTS(ia.Where.ThreadTS):
		return interaction{}, false, fmt.Errorf("%w: message ts %q", errBadInteraction, ia.Where.ThreadTS)
	case !validConvID(ia.ConvID):
		return interaction{}, false, fmt.Errorf("%w: conversation id %q", errBadInteraction, ia.ConvID)
	}
	return ia, true, nil
}

// validConvID reports whether s can be a conversation id: printable, no spaces, at most maxConvIDLen bytes.
func validConvID(s string) bool {
	if s == "" || len(s) > maxConvIDLen {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) })
}

// handleInteractive takes one interactivity request: limit the body, verify the signature (as handleEvents does),
// parse, answer, and work the click after answering. Statuses: 200 taken or ignored; 400 malformed; 401 bad or
// stale signature; 413 too large; 503 too many clicks being worked.
func (a *Adapter) handleInteractive(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verifiedBody(w, r)
	if !ok {
		return
	}
	ia, ok, err := parseInteractionForm(body)
	if err != nil {
		a.log.Warn("slack: refused a malformed interaction", "err", err)
		a.refuse(w, http.StatusBadRequest, "bad_event", "malformed interaction")
		return
	}
	if !ok || !a.deskReady() {
		a.metrics.event("http", "ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	select {
	case a.actions <- struct{}{}:
	default:
		a.refuse(w, http.StatusServiceUnavailable, "error", "busy, try again")
		return
	}
	a.metrics.event("http", "action")
	w.WriteHeader(http.StatusOK)
	go func() {
		defer func() { <-a.actions }()
		ctx, cancel := context.WithTimeout(context.Background(), actionWait)
		defer cancel()
		a.act(ctx, ia)
	}()
}

// handleInteractiveEnvelope works one Socket Mode interactive envelope, which RunSocketMode has acknowledged.
func (a *Adapter) handleInteractiveEnvelope(ctx context.Context, req socketmode.Request) {
	ia, ok, err := parseInteraction(req.Payload)
	switch {
	case err != nil:
		a.metrics.event("socket", "bad_event")
		a.log.Warn("slack: refused a malformed interaction", "err", err)
		return
	case !ok || !a.deskReady():
		a.metrics.event("socket", "ignored")
		return
	}
	a.metrics.event("socket", "action")
	ctx, cancel := context.WithTimeout(ctx, actionWait)
	defer cancel()
	a.act(ctx, ia)
}

// act works one click: the clicker must be of the app's own workspace and the packet's thread linked to the
// button's conversation; then the Desk acts, and the thread says who did what, or the clicker alone is told why
// it did not happen.
func (a *Adapter) act(ctx context.Context, ia interaction) {
	tell := func(text string) {
		if err := a.ephemeral(ctx, ia.Where, ia.UserID, text); err != nil {
			a.log.Warn("slack: tell the clicker", "err", err)
		}
	}
	if !a.isAgentChannel(ia.Where.Channel) {
		a.log.Warn("slack: a hand-off button outside the agent channels", "channel", ia.Where.Channel)
		return
	}
	if a.self.TeamID != "" && ia.TeamID != a.self.TeamID {
		// A Slack Connect guest in an agent channel is not one of the company's agents.
		tell("Only members of this workspace can work hand-offs.")
		return
	}
	linked, err := a.opts.Links.LinkedConversation(ctx, LinkAgentThread, linkID(ia.Where))
	switch {
	case errors.Is(err, journeystate.ErrNotFound) || (err == nil && linked != ia.ConvID):
		tell("This message is not a hand-off journeybot knows.")
		return
	case err != nil:
		a.log.Error("slack: look up the agent thread", "err", err)
		tell("That did not work; try again in a moment.")
		return
	}
	agent := a.agentFor(ctx, ia.TeamID, ia.UserID, ia.UserName)
	var done string
	switch ia.Action {
	case actionTake:
		_, err = a.opts.Desk.Take(ctx, ia.ConvID, agent)
		done = agent.Name + " took this conversation"
	case actionHandBack:
		_, err = a.opts.Desk.HandBack(ctx, ia.ConvID, agent)
		done = agent.Name + " handed it back to the bot"
	case actionClose:
		_, err = a.opts.Desk.Close(ctx, ia.ConvID, agent, ia.Outcome)
		done = agent.Name + " closed it: " + ia.Outcome
	}
	if err != nil {
		a.log.Info("slack: hand-off action refused", "action", ia.Action, "conversation", ia.ConvID, "err", err)
		tell(refusalText(ia.Action, agent, err))
		return
	}
	if _, err := a.postPlain(ctx, ia.Where, done); err != nil {
		a.log.Warn("slack: post the action's outcome", "err", err)
	}
}

// refusalText says to the clicker why their action did not happen: from the conversation's owner when the
// switchboard refused the change, in general words otherwise (the Desk's other errors are not told apart here).
func refusalText(action string, agent channels.Agent, err error) string {
	if te, ok := errors.AsType[*journeystate.TransitionError](err); ok {
		switch {
		case te.From == journeystate.OwnerAgent && te.FromAgentID == agent.ID && action == actionTake:
			return "You have this conversation already."
		case te.From == journeystate.OwnerAgent && te.FromAgentID != agent.ID:
			return "Someone else took this conversation."
		case te.From == journeystate.OwnerClosed:
			return "This conversation is closed."
		case te.From == journeystate.OwnerBot && action != actionTake:
			return "The bot has this conversation already."
		}
	}
	if errors.Is(err, journeystate.ErrConflict) {
		return "Someone else changed this conversation first."
	}
	switch action {
	case actionTake:
		return "Could not take this conversation; try again in a moment."
	case actionHandBack:
		return "Could not hand it back: only the agent who has the conversation can."
	default:
		return "Could not close it: take the conversation first."
	}
}
