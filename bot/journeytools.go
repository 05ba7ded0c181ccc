package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// Names of the journey tools.
const (
	toolSetStage     = "set_journey_stage"
	toolRecordIntent = "record_intent"
	toolRemember     = "remember_fact"
)

// Bounds on what the model may store.
const (
	maxReasonChars    = 300
	maxFactValueChars = 200
)

// decodeArgs decodes a tool call's arguments into dst, refusing unknown fields and anything but one JSON object.
func decodeArgs(args string, dst any) error {
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

// stageTool is set_journey_stage: the model moves the customer to the next stage of their journey, only along the
// journey map.
type stageTool struct{ e *Engine }

func (t stageTool) spec() llm.Tool {
	names := t.e.cfg.Journey.StageNames()
	enum, _ := json.Marshal(names)
	return llm.Tool{
		Name: toolSetStage,
		Description: "Move the customer to another stage of their journey when the conversation shows they have " +
			"moved on (for example they placed an order, or their device is installed). Only the stages that " +
			"follow the current one on the journey map are accepted.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"stage":{"type":"string","enum":` + string(enum) +
			`},"reason":{"type":"string","description":"Why, in a few words"}},"required":["stage","reason"],` +
			`"additionalProperties":false}`),
	}
}

func (t stageTool) run(ctx context.Context, scope toolScope, args string) toolResult {
	var in struct {
		Stage  string `json:"stage"`
		Reason string `json:"reason"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return toolError(`arguments must be a JSON object {"stage": string, "reason": string}: ` + err.Error())
	}
	if utf8.RuneCountInString(in.Reason) > maxReasonChars {
		return toolError(fmt.Sprintf("reason is longer than %d characters", maxReasonChars))
	}
	m := t.e.cfg.Journey
	if _, ok := m.Stage(in.Stage); !ok {
		return toolError(fmt.Sprintf("unknown stage %q; the stages are %s", in.Stage, strings.Join(m.StageNames(), ", ")))
	}
	from := scope.Customer.Stage
	if in.Stage == from {
		return toolOK(map[string]any{"stage": from, "changed": false})
	}
	if !m.CanMove(from, in.Stage) {
		return toolError(fmt.Sprintf("the journey map does not lead from %q to %q; allowed: %s", from, in.Stage,
			strings.Join(t.e.nextStages(from), ", ")))
	}
	cause := "model"
	if r := strings.TrimSpace(in.Reason); r != "" {
		cause = "model: " + r
	}
	_, changed, err := t.e.cfg.Store.SetStage(ctx, scope.Customer.ID, journeystate.StageChange{
		From: from, To: in.Stage, Actor: journeystate.ActorBot, Cause: cause,
		Channel: scope.Conversation.Channel, ConversationID: scope.Conversation.ID,
	})
	if errors.Is(err, journeystate.ErrConflict) {
		return toolError("the customer's stage changed meanwhile; it is not changed")
	}
	if err != nil {
		t.e.log.Error("set journey stage", "customer", scope.Customer.ID, "err", err)
		return toolError("the stage could not be saved")
	}
	return toolOK(map[string]any{"stage": in.Stage, "changed": changed})
}

// intentTool is record_intent: the model reports what the customer wants, which may move their stage.
type intentTool struct{ e *Engine }

func (t intentTool) spec() llm.Tool {
	enum, _ := json.Marshal(t.e.cfg.Journey.IntentNames())
	return llm.Tool{
		Name:        toolRecordIntent,
		Description: "Report what the customer wants, once you are sure, as one of the listed intents.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"intent":{"type":"string","enum":` + string(enum) +
			`}},"required":["intent"],"additionalProperties":false}`),
	}
}

func (t intentTool) run(ctx context.Context, scope toolScope, args string) toolResult {
	var in struct {
		Intent string `json:"intent"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return toolError(`arguments must be a JSON object {"intent": string}: ` + err.Error())
	}
	names := t.e.cfg.Journey.IntentNames()
	if !slices.Contains(names, in.Intent) {
		return toolError(fmt.Sprintf("unknown intent %q; the intents are %s", in.Intent, strings.Join(names, ", ")))
	}
	payload, _ := json.Marshal(map[string]string{"intent": in.Intent})
	ev, _, err := t.e.cfg.Store.AppendEvent(ctx, journeystate.Event{
		CustomerID: scope.Customer.ID, ConversationID: scope.Conversation.ID, Type: EventIntentDetected,
		Channel: scope.Conversation.Channel, Actor: journeystate.ActorBot, Cause: "model", Payload: payload,
	})
	if err != nil {
		t.e.log.Error("record intent", "customer", scope.Customer.ID, "err", err)
		return toolError("the intent could not be saved")
	}
	stage, _ := t.e.advanceStage(ctx, scope.Customer.ID, ev)
	return toolOK(map[string]any{"intent": in.Intent, "stage": stage})
}

// factTool is remember_fact: the model stores something the customer said about themselves, under one of the
// configured keys.
type factTool struct{ e *Engine }

func (t factTool) spec() llm.Tool {
	enum, _ := json.Marshal(t.e.cfg.FactKeys)
	return llm.Tool{
		Name: toolRemember,
		Description: "Remember something the customer told you about themselves, for later conversations on any " +
			"channel. Only the listed keys can be stored; never store secrets or card numbers.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"key":{"type":"string","enum":` + string(enum) +
			`},"value":{"type":"string","description":"The fact, in a few words"}},"required":["key","value"],` +
			`"additionalProperties":false}`),
	}
}

func (t factTool) run(ctx context.Context, scope toolScope, args string) toolResult {
	var in struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return toolError(`arguments must be a JSON object {"key": string, "value": string}: ` + err.Error())
	}
	if !slices.Contains(t.e.cfg.FactKeys, in.Key) {
		return toolError(fmt.Sprintf("%q cannot be remembered; the keys are %s", in.Key, strings.Join(t.e.cfg.FactKeys, ", ")))
	}
	value := strings.TrimSpace(in.Value)
	if value == "" || utf8.RuneCountInString(value) > maxFactValueChars {
		return toolError(fmt.Sprintf("value must have 1 to %d characters", maxFactValueChars))
	}
	value = t.e.redact(value)
	_, err := t.e.cfg.Store.UpdateCustomer(ctx, scope.Customer.ID, journeystate.CustomerUpdate{
		Facts: map[string]string{in.Key: value}, Actor: journeystate.ActorBot, Cause: "model",
		Channel: scope.Conversation.Channel, ConversationID: scope.Conversation.ID,
	})
	if err != nil {
		t.e.log.Error("remember fact", "customer", scope.Customer.ID, "err", err)
		return toolError("the fact could not be saved")
	}
	return toolOK(map[string]any{"remembered": in.Key})
}

func toolOK(v any) toolResult {
	body, _ := json.Marshal(v)
	return toolResult{content: string(body)}
}
