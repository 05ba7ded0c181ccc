// Package bot is journeybot's conversation engine. It takes a customer message from a channel adapter, resolves the
// customer, stores the message before the channel acknowledges it, and runs the bot's turn: it builds the context
// (profile, conversation, knowledge passages), renders the prompt, calls the model with a bounded tool loop, falls
// back to the offline responder when the model fails or is too slow, stores the reply and every decision in the
// journey log, and delivers the reply through the customer's channel.
//
// It also keeps the customer's journey: business events from the company's systems (Track, Identify), identities
// and merges when a channel says who a user is (IdentifyUser), the journey stage the map's rules derive from the log
// and the model may move along the map, facts the model remembers, and a running summary of quiet conversations.
//
// It must not know how a channel, a store or a model works: it sees them through channels.Channel,
// journeystate.Store and llm.Model.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/prompts"
)

// Config is what an Engine needs. Store, Offline and Prompts are required; the rest have defaults.
type Config struct {
	Store journeystate.Store
	// Model answers when set; nil means no model is configured and Offline answers every turn.
	Model llm.Model
	// Offline is the offline responder: it answers when Model is nil and stands in when Model fails or is too slow.
	Offline llm.Model
	Prompts *prompts.Renderer
	Company prompts.Company
	Persona prompts.Persona

	// TurnDeadline is the longest a customer waits for an answer, from when their message arrived; default 20 s.
	TurnDeadline time.Duration
	// MaxToolSteps is how many model calls of one turn may ask for tools; 0 gives the model no tools.
	MaxToolSteps int
	// HistoryMessages is how many of the conversation's newest messages the model is shown (at least the ones it
	// is to answer).
	HistoryMessages int
	// KnowledgePassages is how many knowledge passages go into the system prompt; 0 leaves them to the tool.
	KnowledgePassages int
	// MaxMessageChars is the longest customer message accepted; default 4000.
	MaxMessageChars int
	// MaxConcurrentModelCalls bounds the model calls in flight across all conversations; 0 means no bound. A turn
	// that finds no free slot soon enough is answered by the offline responder.
	MaxConcurrentModelCalls int
	Temperature             float32
	MaxTokens               int
	// Tools are the company's own HTTP tools, offered to the model besides the built-in ones; check them with
	// ValidateHTTPTools at start (New leaves out, and logs, any that fails it). ToolAuth holds, by tool name, the
	// value of each one's AuthHeader, read from its AuthEnv.
	Tools    []HTTPTool
	ToolAuth map[string]string

	// Journey is the journey map: the stages a customer moves through and what moves them. Its zero value has no
	// stages: journeys are off, and the stage tools are not offered.
	Journey journeystate.JourneyMap
	// FactKeys are the keys the model may store with remember_fact; none: the tool is not offered.
	FactKeys []string
	// TimelineTokens is the budget, in estimated tokens, of the customer's cross-channel timeline in the system
	// prompt; 0 leaves the timeline out.
	TimelineTokens int
	// TimelineEvents is how many of the customer's newest journey events are weighed for the timeline; default 200.
	TimelineEvents int
	// Redactor removes sensitive data (card numbers, national ids) from all text sent to the model; nil removes
	// nothing. With RedactStored, customer messages are redacted before they are stored, too.
	Redactor     Redactor
	RedactStored bool
	// PhoneRegion is the region phone numbers without a country code are read in ("US"); "" accepts only numbers
	// with one.
	PhoneRegion string
	// QuietAfter is how long a conversation stays silent before the customer's memory summary takes it in; 0 turns
	// summaries off. SummaryChars bounds the summary; default 1500.
	QuietAfter   time.Duration
	SummaryChars int

	// Handoff says when and to whom conversations go to people; its zero value hands nothing off.
	Handoff HandoffConfig

	Metrics *Metrics // nil: no metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// Redactor removes sensitive data from text; *redact.Redactor implements it.
type Redactor interface {
	// Redact returns s with every sensitive part replaced by a placeholder, and how many parts it replaced.
	Redact(s string) (string, int)
}

// Engine runs conversations. It is safe for concurrent use. Turns of one conversation run one at a time; messages
// that arrive during a turn are answered together by the next one.
type Engine struct {
	cfg      Config
	log      *slog.Logger
	tools    *toolbox
	mu       sync.Mutex
	channels map[string]channels.Channel
	convs    map[string]*convState // conversations with a turn running
	// modelSlots holds a token per model call in flight; nil when MaxConcurrentModelCalls is 0.
	modelSlots chan struct{}
	closing    bool
	receiving  sync.WaitGroup // Receives past their closing check
	turns      sync.WaitGroup
	// deliveries are the messages of agents and notices being delivered in the background (say), from outboxes,
	// one queue per conversation (under mu).
	deliveries sync.WaitGroup
	outboxes   map[string]*outbox
	updates    updates
	// consentLocks serialise the consent changes of one channel user (see SetConsent).
	consentLocks [consentStripes]sync.Mutex
	// base is the parent of every turn's context; cancelled only when Shutdown runs out of time.
	base   context.Context
	cancel context.CancelFunc
}

type convState struct {
	pending bool // a message arrived during the running turn
	fresh   bool // the next turn gets a whole deadline from its start (see Resume)
}

// New returns an Engine. It panics when a required part of cfg is missing: that is a wiring bug, not a runtime
// condition.
func New(cfg Config) *Engine {
	if cfg.Store == nil || cfg.Offline == nil || cfg.Prompts == nil {
		panic("bot.New: Store, Offline and Prompts are required")
	}
	if cfg.TurnDeadline <= 0 {
		cfg.TurnDeadline = 20 * time.Second
	}
	if cfg.MaxMessageChars <= 0 {
		cfg.MaxMessageChars = 4000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TimelineEvents <= 0 {
		cfg.TimelineEvents = 200
	}
	if cfg.SummaryChars <= 0 {
		cfg.SummaryChars = 1500
	}
	base, cancel := context.WithCancel(context.Background())
	var slots chan struct{}
	if cfg.MaxConcurrentModelCalls > 0 {
		slots = make(chan struct{}, cfg.MaxConcurrentModelCalls)
	}
	e := &Engine{
		modelSlots: slots,
		cfg:        cfg,
		log:        cfg.Logger,
		channels:   make(map[string]channels.Channel),
		convs:      make(map[string]*convState),
		outboxes:   make(map[string]*outbox),
		base:       base,
		cancel:     cancel,
	}
	tools := []tool{knowledgeTool{store: cfg.Store}}
	if len(cfg.Journey.Stages) > 0 {
		tools = append(tools, stageTool{e})
	}
	if len(cfg.Journey.Intents) > 0 {
		tools = append(tools, intentTool{e})
	}
	if len(cfg.FactKeys) > 0 {
		tools = append(tools, factTool{e})
	}
	if cfg.Handoff.Enabled {
		tools = append(tools, handoffTool{})
	}
	e.tools = newToolbox(append(tools, httpTools(cfg)...)...)
	return e
}

// redact removes sensitive data from s with the configured Redactor.
func (e *Engine) redact(s string) string {
	if e.cfg.Redactor == nil {
		return s
	}
	out, _ := e.cfg.Redactor.Redact(s)
	return out
}

// Register makes ch the way replies reach customers on ch.Name(). Call it before the first message arrives.
func (e *Engine) Register(ch channels.Channel) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.channels[ch.Name()] = ch
}

func (e *Engine) channel(name string) channels.Channel {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.channels[name]
}

// Receive resolves the sender to a customer, finds or opens the conversation, stores the message and starts the
// bot's turn for it, which answers through the conversation's channel (a conversation the bot does not own, or a
// message already answered, gets no answer). When it returns without error the message is committed and the channel
// may acknowledge it; the turn's first output may reach the channel before that acknowledgement. A message whose
// ClientMsgID was stored before is not stored again: the Receipt says Duplicate. It returns ErrEmptyMessage or
// ErrTooLong for messages it refuses, ErrShuttingDown once Shutdown has begun (nothing stored), and store errors
// wrapped.
func (e *Engine) Receive(ctx context.Context, in channels.Inbound) (Receipt, error) {
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		// A message stored now would get no turn: better to have the sender resend it to the next server.
		return Receipt{}, ErrShuttingDown
	}
	// Shutdown waits for Receives that got past this point, and the turns they start.
	e.receiving.Add(1)
	e.mu.Unlock()
	defer e.receiving.Done()
	r, err := e.receive(ctx, in)
	if err == nil {
		if !r.Duplicate {
			e.publish(channels.Update{Kind: channels.UpdateMessage, Conversation: r.Conversation, Message: r.Message})
		}
		e.schedule(r.Conversation.ID, false, true)
	}
	return r, err
}

func (e *Engine) receive(ctx context.Context, in channels.Inbound) (Receipt, error) {
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return Receipt{}, ErrEmptyMessage
	}
	if utf8.RuneCountInString(text) > e.cfg.MaxMessageChars {
		return Receipt{}, ErrTooLong
	}
	if in.ClientMsgID == "" {
		in.ClientMsgID = uuid.NewString()
	}
	level := in.Level
	if level == "" {
		level = journeystate.LevelAnonymous
	}
	cust, err := e.cfg.Store.ResolveIdentity(ctx, journeystate.IdentityClaim{
		Channel: in.Channel, ExternalID: in.UserID, Level: level, Profile: in.Profile,
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("resolve identity: %w", err)
	}
	// A resend of a message stored earlier belongs to the conversation it was stored in, even if that one has
	// been closed since: look it up before opening anything.
	if prev, err := e.cfg.Store.MessageByClientID(ctx, cust.ID, in.ClientMsgID); err == nil {
		conv, err := e.cfg.Store.Conversation(ctx, prev.ConversationID)
		if err != nil {
			return Receipt{}, fmt.Errorf("load conversation of resent message: %w", err)
		}
		return Receipt{Customer: cust, Conversation: conv, Message: prev, Duplicate: true}, nil
	} else if !errors.Is(err, journeystate.ErrNotFound) {
		return Receipt{}, fmt.Errorf("look up message %q: %w", in.ClientMsgID, err)
	}
	created := in.ReceivedAt
	if created.IsZero() {
		created = e.cfg.Now()
	}
	// A lone number just after a close that asked for a rating rates that conversation; it opens no new one.
	if rated, n, ok := e.ratingTarget(ctx, cust, in, text); ok {
		return e.recordRating(ctx, cust, rated, in, text, n, created)
	}
	conv, _, err := e.cfg.Store.OpenConversation(ctx, cust.ID, in.Channel, in.ThreadID)
	if err != nil {
		return Receipt{}, fmt.Errorf("open conversation: %w", err)
	}
	if e.cfg.RedactStored {
		text = e.redact(text)
	}
	msg, dup, err := e.cfg.Store.AppendMessage(ctx, journeystate.Message{
		ConversationID: conv.ID,
		CustomerID:     cust.ID,
		Author:         journeystate.ActorCustomer,
		ClientID:       in.ClientMsgID,
		Text:           text,
		CreatedAt:      created,
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("store message: %w", err)
	}
	if !dup {
		conv.LastSeq = msg.Seq
		e.cfg.Metrics.message(in.Channel, journeystate.ActorCustomer)
	}
	return Receipt{Customer: cust, Conversation: conv, Message: msg, Duplicate: dup}, nil
}

// Resume starts a turn, with a whole deadline, for every conversation the bot owns whose newest message is a
// customer's stored at or after since (at most resumeLimit, the least recent first): messages acknowledged before a
// crash or a restart and never answered. It returns how many it started. Call it once at start, after the channels
// are registered.
func (e *Engine) Resume(ctx context.Context, since time.Time) (int, error) {
	convs, err := e.cfg.Store.UnansweredConversations(ctx, since, resumeLimit)
	if err != nil {
		return 0, fmt.Errorf("find unanswered conversations: %w", err)
	}
	for _, c := range convs {
		e.schedule(c.ID, true, false)
	}
	if len(convs) == resumeLimit {
		e.log.Warn("resume: more unanswered conversations than are resumed at once", "resumed", resumeLimit)
	}
	return len(convs), nil
}

// resumeLimit bounds the turns Resume starts; each waits for a model slot like any other turn.
const resumeLimit = 1000

// schedule starts a turn for the conversation, or marks one as pending when a turn is running. Once Shutdown has
// begun it starts nothing, unless accepted: the message was received before (Shutdown waits for those).
func (e *Engine) schedule(convID string, fresh, accepted bool) {
	if convID == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing && !accepted {
		return
	}
	if st, ok := e.convs[convID]; ok {
		st.pending = true
		st.fresh = st.fresh || fresh
		return
	}
	e.convs[convID] = &convState{fresh: fresh}
	e.turns.Add(1)
	go e.runTurns(convID)
}

// runTurns runs turns for one conversation until no message is waiting, also while shutting down: the messages
// were accepted. A turn that failed on the store is tried again after a pause, a few times.
func (e *Engine) runTurns(convID string) {
	defer e.turns.Done()
	for {
		e.mu.Lock()
		st := e.convs[convID]
		fresh := st.fresh
		st.fresh = false
		e.mu.Unlock()
		for attempt := 0; !e.turn(convID, fresh) && attempt < len(turnRetryWaits); attempt++ {
			select {
			case <-time.After(turnRetryWaits[attempt]):
			case <-e.base.Done():
			}
		}
		e.mu.Lock()
		if !st.pending {
			delete(e.convs, convID)
			e.mu.Unlock()
			return
		}
		st.pending = false
		e.mu.Unlock()
	}
}

// History returns the sender's latest conversation on the thread and its messages with Seq > afterSeq: at most
// limit, the newest ones, oldest first. It creates nothing: a zero Conversation and no error when there is none.
func (e *Engine) History(ctx context.Context, channel, userID, threadID string, afterSeq int64, limit int) (journeystate.Conversation, []journeystate.Message, error) {
	id, err := e.cfg.Store.FindIdentity(ctx, channel, userID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return journeystate.Conversation{}, nil, nil
	}
	if err != nil {
		return journeystate.Conversation{}, nil, fmt.Errorf("find identity: %w", err)
	}
	conv, err := e.cfg.Store.LatestConversation(ctx, id.CustomerID, channel, threadID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return journeystate.Conversation{}, nil, nil
	}
	if err != nil {
		return journeystate.Conversation{}, nil, fmt.Errorf("latest conversation: %w", err)
	}
	if afterSeq < 0 || afterSeq > conv.LastSeq {
		afterSeq = 0 // the client's seq belongs to another conversation
	}
	var msgs []journeystate.Message
	if conv.LastSeq-afterSeq > int64(limit) {
		msgs, err = e.cfg.Store.RecentMessages(ctx, conv.ID, limit)
	} else {
		msgs, err = e.cfg.Store.Messages(ctx, conv.ID, afterSeq, limit)
	}
	if err != nil {
		return journeystate.Conversation{}, nil, fmt.Errorf("load messages: %w", err)
	}
	return conv, msgs, nil
}

// turnRetryWaits are the pauses before a turn that failed on the store is tried again.
var turnRetryWaits = [...]time.Duration{200 * time.Millisecond, time.Second}

// Shutdown stops receiving messages (Receive returns ErrShuttingDown) and waits for the Receives in progress and for
// every turn, including the turns for messages that arrived while an earlier turn ran. When ctx ends first it
// cancels them (each still stores what it has; Resume answers the rest at the next start) and returns ctx.Err().
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.receiving.Wait() // no turn is started after this
		e.turns.Wait()
		e.deliveries.Wait()
		close(done)
	}()
	select {
	case <-done:
		e.cancel()
		return nil
	case <-ctx.Done():
		e.cancel()
		<-done
		return ctx.Err()
	}
}
