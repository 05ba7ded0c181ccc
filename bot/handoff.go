package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// EventHandoff is the event SetOwner stores with a hand-off's packet as its payload.
const EventHandoff = "handoff"

// SourceHandoff marks the bot message that tells a customer their conversation was handed to people.
const SourceHandoff = "handoff"

// HandoffConfig says when and to whom conversations are handed to people. Its zero value hands nothing off: no
// trigger fires and the model gets no handoff_to_agent tool.
type HandoffConfig struct {
	// Enabled turns hand-offs on.
	Enabled bool
	// Teams are the teams conversations are routed to (routing.Validate checks them); none: one queue that every
	// agent works.
	Teams []routing.Team
	// RequestPhrases are what a customer says to ask for a person ("talk to a human"), matched ignoring case in
	// their messages: without a model, the only way a request is found. RequestIntent is the journey map's intent
	// that means the same ("talk_to_human"), recorded by the model or by the map's phrases.
	RequestPhrases []string
	RequestIntent  string
	// NegativePhrases mark a customer message as negative in sentiment ("useless", "ridiculous"), for rules with
	// NegativeTurns.
	NegativePhrases []string
	// Rules hand a conversation off when the customer's journey says a person should help.
	Rules []HandoffRule
	// RuleCooldown is how long after a rule handed a customer off the same rule does not fire again for them, so
	// that a conversation handed back or reopened does not go straight back to the queue; default 24 h.
	RuleCooldown time.Duration
	// AverageHandle is how long an agent takes per conversation, for the expected wait a customer is told; default
	// 6 minutes.
	AverageHandle time.Duration
	// Agents lists the console users (their teams, status and capacity); nil: nobody is assigned automatically and
	// the expected wait is not known.
	Agents AgentDirectory
	// AutoAssign gives queued conversations to online agents of their team with free capacity (Dispatch).
	AutoAssign bool
	// CloseIdleAfter closes the bot's conversations that have been quiet this long (Dispatch), with the outcome
	// resolved: a conversation the bot contained ends, and counts as contained. 0 never closes them.
	CloseIdleAfter time.Duration
}

// AgentDirectory lists the people who work conversations; journeystate.UserStore implements it.
type AgentDirectory interface {
	Users(ctx context.Context) ([]journeystate.User, error)
}

// HandoffRule hands a conversation off when every condition it sets holds. Rules are checked before the bot
// answers a message, except rules with Unanswered, which are checked when an answer could not be given.
type HandoffRule struct {
	Name string `yaml:"name"`
	// Stage: the customer is in this journey stage.
	Stage string `yaml:"stage"`
	// Intent: the newest intent detected in the conversation is this one.
	Intent string `yaml:"intent"`
	// NegativeTurns: the customer's last this many messages were all negative (HandoffConfig.NegativePhrases).
	NegativeTurns int `yaml:"negative_turns"`
	// Unanswered: this many of the bot's answers in the conversation could not answer (MessageMeta.Unknown).
	Unanswered int `yaml:"unanswered"`
	// Trait: the customer has this trait: "vip" (any value but "" and "false") or "plan=enterprise".
	Trait string `yaml:"trait"`
	// Urgency of the hand-off (default normal); Team routes it there instead of by skills; Reason is what the
	// agent reads (default: the conditions).
	Urgency journeystate.Urgency `yaml:"urgency"`
	Team    string               `yaml:"team"`
	Reason  string               `yaml:"reason"`
}

// Validate returns an error naming every problem of c against the journey map j: teams that routing refuses, rules
// without a name or a condition, unknown stages, intents, teams and urgencies.
func (c HandoffConfig) Validate(j journeystate.JourneyMap) error {
	var errs []error
	if err := routing.Validate(c.Teams); err != nil {
		errs = append(errs, err)
	}
	teams := make(map[string]bool)
	for _, t := range c.Teams {
		teams[t.Name] = true
	}
	intents := make(map[string]bool)
	for _, in := range j.Intents {
		intents[in.Name] = true
	}
	if c.RequestIntent != "" && !intents[c.RequestIntent] {
		errs = append(errs, fmt.Errorf("handoff.request_intent %q is not an intent of the journey map", c.RequestIntent))
	}
	seen := make(map[string]bool)
	for i, r := range c.Rules {
		where := fmt.Sprintf("handoff.rules[%d]", i)
		if r.Name != "" {
			where = fmt.Sprintf("handoff rule %q", r.Name)
		}
		bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(where+": "+format, args...)) }
		switch {
		case strings.TrimSpace(r.Name) == "":
			bad("a rule needs a name")
		case seen[r.Name]:
			bad("the name is used twice")
		}
		seen[r.Name] = true
		if r.Stage == "" && r.Intent == "" && r.NegativeTurns <= 0 && r.Unanswered <= 0 && r.Trait == "" {
			bad("a rule needs a condition (stage, intent, negative_turns, unanswered or trait)")
		}
		if r.Stage != "" && !slices.Contains(j.StageNames(), r.Stage) {
			bad("stage %q is not a stage of the journey map", r.Stage)
		}
		if r.Intent != "" && !intents[r.Intent] {
			bad("intent %q is not an intent of the journey map", r.Intent)
		}
		if r.NegativeTurns < 0 || r.Unanswered < 0 {
			bad("negative_turns and unanswered cannot be negative")
		}
		if r.NegativeTurns > 0 && len(c.NegativePhrases) == 0 {
			bad("negative_turns needs handoff.negative_phrases")
		}
		switch r.Urgency {
		case "", journeystate.UrgencyLow, journeystate.UrgencyNormal, journeystate.UrgencyHigh:
		default:
			bad("urgency %q is not low, normal or high", r.Urgency)
		}
		if r.Team != "" && !teams[r.Team] {
			bad("team %q is not a team of handoff.teams", r.Team)
		}
	}
	return errors.Join(errs...)
}

func (c HandoffConfig) ruleCooldown() time.Duration {
	return cmp.Or(c.RuleCooldown, 24*time.Hour)
}

func (c HandoffConfig) averageHandle() time.Duration {
	return cmp.Or(c.AverageHandle, 6*time.Minute)
}

func (c HandoffConfig) team(name string) (routing.Team, bool) {
	for _, t := range c.Teams {
		if t.Name == name {
			return t, true
		}
	}
	return routing.Team{}, false
}

// HandOff hands the bot's conversation to people: it builds the packet (the model's summary when one is
// configured, an extractive one when not), routes it to a team, queues the conversation with its packet in one
// transaction (or, for an agent taking over, gives it to that agent), tells the customer what happens next (their
// place in the queue and the expected wait, or when the team is back and on which channel), and reports the
// Update. It returns the conversation as it now is and the packet. A conversation the bot no longer owns gives a
// *TransitionError.
func (e *Engine) HandOff(ctx context.Context, convID string, req HandoffRequest) (journeystate.Conversation, journeystate.Handoff, error) {
	conv, err := e.cfg.Store.Conversation(ctx, convID)
	if err != nil {
		return journeystate.Conversation{}, journeystate.Handoff{}, fmt.Errorf("hand off: %w", err)
	}
	return e.handOff(ctx, conv, req, "")
}

// handOff does HandOff for conv; replyTo, when set, is the customer message whose turn the notice answers (it is
// stored as that turn's reply, so the message is not answered twice).
func (e *Engine) handOff(ctx context.Context, conv journeystate.Conversation, req HandoffRequest, replyTo string) (journeystate.Conversation, journeystate.Handoff, error) {
	fail := func(err error) (journeystate.Conversation, journeystate.Handoff, error) {
		return journeystate.Conversation{}, journeystate.Handoff{}, fmt.Errorf("hand off conversation %s: %w", conv.ID, err)
	}
	if !journeystate.ValidTrigger(req.Trigger) {
		return fail(fmt.Errorf("unknown trigger %q", req.Trigger))
	}
	if (req.Trigger == journeystate.TriggerAgent) != (req.Agent.ID != "") {
		return fail(errors.New("an agent takes a conversation over with trigger agent, and only then"))
	}
	if conv.Owner != journeystate.OwnerBot {
		return fail(&journeystate.TransitionError{From: conv.Owner, FromAgentID: conv.AgentID, To: journeystate.OwnerQueue,
			Actor: req.Actor, Reason: "only a conversation the bot owns is handed off"})
	}
	cust, err := e.cfg.Store.Customer(ctx, conv.CustomerID)
	if err != nil {
		return fail(err)
	}
	msgs, err := e.cfg.Store.RecentMessages(ctx, conv.ID, unansweredWindow)
	if err != nil {
		return fail(err)
	}
	events, err := e.cfg.Store.Events(ctx, journeystate.EventQuery{CustomerID: cust.ID, Limit: e.cfg.TimelineEvents, Newest: true})
	if err != nil {
		return fail(err)
	}
	now := e.cfg.Now()
	in := packetInput{
		ID: uuid.NewString(), Conversation: conv, Customer: cust, Messages: msgs, Events: events,
		Reason: cmp.Or(strings.TrimSpace(req.Reason), defaultReason(req.Trigger)), Trigger: req.Trigger,
		Urgency: req.Urgency, Sentiment: req.Sentiment, Intent: req.Intent, Confidence: req.Confidence,
		Language: req.Language, Now: now,
	}
	if e.cfg.Model != nil && len(msgs) > 0 {
		if s, err := e.modelSummary(ctx, conv, "", msgs); err == nil {
			in.ModelSummary = s
		} else {
			e.log.Warn("hand-off: model summary failed; an extractive one is used", "conversation", conv.ID, "err", err)
		}
	}
	packet := buildPacket(in)
	team := req.team
	if team == "" && len(e.cfg.Handoff.Teams) > 0 {
		if t, ok := routing.Route(routingItem(conv, packet), e.cfg.Handoff.Teams); ok {
			team = t.Name
		}
	}
	packet.Team = team
	change := journeystate.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: journeystate.OwnerQueue,
		Actor: cmp.Or(req.Actor, journeystate.ActorBot), Cause: req.Trigger, Team: team, Handoff: &packet}
	if req.Agent.ID != "" {
		change.Owner, change.AgentID, change.Actor = journeystate.OwnerAgent, req.Agent.ID, journeystate.ActorAgent
	}
	after, err := e.cfg.Store.SetOwner(ctx, conv.ID, change)
	if err != nil {
		return fail(err)
	}
	e.cfg.Metrics.handoff(req.Trigger, cust.Stage)
	e.publish(channels.Update{Kind: channels.UpdateOwner, Conversation: after, Change: change, Handoff: &packet, Agent: req.Agent})

	if req.Agent.ID != "" {
		e.notice(ctx, after, journeystate.NoticeAgentJoined, req.Agent, replyTo)
		return after, packet, nil
	}
	text := "I'm handing this conversation to a person on our team. " + e.promise(ctx, after, cust).Text
	if _, err := e.say(ctx, after, journeystate.Message{
		Author: journeystate.ActorBot, ClientID: "handoff:" + packet.ID, Text: text,
		Meta: journeystate.MessageMeta{Source: SourceHandoff, ReplyTo: replyTo},
	}); err != nil {
		e.log.Error("hand-off: store the notice", "conversation", conv.ID, "err", err)
	}
	return after, packet, nil
}

// defaultReason is a packet's reason when the trigger gave none.
func defaultReason(trigger string) string {
	switch trigger {
	case journeystate.TriggerCustomerRequest:
		return "The customer asked for a person."
	case journeystate.TriggerAgent:
		return "An agent took the conversation over."
	case journeystate.TriggerModel:
		return "The assistant asked for a person's help."
	}
	return "Rule " + strings.TrimPrefix(trigger, journeystate.TriggerRulePrefix)
}

// urgencyPriority orders the queue: higher first.
func urgencyPriority(u journeystate.Urgency) int {
	switch u {
	case journeystate.UrgencyHigh:
		return 2
	case journeystate.UrgencyLow:
		return 0
	}
	return 1
}

// vip reports whether the customer's traits mark them as a VIP.
func vip(traits map[string]string) bool {
	v := strings.TrimSpace(traits["vip"])
	return v != "" && !strings.EqualFold(v, "false") && v != "0"
}

// routingItem is how routing sees a conversation and its packet.
func routingItem(conv journeystate.Conversation, p journeystate.Handoff) routing.Item {
	prio := urgencyPriority(p.Urgency)
	if vip(p.Traits) {
		prio++
	}
	return routing.Item{ConversationID: conv.ID, Priority: prio, Stage: p.Stage, Intent: p.Intent,
		Language: p.Language, VIP: vip(p.Traits), EnqueuedAt: conv.OwnerSince, Team: conv.Team}
}

// promise is what the customer of a just-queued conversation is told: their place and wait while the team works,
// when it is back and where they will hear from it when it does not.
func (e *Engine) promise(ctx context.Context, conv journeystate.Conversation, cust journeystate.Customer) routing.Notice {
	team, _ := e.cfg.Handoff.team(conv.Team)
	w := routing.Waiting{Channel: conv.Channel, HasContact: cust.Profile.Email != "" || cust.Profile.Phone != ""}
	queued, err := e.cfg.Store.Conversations(ctx, journeystate.ConversationQuery{Owner: journeystate.OwnerQueue, Team: conv.Team})
	if err == nil {
		for i, c := range queued {
			if c.ID == conv.ID {
				w.Position = i + 1
			}
		}
	}
	if online := e.onlineAgents(ctx, conv.Team); online > 0 {
		w.Wait = routing.ExpectedWait(w.Position, online, e.cfg.Handoff.averageHandle())
	}
	return routing.Promise(team, e.cfg.Now(), w)
}

// onlineAgents counts the online agents of team (of every team when team is "").
func (e *Engine) onlineAgents(ctx context.Context, team string) int {
	if e.cfg.Handoff.Agents == nil {
		return 0
	}
	users, err := e.cfg.Handoff.Agents.Users(ctx)
	if err != nil {
		e.log.Warn("hand-off: list agents", "err", err)
		return 0
	}
	n := 0
	for _, u := range users {
		if !u.Disabled && u.Status == journeystate.StatusOnline && (team == "" || slices.Contains(u.Teams, team)) {
			n++
		}
	}
	return n
}
