package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/prompts"
)

// The model's part of a turn: the prompt with the customer's journey, the tool loop, and the bounds on model calls
// (slots, the share of the deadline kept for the fallback, redaction of everything sent).

// modelAnswer runs the model with the tool loop: at most MaxToolSteps calls may ask for tools; the call after that
// is made without tools so that the model must answer.
func (e *Engine) modelAnswer(ctx context.Context, conv journeystate.Conversation, cust journeystate.Customer,
	history []journeystate.Message, question string, onDelta func(string), rec *turnRecord) (llm.Response, error) {
	// Keep a share of the turn's deadline for the fallback to answer in.
	deadline, _ := ctx.Deadline()
	mctx, cancel := context.WithDeadline(ctx, deadline.Add(-fallbackReserve(e.cfg.TurnDeadline)))
	defer cancel()
	release, err := e.modelSlot(mctx)
	if err != nil {
		return llm.Response{}, err
	}
	defer release()

	var passages []journeystate.Passage
	if e.cfg.KnowledgePassages > 0 {
		passages, err = e.cfg.Store.SearchKnowledge(mctx, question, e.cfg.KnowledgePassages)
		if err != nil {
			return llm.Response{}, fmt.Errorf("search knowledge: %w", err)
		}
	}
	for _, p := range passages {
		rec.Passages = append(rec.Passages, journeystate.Citation{Title: p.Title, Source: p.Source, URL: p.URL})
	}
	// A conversation others can read (a shared Slack channel's thread) gets none of the customer's private journey.
	tools := e.tools
	public := false
	if aud, ok := e.channel(conv.Channel).(channels.Audience); ok && aud.Public(conv) {
		public, tools = true, e.tools.public()
	}
	var toolNames []string
	if e.cfg.MaxToolSteps > 0 {
		toolNames = tools.names()
	}
	data := prompts.SystemData{
		Company:  e.cfg.Company,
		Persona:  e.cfg.Persona,
		Channel:  conv.Channel,
		Now:      e.cfg.Now(),
		Customer: cust.Profile,
		Passages: passages,
		Tools:    toolNames,
		Traits:   promptTraits(cust.Traits),
		Memory:   cust.Memory,
		FactKeys: e.cfg.FactKeys,
	}
	e.journeyData(&data, cust)
	if public {
		data.Traits, data.Memory, data.FactKeys = nil, journeystate.Memory{}, nil
	}
	if e.cfg.TimelineTokens > 0 && !public {
		events, err := rec.events.get(mctx)
		if len(events) > e.cfg.TimelineEvents {
			events = events[len(events)-e.cfg.TimelineEvents:]
		}
		if err != nil {
			// The customer is better served by an answer without their timeline than by none.
			e.log.Warn("turn: load timeline", "conversation", conv.ID, "err", err)
		}
		data.Timeline = selectTimeline(events, conv.ID, question, e.cfg.TimelineTokens)
	}
	system, err := e.cfg.Prompts.System(data)
	if err != nil {
		return llm.Response{}, fmt.Errorf("render system prompt: %w", err)
	}
	msgs := append([]llm.Message{{Role: llm.RoleSystem, Content: system}}, chatHistory(history)...)

	var citations []journeystate.Citation
	for step := 0; ; step++ {
		req := llm.Request{Messages: e.redactMessages(msgs), Temperature: e.cfg.Temperature, MaxTokens: e.cfg.MaxTokens}
		if step < e.cfg.MaxToolSteps {
			req.Tools = tools.specs()
		}
		callStart := time.Now()
		resp, err := e.cfg.Model.Complete(mctx, req, onDelta)
		e.cfg.Metrics.modelCall(time.Since(callStart), resp.Usage, err)
		rec.Steps++
		rec.PromptTok += resp.Usage.PromptTokens
		rec.Completion += resp.Usage.CompletionTokens
		if err != nil {
			return llm.Response{}, err
		}
		if len(resp.ToolCalls) == 0 || step >= e.cfg.MaxToolSteps {
			resp.Citations = append(citations, resp.Citations...)
			return resp, nil
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: resp.Content, ToolCalls: resp.ToolCalls})
		for i, call := range resp.ToolCalls {
			res := toolError(fmt.Sprintf("not run: at most %d tool calls are run per step", maxToolCallsPerStep))
			if i < maxToolCallsPerStep {
				res = tools.run(mctx, toolScope{Customer: cust, Conversation: conv, handoff: &rec.handoff}, call)
			}
			rec.ToolCalls = append(rec.ToolCalls, call.Name)
			citations = append(citations, res.citations...)
			e.recordEvent(mctx, conv, "tool_call", call.Name, res.event(call))
			msgs = append(msgs, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Content: res.content})
		}
		if rec.handoff.Trigger != "" {
			return llm.Response{Citations: citations}, nil // a person answers instead
		}
	}
}

// promptTraits returns the traits the model is shown: all but journeybot's own bookkeeping (consent per number),
// which is the channels' to enforce, not the model's to talk about.
func promptTraits(traits map[string]string) map[string]string {
	out := make(map[string]string, len(traits))
	for k, v := range traits {
		if !strings.HasPrefix(k, "consent:") {
			out[k] = v
		}
	}
	return out
}

// redactMessages returns msgs with the configured Redactor applied to every text and tool-call argument: nothing
// the model is sent escapes it (the customer's messages, the timeline, memory, knowledge passages, tool results).
func (e *Engine) redactMessages(msgs []llm.Message) []llm.Message {
	if e.cfg.Redactor == nil {
		return msgs
	}
	out := make([]llm.Message, len(msgs))
	for i, m := range msgs {
		m.Content = e.redact(m.Content)
		if len(m.ToolCalls) > 0 {
			calls := make([]llm.ToolCall, len(m.ToolCalls))
			for j, c := range m.ToolCalls {
				c.Arguments = e.redact(c.Arguments)
				calls[j] = c
			}
			m.ToolCalls = calls
		}
		out[i] = m
	}
	return out
}

// maxToolCallsPerStep bounds the tool calls run for one model answer; the rest get an error result.
const maxToolCallsPerStep = 8

// fallbackReserve is the share of a turn's deadline kept for the offline responder when the model fails.
func fallbackReserve(deadline time.Duration) time.Duration {
	return min(deadline/5, 2*time.Second)
}

// errBusy means every model slot stayed taken: the offline responder answers.
var errBusy = errors.New("every model slot is busy")

// modelSlot takes a slot for a model call, waiting at most a quarter of what is left of ctx (at most 2 s): under
// overload a quick offline answer serves a customer better than a long wait. The returned func gives it back.
func (e *Engine) modelSlot(ctx context.Context) (release func(), err error) {
	if e.modelSlots == nil {
		return func() {}, nil
	}
	wait := 2 * time.Second
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline)/4)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case e.modelSlots <- struct{}{}:
		return func() { <-e.modelSlots }, nil
	case <-timer.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
