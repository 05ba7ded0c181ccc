package bot

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// The hand-off triggers a turn checks: the customer's request (phrases, the map's request intent), the rules of
// the hand-off config (stage, intent, negative sentiment, answers the bot could not give, a trait), and what a
// customer leaves while they wait (takeContact). The model's own trigger is the handoff_to_agent tool.

// ruleEvents is how many of the customer's newest events the rules read at least: enough for the conversation's
// intents and the hand-offs of the rule cooldown, little enough for a read on every turn.
const ruleEvents = 100

// handoffFacts is what rules are checked against.
type handoffFacts struct {
	stage, intent string
	negative      int // the customer's newest run of negative messages
	unknown       int // answers the bot could not give
	traits        map[string]string
}

// matches reports whether every condition r sets holds for f.
func (r HandoffRule) matches(f handoffFacts) bool {
	if r.Stage != "" && r.Stage != f.stage {
		return false
	}
	if r.Intent != "" && r.Intent != f.intent {
		return false
	}
	if r.NegativeTurns > 0 && f.negative < r.NegativeTurns {
		return false
	}
	if r.Unanswered > 0 && f.unknown < r.Unanswered {
		return false
	}
	if r.Trait != "" {
		key, want, hasValue := strings.Cut(r.Trait, "=")
		got := strings.TrimSpace(f.traits[strings.TrimSpace(key)])
		if hasValue && !strings.EqualFold(got, strings.TrimSpace(want)) {
			return false
		}
		if !hasValue && (got == "" || strings.EqualFold(got, "false")) {
			return false
		}
	}
	return true
}

// describe says what r found, for a packet's reason when the rule has none.
func (r HandoffRule) describe() string {
	var parts []string
	if r.Trait != "" {
		parts = append(parts, "trait "+r.Trait)
	}
	if r.Stage != "" {
		parts = append(parts, "stage "+r.Stage)
	}
	if r.Intent != "" {
		parts = append(parts, "intent "+r.Intent)
	}
	if r.NegativeTurns > 0 {
		parts = append(parts, fmt.Sprintf("negative for %d messages", r.NegativeTurns))
	}
	if r.Unanswered > 0 {
		parts = append(parts, fmt.Sprintf("%d questions the assistant could not answer", r.Unanswered))
	}
	return fmt.Sprintf("Rule %s: %s", r.Name, strings.Join(parts, ", "))
}

// containsAny reports whether text contains one of phrases, ignoring case.
func containsAny(text string, phrases []string) (string, bool) {
	lower := strings.ToLower(text)
	for _, p := range phrases {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" && strings.Contains(lower, p) {
			return p, true
		}
	}
	return "", false
}

// sinceLastPerson returns the messages after the newest one by an agent or the system (a hand-back, an agent's
// answer): what the bot has done since people last had the conversation.
func sinceLastPerson(window []journeystate.Message) []journeystate.Message {
	for i, m := range slices.Backward(window) {
		if m.Author == journeystate.ActorAgent || m.Author == journeystate.ActorSystem {
			return window[i+1:]
		}
	}
	return window
}

// facts gathers what the rules look at, from the conversation's recent messages and the customer's events.
func (e *Engine) facts(cust journeystate.Customer, conv journeystate.Conversation, window []journeystate.Message, events []journeystate.Event) handoffFacts {
	f := handoffFacts{stage: cust.Stage, traits: cust.Traits}
	var convEvents []journeystate.Event
	for _, ev := range events {
		if ev.ConversationID == conv.ID {
			convEvents = append(convEvents, ev)
		}
	}
	f.intent = newestIntent(convEvents)
	recent := sinceLastPerson(window)
	for _, m := range slices.Backward(recent) {
		if m.Author != journeystate.ActorCustomer {
			continue
		}
		if _, neg := containsAny(m.Text, e.cfg.Handoff.NegativePhrases); !neg {
			break
		}
		f.negative++
	}
	for _, m := range recent {
		if m.Author == journeystate.ActorBot && m.Meta.Unknown {
			f.unknown++
		}
	}
	return f
}

// ruleFiredRecently reports whether rule handed the customer off within the cooldown, by the customer's events.
func (e *Engine) ruleFiredRecently(events []journeystate.Event, rule HandoffRule, now time.Time) bool {
	trigger := journeystate.TriggerRulePrefix + rule.Name
	for _, ev := range events {
		if ev.Type == EventHandoff && ev.Cause == trigger && now.Sub(ev.Time) < e.cfg.Handoff.ruleCooldown() {
			return true
		}
	}
	return false
}

// triggerBefore decides, before the bot answers, whether a person should: the customer asked for one (a phrase, or
// the request intent detected in this turn) or a rule holds. ok false: the bot answers. It reads the customer's
// events through recent, which the prompt's timeline then reuses.
func (e *Engine) triggerBefore(ctx context.Context, conv journeystate.Conversation, cust journeystate.Customer,
	window, question []journeystate.Message, recent *recentEvents) (HandoffRequest, bool) {
	h := e.cfg.Handoff
	if !h.Enabled {
		return HandoffRequest{}, false
	}
	text := joinText(question)
	if phrase, ok := containsAny(text, h.RequestPhrases); ok {
		return HandoffRequest{Trigger: journeystate.TriggerCustomerRequest, Actor: journeystate.ActorCustomer,
			Reason: fmt.Sprintf("The customer asked for a person (%q).", phrase), Confidence: 1,
			Sentiment: e.sentiment(text)}, true
	}
	if h.RequestIntent == "" && len(h.Rules) == 0 {
		return HandoffRequest{}, false // nothing below needs the customer's events: spare every turn the read
	}
	events, err := recent.get(ctx)
	if err != nil {
		e.log.Warn("hand-off rules: load events", "conversation", conv.ID, "err", err)
		return HandoffRequest{}, false
	}
	f := e.facts(cust, conv, window, events)
	if h.RequestIntent != "" && f.intent == h.RequestIntent && intentOfTurn(events, conv.ID, question) == h.RequestIntent {
		return HandoffRequest{Trigger: journeystate.TriggerCustomerRequest, Actor: journeystate.ActorCustomer,
			Reason: "The customer asked for a person.", Intent: f.intent, Confidence: 0.9,
			Sentiment: e.sentiment(text)}, true
	}
	now := e.cfg.Now()
	for _, r := range h.Rules {
		if r.Unanswered > 0 || !r.matches(f) || e.ruleFiredRecently(events, r, now) {
			continue
		}
		return e.ruleRequest(r, f, text), true
	}
	return HandoffRequest{}, false
}

// triggerAfterUnknown decides, after the bot could not answer, whether a rule with Unanswered now holds (counting
// the answer just given).
func (e *Engine) triggerAfterUnknown(ctx context.Context, conv journeystate.Conversation, cust journeystate.Customer,
	window, question []journeystate.Message) (HandoffRequest, bool) {
	h := e.cfg.Handoff
	if !h.Enabled || !slices.ContainsFunc(h.Rules, func(r HandoffRule) bool { return r.Unanswered > 0 }) {
		return HandoffRequest{}, false
	}
	events, err := e.cfg.Store.Events(ctx, journeystate.EventQuery{CustomerID: cust.ID, Limit: ruleEvents, Newest: true})
	if err != nil {
		e.log.Warn("hand-off rules: load events", "conversation", conv.ID, "err", err)
		return HandoffRequest{}, false
	}
	f := e.facts(cust, conv, window, events)
	f.unknown++
	now := e.cfg.Now()
	for _, r := range h.Rules {
		if r.Unanswered <= 0 || !r.matches(f) || e.ruleFiredRecently(events, r, now) {
			continue
		}
		return e.ruleRequest(r, f, joinText(question)), true
	}
	return HandoffRequest{}, false
}

func (e *Engine) ruleRequest(r HandoffRule, f handoffFacts, text string) HandoffRequest {
	reason := cmp.Or(strings.TrimSpace(r.Reason), r.describe())
	s := e.sentiment(text)
	if r.NegativeTurns > 0 {
		s = journeystate.SentimentNegative
	}
	return HandoffRequest{Trigger: journeystate.TriggerRulePrefix + r.Name, Actor: journeystate.ActorRule,
		Reason: reason, Urgency: r.Urgency, Intent: f.intent, Confidence: 1, Sentiment: s, team: r.Team}
}

// intentOfTurn returns the intent the journey map's phrases detected in one of the turn's messages (recorded with
// the message's id as its key), or "" when none was: an intent detected in an earlier turn is not a new request, or
// a conversation handed back would go straight back to the queue. (A model that hears a request calls
// handoff_to_agent itself.)
func intentOfTurn(events []journeystate.Event, convID string, question []journeystate.Message) string {
	keys := make(map[string]bool, len(question))
	for _, m := range question {
		keys["intent:"+m.ID] = true
	}
	var turn []journeystate.Event
	for _, ev := range events {
		if ev.ConversationID == convID && ev.Type == EventIntentDetected && keys[ev.Key] {
			turn = append(turn, ev)
		}
	}
	return newestIntent(turn)
}

// sentiment is negative when text holds a negative phrase, "" when nothing says.
func (e *Engine) sentiment(text string) journeystate.Sentiment {
	if _, neg := containsAny(text, e.cfg.Handoff.NegativePhrases); neg {
		return journeystate.SentimentNegative
	}
	return ""
}

// contactPattern finds what looks like an email address or a phone number in a customer's words.
var (
	emailPattern = regexp.MustCompile(`[^\s<>()\[\],;:"']+@[^\s<>()\[\],;:"']+\.[^\s<>()\[\],;:"']+`)
	phonePattern = regexp.MustCompile(`\+?[0-9][0-9 ().-]{6,18}[0-9]`)
)

// takeContact fills the empty email and phone of the customer of a queued conversation from their newest
// messages: a customer told the team is away leaves a way to reach them, and the agent finds it in the profile.
// What it finds is a claim (an unverified profile field), never an identity.
func (e *Engine) takeContact(ctx context.Context, conv journeystate.Conversation) {
	cust, err := e.cfg.Store.Customer(ctx, conv.CustomerID)
	if err != nil || (cust.Profile.Email != "" && cust.Profile.Phone != "") {
		return
	}
	msgs, err := e.cfg.Store.RecentMessages(ctx, conv.ID, 5)
	if err != nil {
		return
	}
	var p journeystate.Profile
	for _, m := range msgs {
		if m.Author != journeystate.ActorCustomer {
			continue
		}
		if cust.Profile.Email == "" && p.Email == "" {
			if found := emailPattern.FindString(m.Text); found != "" {
				if email, err := journeystate.NormalizeEmail(strings.TrimRight(found, ".")); err == nil {
					p.Email = email
				}
			}
		}
		if cust.Profile.Phone == "" && p.Phone == "" {
			if found := phonePattern.FindString(m.Text); found != "" {
				if phone, err := journeystate.NormalizePhone(found, e.cfg.PhoneRegion); err == nil {
					p.Phone = phone
				}
			}
		}
	}
	if p == (journeystate.Profile{}) {
		return
	}
	if _, err := e.cfg.Store.UpdateCustomer(ctx, cust.ID, journeystate.CustomerUpdate{Profile: p,
		Actor: journeystate.ActorCustomer, Cause: "contact left while waiting for a person", Channel: conv.Channel,
		ConversationID: conv.ID}); err != nil {
		e.log.Warn("queue: store the contact the customer left", "conversation", conv.ID, "err", err)
	}
}
