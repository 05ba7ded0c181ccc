package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/prompts"
)

// stageHistoryLimit bounds the events read to evaluate the journey map's rules for one new event.
const stageHistoryLimit = 1000

// advanceStage moves the customer to the stage the journey map says the event ev (already stored) leads to, if
// any, recording the change as the rule's (actor "rule", the rule as cause, at the event's time). An event older
// than the customer's last stage change moves nobody. It returns the customer's stage afterwards. A change that
// loses a race with another is decided again once. It is safe to call again for the same event.
func (e *Engine) advanceStage(ctx context.Context, customerID string, ev journeystate.Event) (string, error) {
	m := e.cfg.Journey
	for attempt := 0; ; attempt++ {
		cust, err := e.cfg.Store.Customer(ctx, customerID)
		if err != nil {
			return "", fmt.Errorf("load customer: %w", err)
		}
		if len(m.Stages) == 0 {
			return cust.Stage, nil
		}
		recent, err := e.cfg.Store.Events(ctx, journeystate.EventQuery{
			CustomerID: cust.ID, Limit: stageHistoryLimit, Newest: true,
		})
		if err != nil {
			return cust.Stage, fmt.Errorf("load journey history: %w", err)
		}
		// An event older than the customer's last stage change (a back-filled or late one) is history: it does not
		// move the customer back to where they were then.
		for _, h := range recent {
			if h.Type == EventStageChanged && ev.Time.Before(h.Time) {
				return cust.Stage, nil
			}
		}
		var history []journeystate.Event
		if window := m.MaxWindow(); window > 0 {
			from := ev.Time.Add(-window)
			for _, h := range recent {
				if !h.Time.Before(from) && !h.Time.After(ev.Time) {
					history = append(history, h)
				}
			}
		}
		to, cause, ok := m.Next(cust.Stage, ev, history)
		if !ok || to == cust.Stage {
			return cust.Stage, nil
		}
		_, _, err = e.cfg.Store.SetStage(ctx, cust.ID, journeystate.StageChange{
			From: cust.Stage, To: to, Actor: journeystate.ActorRule, Cause: cause,
			Channel: ev.Channel, ConversationID: ev.ConversationID, Time: ev.Time,
		})
		if errors.Is(err, journeystate.ErrConflict) && attempt == 0 {
			continue
		}
		if err != nil {
			return cust.Stage, fmt.Errorf("set stage: %w", err)
		}
		e.cfg.Metrics.stageChange(to)
		return to, nil
	}
}

// nextStages returns the stages the model may move a customer in stage from to: those that follow it on a desired
// path of the journey map.
func (e *Engine) nextStages(from string) []string {
	var out []string
	for _, name := range e.cfg.Journey.StageNames() {
		if name != from && e.cfg.Journey.CanMove(from, name) {
			out = append(out, name)
		}
	}
	return out
}

// journeyData fills the journey part of a system prompt: the customer's stage with its description and guidance,
// where the model may move them, and the intents it may report.
func (e *Engine) journeyData(d *prompts.SystemData, cust journeystate.Customer) {
	m := e.cfg.Journey
	if len(m.Stages) == 0 {
		return
	}
	if st, ok := m.Stage(cust.Stage); ok {
		d.Stage = prompts.Stage{Name: st.Name, Description: st.Description, Guidance: st.Guidance}
	}
	d.NextStages = e.nextStages(cust.Stage)
	for _, in := range m.Intents {
		d.Intents = append(d.Intents, prompts.Intent{Name: in.Name, Description: in.Description})
	}
}

// detectIntent looks for the journey map's intent phrases in the customer's messages (without a model, the only
// way intents are found): the first intent, in map order, with a phrase that one of them contains (ignoring case)
// is recorded as an "intent_detected" event by the rule, which may move the stage. It returns the stage afterwards
// and whether it changed.
func (e *Engine) detectIntent(ctx context.Context, conv journeystate.Conversation, before string, msgs []journeystate.Message) (string, bool) {
	for _, in := range e.cfg.Journey.Intents {
		for _, phrase := range in.Phrases {
			p := strings.ToLower(strings.TrimSpace(phrase))
			if p == "" {
				continue
			}
			for _, m := range msgs {
				if !strings.Contains(strings.ToLower(m.Text), p) {
					continue
				}
				payload, _ := json.Marshal(journeystate.IntentPayload{Intent: in.Name})
				ev, _, err := e.cfg.Store.AppendEvent(ctx, journeystate.Event{
					CustomerID: conv.CustomerID, ConversationID: conv.ID, Type: EventIntentDetected,
					Channel: conv.Channel, Actor: journeystate.ActorRule, Cause: fmt.Sprintf("phrase %q", phrase),
					Payload: payload, Key: "intent:" + m.ID,
				})
				if err != nil {
					e.log.Warn("record intent", "conversation", conv.ID, "err", err)
					return "", false
				}
				stage, err := e.advanceStage(ctx, conv.CustomerID, ev)
				if err != nil {
					e.log.Warn("advance stage", "conversation", conv.ID, "err", err)
					return "", false
				}
				return stage, stage != before
			}
		}
	}
	return "", false
}
