package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Reply sources, stored in MessageMeta.Source.
const (
	SourceModel    = "model"
	SourceOffline  = "offline"
	SourceFallback = "fallback"
)

// deliverTimeout bounds the delivery of one reply through its channel.
const deliverTimeout = 45 * time.Second

// storeTimeout bounds the writes a turn makes after its own deadline has passed, so that what it produced is kept.
const storeTimeout = 5 * time.Second

// turnRecord is what a turn did; stored as the payload of its "bot_turn" event.
type turnRecord struct {
	Source      string                  `json:"source"`
	Model       string                  `json:"model"`
	Steps       int                     `json:"steps"`
	ToolCalls   []string                `json:"tool_calls,omitempty"`
	Passages    []journeystate.Citation `json:"passages,omitempty"`
	PromptTok   int                     `json:"prompt_tokens,omitempty"`
	Completion  int                     `json:"completion_tokens,omitempty"`
	DurationMS  int64                   `json:"duration_ms"`
	ModelError  string                  `json:"model_error,omitempty"`
	AnsweredIDs []string                `json:"answered,omitempty"`
	Handoff     string                  `json:"handoff,omitempty"` // the trigger of a hand-off made in place of an answer
	// handoff is the model's handoff_to_agent decision, when it made one.
	handoff HandoffRequest
	// unknown: the answer could not answer the question (llm.Response.Unknown, or cannotAnswer).
	unknown bool
	// events are the customer's newest events, read once for the hand-off rules and the prompt's timeline.
	events *recentEvents
}

// recentEvents reads the customer's newest events the first time a turn needs them (the hand-off rules, the
// prompt's timeline), and hands the same ones to whatever needs them after.
type recentEvents struct {
	load   func(context.Context) ([]journeystate.Event, error)
	done   bool
	events []journeystate.Event
	err    error
}

func (r *recentEvents) get(ctx context.Context) ([]journeystate.Event, error) {
	if !r.done {
		r.events, r.err = r.load(ctx)
		r.done = true
	}
	return r.events, r.err
}

// newestEvents returns the turn's reader of the customer's newest events: as many as the timeline weighs, and at
// least what the rules read.
func (e *Engine) newestEvents(customerID string) *recentEvents {
	return &recentEvents{load: func(ctx context.Context) ([]journeystate.Event, error) {
		return e.cfg.Store.Events(ctx, journeystate.EventQuery{CustomerID: customerID,
			Limit: max(e.cfg.TimelineEvents, ruleEvents), Newest: true})
	}}
}

// unansweredWindow is how many of a conversation's newest messages a turn reads, at most, to find the ones no reply
// has answered yet: independent of how much history the model is shown, and far more than can arrive during one
// turn.
const unansweredWindow = 200

// recentWindow returns the conversation's newest messages: enough for the model's history and to tell which
// messages are unanswered. It reads HistoryMessages (at least 20) first, and unansweredWindow only when those do not
// show where the answered messages end.
func (e *Engine) recentWindow(ctx context.Context, convID string) ([]journeystate.Message, error) {
	n := max(e.cfg.HistoryMessages, 20)
	window, err := e.cfg.Store.RecentMessages(ctx, convID, n)
	if err != nil || len(window) < n || answeredEndShown(window) {
		return window, err
	}
	return e.cfg.Store.RecentMessages(ctx, convID, unansweredWindow)
}

// answeredEndShown reports whether the window shows the last message a reply answered: a bot reply whose ReplyTo
// is in the window, or another author's message (which answers everything before it).
func answeredEndShown(window []journeystate.Message) bool {
	in := make(map[string]bool, len(window))
	for _, m := range window {
		in[m.ID] = true
		switch m.Author {
		case journeystate.ActorCustomer:
		case journeystate.ActorBot:
			if in[m.Meta.ReplyTo] {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// turn answers the customer messages at the tail of the conversation, if any. fresh gives it a whole deadline from
// now (a turn resumed after a restart); otherwise its deadline runs from when the oldest unanswered message arrived,
// so that a message that waited for an earlier turn does not wait a second deadline. It reports false when it
// failed on the store before storing a reply, so that it may be tried again.
func (e *Engine) turn(convID string, fresh bool) (done bool) {
	started := e.cfg.Now()
	lctx, lcancel := context.WithTimeout(e.base, storeTimeout)
	defer lcancel()
	log := e.log.With("conversation", convID)

	conv, err := e.cfg.Store.Conversation(lctx, convID)
	if err != nil {
		log.Error("turn: load conversation", "err", err)
		return false
	}
	if conv.Owner != journeystate.OwnerBot {
		if conv.Owner == journeystate.OwnerQueue {
			e.takeContact(lctx, conv)
		}
		return true
	}
	window, err := e.recentWindow(lctx, convID)
	if err != nil {
		log.Error("turn: load messages", "err", err)
		return false
	}
	question := unanswered(window)
	if len(question) == 0 {
		return true // already answered: a resend, or a turn that ran for a later message
	}
	// The model sees the newest HistoryMessages messages, and always every message it is to answer.
	shown := e.cfg.HistoryMessages
	for i, m := range window {
		if m.ID == question[0].ID {
			shown = max(shown, len(window)-i)
			break
		}
	}
	history := window[len(window)-min(shown, len(window)):]
	deadline := question[0].CreatedAt.Add(e.cfg.TurnDeadline)
	if fresh {
		deadline = started.Add(e.cfg.TurnDeadline)
	}
	ctx, cancel := context.WithDeadline(e.base, deadline)
	defer cancel()
	last := question[len(question)-1]
	replyID := "reply:" + last.ID
	// Loaded with the loading context: the turn's own deadline may have passed already (a message that waited
	// behind an earlier turn), and then the offline responder still answers.
	cust, err := e.cfg.Store.Customer(lctx, conv.CustomerID)
	if err != nil {
		log.Error("turn: load customer", "err", err)
		return false
	}

	ch := e.channel(conv.Channel)
	streamer, _ := ch.(channels.Streamer)
	if streamer != nil {
		streamer.Typing(conv, true)
		defer streamer.Typing(conv, false)
	}
	onDelta := func(string) {}
	if streamer != nil {
		onDelta = func(text string) { streamer.StreamDelta(conv, replyID, text) }
	}

	rec := turnRecord{events: e.newestEvents(cust.ID)}
	for _, m := range question {
		rec.AnsweredIDs = append(rec.AnsweredIDs, m.ID)
	}
	if e.cfg.Model == nil {
		// No model reports intents: the journey map's phrases stand in, and may move the customer's stage before
		// the offline responder greets them for it.
		if stage, moved := e.detectIntent(lctx, conv, cust.Stage, question); moved {
			cust.Stage = stage
		}
	}
	if req, ok := e.triggerBefore(lctx, conv, cust, window, question, rec.events); ok {
		return e.handOffTurn(conv, req, last, &rec, started)
	}
	answer := e.answer(ctx, conv, cust, history, joinText(question), onDelta, &rec)
	if rec.handoff.Trigger != "" {
		return e.handOffTurn(conv, rec.handoff, last, &rec, started)
	}
	if rec.unknown {
		if req, ok := e.triggerAfterUnknown(lctx, conv, cust, window, question); ok {
			return e.handOffTurn(conv, req, last, &rec, started)
		}
	}

	// The turn's deadline may have passed; what it produced is still stored and delivered.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer scancel()
	reply, dup, err := e.cfg.Store.AppendMessage(sctx, journeystate.Message{
		ConversationID: conv.ID,
		CustomerID:     conv.CustomerID,
		Author:         journeystate.ActorBot,
		ClientID:       replyID,
		Text:           answer.Content,
		Meta: journeystate.MessageMeta{Source: rec.Source, Citations: answer.Citations, ReplyTo: last.ID,
			Unknown: rec.unknown},
	})
	if err != nil {
		log.Error("turn: store reply", "err", err)
		return false
	}
	if dup {
		return true // another turn stored this reply and delivered it
	}
	rec.DurationMS = e.cfg.Now().Sub(started).Milliseconds()
	e.recordEvent(sctx, conv, "bot_turn", rec.Source, rec)
	e.cfg.Metrics.message(conv.Channel, journeystate.ActorBot)
	e.cfg.Metrics.turn(rec.Source, e.cfg.Now().Sub(started))
	conv.LastSeq = reply.Seq
	e.publish(channels.Update{Kind: channels.UpdateMessage, Conversation: conv, Message: reply})
	if ch == nil {
		log.Warn("turn: no channel registered", "channel", conv.Channel)
		return true
	}
	// Delivery has a budget of its own: a channel that must wait out a rate limit (Slack's Retry-After) or split a
	// reply into several SMS still delivers it, whatever the turn's deadline left.
	dctx, dcancel := context.WithTimeout(e.base, deliverTimeout) // cut only by a shutdown out of time
	defer dcancel()
	if err := ch.Deliver(dctx, conv, reply); err != nil {
		// The reply is stored: the web chat shows it when the client next syncs; Slack and SMS do not sync, so the
		// failure is logged for an operator (and the transcript has the reply).
		log.Warn("turn: deliver reply", "channel", conv.Channel, "err", err)
	}
	return true
}

// answer produces the reply: the model's when one is configured and answers in time, else the offline
// responder's, else (when even that fails) cannotAnswer. It always produces one.
func (e *Engine) answer(ctx context.Context, conv journeystate.Conversation, cust journeystate.Customer,
	history []journeystate.Message, question string, onDelta func(string), rec *turnRecord) llm.Response {
	if e.cfg.Model == nil {
		rec.Source, rec.Model = SourceOffline, e.cfg.Offline.Name()
		octx, cancel := offlineContext(ctx)
		defer cancel()
		return e.offlineAnswer(octx, question, cust.Stage, onDelta, rec)
	}
	resp, err := e.modelAnswer(ctx, conv, cust, history, question, onDelta, rec)
	if err == nil && rec.handoff.Trigger != "" {
		rec.Source, rec.Model = SourceModel, e.cfg.Model.Name()
		return resp
	}
	if err == nil && strings.TrimSpace(resp.Content) != "" {
		rec.Source, rec.Model = SourceModel, e.cfg.Model.Name()
		return resp
	}
	if err == nil {
		err = errors.New("the model returned an empty answer")
	}
	rec.ModelError = err.Error()
	e.cfg.Metrics.fallback(err)
	e.log.Warn("model failed; offline responder answers", "conversation", conv.ID, "err", err)
	// The fallback does not stream, so that its text is not appended to what the model had streamed; its final
	// message replaces that.
	octx, cancel := offlineContext(ctx)
	defer cancel()
	rec.Source, rec.Model = SourceFallback, e.cfg.Offline.Name()
	return e.offlineAnswer(octx, question, cust.Stage, nil, rec)
}

// minOfflineTime is the least time the offline responder is given, even when the turn's deadline has passed (a
// message that waited for an earlier turn): a late answer from the knowledge base beats a canned apology.
const minOfflineTime = time.Second

// offlineContext is the context the offline responder answers in: what is left of the turn's deadline (the
// model's budget kept a share of it) but at least minOfflineTime, and not cancelled by a shutdown that ran out of
// time, so that the customer still gets an answer.
func offlineContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if earliest := time.Now().Add(minOfflineTime); !ok || deadline.Before(earliest) {
		deadline = earliest
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

// cannotAnswer is said when even the offline responder fails: the customer must never be left without a word.
const cannotAnswer = "I'm an automated assistant and I can't look anything up right now. Please try again in a " +
	"few minutes, or ask for a person."

// offlineAnswer asks the offline responder (telling it the customer's journey stage), and says cannotAnswer when it fails.
func (e *Engine) offlineAnswer(ctx context.Context, question, stage string, onDelta func(string), rec *turnRecord) llm.Response {
	req := llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: question}}, Stage: stage}
	resp, err := e.cfg.Offline.Complete(ctx, req, onDelta)
	if err == nil && strings.TrimSpace(resp.Content) != "" {
		rec.unknown = resp.Unknown
		return resp
	}
	if err == nil {
		err = errors.New("empty answer")
	}
	e.log.Error("offline responder failed", "err", err)
	rec.Source = SourceFallback
	rec.ModelError = strings.TrimSpace(rec.ModelError + "; offline: " + err.Error())
	rec.unknown = true
	return llm.Response{Content: cannotAnswer}
}

// handOffTurn hands the conversation off in place of the turn's answer: the notice that tells the customer what
// happens next answers their message. It reports false (try the turn again) only when the hand-off failed on the
// store before anything changed.
func (e *Engine) handOffTurn(conv journeystate.Conversation, req HandoffRequest, last journeystate.Message, rec *turnRecord, started time.Time) bool {
	ctx, cancel := context.WithTimeout(e.base, storeTimeout+summaryModelTimeout)
	defer cancel()
	if _, _, err := e.handOff(ctx, conv, req, last.ID); err != nil {
		if errors.Is(err, journeystate.ErrConflict) {
			return true // someone else changed the owner first; the bot is no longer to answer
		}
		e.log.Error("turn: hand off", "conversation", conv.ID, "trigger", req.Trigger, "err", err)
		return false
	}
	rec.Handoff = req.Trigger
	if rec.Source == "" {
		rec.Source = SourceHandoff
	}
	rec.DurationMS = e.cfg.Now().Sub(started).Milliseconds()
	e.recordEvent(ctx, conv, EventBotTurn, SourceHandoff, rec)
	return true
}

// unanswered returns the customer messages that no reply has answered yet, oldest first. A bot reply answers the
// message named by its ReplyTo and everything before it (messages that arrived while it was being written are
// stored before it, yet still wait); any other reply answers everything before it.
func unanswered(history []journeystate.Message) []journeystate.Message {
	seqOf := make(map[string]int64, len(history))
	var answered int64
	for _, m := range history {
		seqOf[m.ID] = m.Seq
		if m.Author == journeystate.ActorCustomer {
			continue
		}
		upTo := m.Seq
		if s, ok := seqOf[m.Meta.ReplyTo]; ok && m.Author == journeystate.ActorBot {
			upTo = s
		}
		answered = max(answered, upTo)
	}
	var out []journeystate.Message
	for _, m := range history {
		if m.Author == journeystate.ActorCustomer && m.Seq > answered {
			out = append(out, m)
		}
	}
	return out
}

func joinText(msgs []journeystate.Message) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = m.Text
	}
	return strings.Join(parts, "\n")
}

// chatHistory turns stored messages into chat turns: the customer as the user, the bot and agents as the assistant.
func chatHistory(history []journeystate.Message) []llm.Message {
	out := make([]llm.Message, 0, len(history))
	for _, m := range history {
		switch m.Author {
		case journeystate.ActorCustomer:
			out = append(out, llm.Message{Role: llm.RoleUser, Content: m.Text})
		case journeystate.ActorBot:
			out = append(out, llm.Message{Role: llm.RoleAssistant, Content: m.Text})
		case journeystate.ActorAgent:
			out = append(out, llm.Message{Role: llm.RoleAssistant, Content: "(a human agent wrote) " + m.Text})
		}
	}
	return out
}

// recordEvent appends an event to the conversation's journey log; a failure is logged, not returned: the turn's
// answer matters more to the customer than its bookkeeping.
func (e *Engine) recordEvent(ctx context.Context, conv journeystate.Conversation, typ, cause string, payload any) {
	body, err := json.Marshal(payload)
	if err != nil {
		e.log.Error("record event: marshal", "type", typ, "err", err)
		return
	}
	_, _, err = e.cfg.Store.AppendEvent(ctx, journeystate.Event{
		CustomerID:     conv.CustomerID,
		ConversationID: conv.ID,
		Type:           typ,
		Channel:        conv.Channel,
		Actor:          journeystate.ActorBot,
		Cause:          cause,
		Payload:        body,
	})
	if err != nil {
		e.log.Error("record event", "type", typ, "conversation", conv.ID, "err", err)
	}
}
