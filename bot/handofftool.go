package bot

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// toolHandoff is the name of the hand-off tool.
const toolHandoff = "handoff_to_agent"

// handoffTool is handoff_to_agent(reason, urgency): the model hands the conversation to people. It hands nothing
// off itself: it records the decision in the turn's scope, the tool loop stops, and the turn hands off in place of
// an answer (the customer is told what happens next).
type handoffTool struct{}

func (handoffTool) spec() llm.Tool {
	return llm.Tool{
		Name: toolHandoff,
		Description: "Hand the conversation to a person on the company's team. Call it when the customer asks for " +
			"a human, an agent or a call (in any language or wording), when you cannot help after trying, or when " +
			"the matter needs a person (a complaint, a refund or an account change you cannot make). After calling " +
			"it, do not answer: the customer is told a person is coming.",
		Parameters: json.RawMessage(`{"type":"object","properties":{` +
			`"reason":{"type":"string","description":"Why a person is needed, for the agent, in one sentence"},` +
			`"urgency":{"type":"string","enum":["low","normal","high"]},` +
			`"customer_asked":{"type":"boolean","description":"True when the customer asked for a person"},` +
			`"sentiment":{"type":"string","enum":["negative","neutral","positive"]},` +
			`"language":{"type":"string","description":"The customer's language as a BCP 47 tag, e.g. en, de, pt-BR"}},` +
			`"required":["reason","urgency"],"additionalProperties":false}`),
	}
}

func (handoffTool) run(_ context.Context, scope toolScope, args string) toolResult {
	var in struct {
		Reason        string `json:"reason"`
		Urgency       string `json:"urgency"`
		CustomerAsked bool   `json:"customer_asked"`
		Sentiment     string `json:"sentiment"`
		Language      string `json:"language"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return toolError(`arguments must be a JSON object {"reason": string, "urgency": "low"|"normal"|"high"}: ` + err.Error())
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return toolError("reason is required")
	}
	if utf8.RuneCountInString(reason) > maxReasonChars {
		reason = truncate(reason, maxReasonChars)
	}
	u := journeystate.Urgency(in.Urgency)
	switch u {
	case journeystate.UrgencyLow, journeystate.UrgencyNormal, journeystate.UrgencyHigh:
	default:
		return toolError(`urgency must be "low", "normal" or "high"`)
	}
	s := journeystate.Sentiment(in.Sentiment)
	switch s {
	case "", journeystate.SentimentNegative, journeystate.SentimentNeutral, journeystate.SentimentPositive:
	default:
		s = ""
	}
	lang := strings.TrimSpace(in.Language)
	if len(lang) > 35 || strings.ContainsAny(lang, " <>\"'") {
		lang = ""
	}
	req := HandoffRequest{Trigger: journeystate.TriggerModel, Actor: journeystate.ActorBot, Reason: reason,
		Urgency: u, Sentiment: s, Language: lang, Confidence: 0.8}
	if in.CustomerAsked {
		req.Trigger, req.Actor, req.Confidence = journeystate.TriggerCustomerRequest, journeystate.ActorCustomer, 1
	}
	if scope.handoff != nil {
		*scope.handoff = req
	}
	return toolOK(map[string]any{"handed_off": true, "note": "A person takes over; do not answer the customer."})
}
