package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// The desk: what agents do with handed-off conversations, from the agent console or a Slack agent thread. Every
// action is a compare-and-set owner change through the switchboard (journeystate.CheckTransition), so that two
// agents acting on one conversation at once cannot both win: the loser gets a *journeystate.TransitionError (an
// ErrConflict). Each action stores what the customer is to see (the agent's words, a notice that an agent joined or
// that the assistant is back) before delivering it on the customer's own channel, and reports an Update to the
// subscribers.

// ErrNotOwner means the agent acted on a conversation they do not own (a reply, a hand-back, a close by an agent who
// is not its owner). It is an ErrConflict, so that callers that do not know the engine (the console, Slack) treat it
// as the refused change it is.
var ErrNotOwner = fmt.Errorf("the agent does not own the conversation: %w", journeystate.ErrConflict)

// ErrEmptyNote means a note or agent reply had no text.
var ErrEmptyNote = errors.New("the text is empty")

// HandoffRequest is a trigger's decision to hand a conversation to people.
type HandoffRequest struct {
	// Trigger is one of the journeystate.Trigger constants or a rule's trigger ("rule:vip").
	Trigger string
	// Reason says why, in words an agent reads.
	Reason     string
	Urgency    journeystate.Urgency // "" normal
	Sentiment  journeystate.Sentiment
	Intent     string
	Confidence float64
	Language   string
	// Agent is the agent who takes the conversation over on their own (Trigger "agent"); zero for every other
	// trigger, which queue the conversation.
	Agent channels.Agent
	// Actor is who decided: the customer (asked for a person), the bot (the model's tool), a rule, an agent.
	Actor journeystate.Actor
	// team is the team a rule sends the conversation to, "" to route it by skills.
	team string
}

// Take gives the conversation to agent: from the queue (take), from the bot (an agent taking over on their own:
// a packet with trigger "agent" is stored), or a closed conversation (a follow-up). The customer is told that the
// agent joined. A conversation another agent holds is refused with a *TransitionError.
func (e *Engine) Take(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	if err := validAgent(agent); err != nil {
		return journeystate.Conversation{}, err
	}
	conv, err := e.cfg.Store.Conversation(ctx, convID)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("take: %w", err)
	}
	switch conv.Owner {
	case journeystate.OwnerBot:
		after, _, err := e.handOff(ctx, conv, HandoffRequest{Trigger: journeystate.TriggerAgent, Agent: agent,
			Actor: journeystate.ActorAgent, Confidence: 1, Reason: agent.Name + " took the conversation over."}, "")
		return after, err
	case journeystate.OwnerAgent:
		return journeystate.Conversation{}, &journeystate.TransitionError{From: conv.Owner, FromAgentID: conv.AgentID,
			To: journeystate.OwnerAgent, AgentID: agent.ID, Actor: journeystate.ActorAgent,
			Reason: "another agent has the conversation"}
	}
	cause := "take"
	if conv.Owner == journeystate.OwnerClosed {
		cause = "follow up"
	}
	return e.giveTo(ctx, conv, agent, journeystate.ActorAgent, cause)
}

// giveTo moves conv to agent and tells the customer the agent joined.
func (e *Engine) giveTo(ctx context.Context, conv journeystate.Conversation, agent channels.Agent, actor journeystate.Actor, cause string) (journeystate.Conversation, error) {
	change := journeystate.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: journeystate.OwnerAgent,
		AgentID: agent.ID, Actor: actor, Cause: cause}
	after, err := e.cfg.Store.SetOwner(ctx, conv.ID, change)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("give conversation %s to %s: %w", conv.ID, agent.ID, err)
	}
	if conv.Owner == journeystate.OwnerQueue {
		outcome := "taken"
		if cause != "take" {
			outcome = "assigned"
		}
		e.cfg.Metrics.queueWaited(conv.Team, outcome, e.cfg.Now().Sub(conv.OwnerSince))
	}
	e.publish(channels.Update{Kind: channels.UpdateOwner, Conversation: after, Change: change, Agent: agent})
	e.notice(ctx, after, journeystate.NoticeAgentJoined, agent, "")
	return after, nil
}

// Assign gives a queued conversation, or one another agent holds, to agent to, on the decision of by (a manager or
// the agent holding it). The console checks that by may assign.
func (e *Engine) Assign(ctx context.Context, convID string, to, by channels.Agent) (journeystate.Conversation, error) {
	if err := validAgent(to); err != nil {
		return journeystate.Conversation{}, err
	}
	conv, err := e.cfg.Store.Conversation(ctx, convID)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("assign: %w", err)
	}
	if conv.Owner == journeystate.OwnerAgent && conv.AgentID != to.ID {
		e.notice(ctx, conv, journeystate.NoticeAgentLeft, channels.Agent{ID: conv.AgentID, Name: e.agentName(ctx, conv)}, "")
	}
	return e.giveTo(ctx, conv, to, journeystate.ActorAgent, "assigned by "+cmp.Or(by.Name, by.ID))
}

// agentName is the name the newest notice or message of conv gives its agent, or "Our agent".
func (e *Engine) agentName(ctx context.Context, conv journeystate.Conversation) string {
	msgs, err := e.cfg.Store.RecentMessages(ctx, conv.ID, 50)
	if err == nil {
		for _, m := range slices.Backward(msgs) {
			if m.Meta.AgentID == conv.AgentID && m.Meta.AgentName != "" {
				return m.Meta.AgentName
			}
		}
	}
	return "Our agent"
}

// TransferToTeam puts the conversation agent holds into team's queue (a configured team name).
func (e *Engine) TransferToTeam(ctx context.Context, convID string, agent channels.Agent, team string) (journeystate.Conversation, error) {
	t, ok := e.cfg.Handoff.team(team)
	if !ok {
		return journeystate.Conversation{}, fmt.Errorf("transfer: no team %q: %w", team, ErrBadReference)
	}
	conv, err := e.owned(ctx, convID, agent)
	if err != nil {
		return journeystate.Conversation{}, err
	}
	change := journeystate.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorAgent, Cause: "transfer to " + t.Name, Team: t.Name}
	after, err := e.cfg.Store.SetOwner(ctx, conv.ID, change)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("transfer conversation %s: %w", conv.ID, err)
	}
	e.publish(channels.Update{Kind: channels.UpdateOwner, Conversation: after, Change: change, Agent: agent})
	e.say(ctx, after, journeystate.Message{Author: journeystate.ActorSystem, ClientID: "notice:" + uuid.NewString(),
		Text: fmt.Sprintf("%s passed your conversation to our %s team; someone will be with you soon.", agent.Name, t.Name),
		Meta: journeystate.MessageMeta{Notice: journeystate.NoticeAgentLeft, AgentID: agent.ID, AgentName: agent.Name}})
	return after, nil
}

// owned returns the conversation when agent owns it, ErrNotOwner when they do not.
func (e *Engine) owned(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	if err := validAgent(agent); err != nil {
		return journeystate.Conversation{}, err
	}
	conv, err := e.cfg.Store.Conversation(ctx, convID)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("conversation %s: %w", convID, err)
	}
	if conv.Owner != journeystate.OwnerAgent || conv.AgentID != agent.ID {
		return journeystate.Conversation{}, fmt.Errorf("conversation %s (owner %s): %w", convID, conv.Owner, ErrNotOwner)
	}
	return conv, nil
}

func validAgent(a channels.Agent) error {
	if strings.TrimSpace(a.ID) == "" {
		return fmt.Errorf("an agent needs an id: %w", ErrBadReference)
	}
	return nil
}

// Reply stores the agent's message in the conversation the agent owns and delivers it on the customer's channel.
// clientID makes a resent reply (a double click, a Slack retry) stored once; "" gives it a fresh one. ErrNotOwner
// when agent does not own the conversation; ErrEmptyNote for empty text, ErrTooLong for too long a one.
func (e *Engine) Reply(ctx context.Context, convID string, agent channels.Agent, clientID, text string) (journeystate.Message, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return journeystate.Message{}, ErrEmptyNote
	}
	if utf8.RuneCountInString(text) > e.cfg.MaxMessageChars {
		return journeystate.Message{}, ErrTooLong
	}
	conv, err := e.owned(ctx, convID, agent)
	if err != nil {
		return journeystate.Message{}, err
	}
	if clientID == "" {
		clientID = uuid.NewString()
	}
	return e.say(ctx, conv, journeystate.Message{Author: journeystate.ActorAgent, ClientID: "agent:" + clientID, Text: text,
		Meta: journeystate.MessageMeta{AgentID: agent.ID, AgentName: agent.Name}})
}

// EventAgentNote is an agent's internal note; payload {"text", "agent_id", "agent_name"}.
const EventAgentNote = "agent_note"

// maxNoteChars bounds an internal note.
const maxNoteChars = 4000

// Note stores an internal note on the conversation (an "agent_note" event: agents see it, the customer never does).
// Any agent may write one on any conversation.
func (e *Engine) Note(ctx context.Context, convID string, agent channels.Agent, text string) (journeystate.Event, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return journeystate.Event{}, ErrEmptyNote
	}
	if utf8.RuneCountInString(text) > maxNoteChars {
		return journeystate.Event{}, ErrTooLong
	}
	if err := validAgent(agent); err != nil {
		return journeystate.Event{}, err
	}
	conv, err := e.cfg.Store.Conversation(ctx, convID)
	if err != nil {
		return journeystate.Event{}, fmt.Errorf("note: %w", err)
	}
	payload, _ := json.Marshal(map[string]string{"text": text, "agent_id": agent.ID, "agent_name": agent.Name})
	ev, _, err := e.cfg.Store.AppendEvent(ctx, journeystate.Event{CustomerID: conv.CustomerID, ConversationID: conv.ID,
		Type: EventAgentNote, Channel: conv.Channel, Actor: journeystate.ActorAgent, Cause: agent.ID, Payload: payload})
	if err != nil {
		return journeystate.Event{}, fmt.Errorf("note: %w", err)
	}
	e.publish(channels.Update{Kind: channels.UpdateNote, Conversation: conv, Agent: agent, Text: text})
	return ev, nil
}

// Typing shows the customer that agent is writing (on channels that can show it) and reports the Update.
func (e *Engine) Typing(ctx context.Context, convID string, agent channels.Agent, on bool) error {
	conv, err := e.owned(ctx, convID, agent)
	if err != nil {
		return err
	}
	if t, ok := e.channel(conv.Channel).(channels.AgentTyping); ok {
		t.AgentTyping(conv, agent, on)
	}
	e.publish(channels.Update{Kind: channels.UpdateTyping, Conversation: conv, Agent: agent, Typing: on})
	return nil
}

// HandBack gives the conversation agent holds back to the bot; the customer is told the assistant is back.
func (e *Engine) HandBack(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error) {
	conv, err := e.owned(ctx, convID, agent)
	if err != nil {
		return journeystate.Conversation{}, err
	}
	return e.toBot(ctx, conv, journeystate.ActorAgent, "hand back", agent,
		"The assistant is back. Ask me anything, or ask for a person at any time.")
}

// toBot gives conv to the bot and tells the customer with text.
func (e *Engine) toBot(ctx context.Context, conv journeystate.Conversation, actor journeystate.Actor, cause string,
	agent channels.Agent, text string) (journeystate.Conversation, error) {
	change := journeystate.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: journeystate.OwnerBot,
		Actor: actor, Cause: cause}
	after, err := e.cfg.Store.SetOwner(ctx, conv.ID, change)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("hand conversation %s back to the bot: %w", conv.ID, err)
	}
	e.publish(channels.Update{Kind: channels.UpdateOwner, Conversation: after, Change: change, Agent: agent})
	e.say(ctx, after, journeystate.Message{Author: journeystate.ActorSystem, ClientID: "notice:" + uuid.NewString(),
		Text: text, Meta: journeystate.MessageMeta{Notice: journeystate.NoticeBotBack, AgentID: agent.ID, AgentName: agent.Name}})
	return after, nil
}

// Close closes the conversation with an outcome (journeystate.ValidOutcome). An agent may close the conversations
// they own and queued ones.
func (e *Engine) Close(ctx context.Context, convID string, agent channels.Agent, outcome string) (journeystate.Conversation, error) {
	if !journeystate.ValidOutcome(outcome) {
		return journeystate.Conversation{}, fmt.Errorf("close: unknown outcome %q: %w", outcome, ErrBadReference)
	}
	if err := validAgent(agent); err != nil {
		return journeystate.Conversation{}, err
	}
	conv, err := e.cfg.Store.Conversation(ctx, convID)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("close: %w", err)
	}
	if conv.Owner == journeystate.OwnerAgent && conv.AgentID != agent.ID {
		return journeystate.Conversation{}, fmt.Errorf("close conversation %s: %w", convID, ErrNotOwner)
	}
	change := journeystate.OwnerChange{From: conv.Owner, FromAgentID: conv.AgentID, Owner: journeystate.OwnerClosed,
		Actor: journeystate.ActorAgent, Cause: outcome}
	after, err := e.cfg.Store.SetOwner(ctx, conv.ID, change)
	if err != nil {
		return journeystate.Conversation{}, fmt.Errorf("close conversation %s: %w", conv.ID, err)
	}
	if conv.Owner == journeystate.OwnerQueue {
		e.cfg.Metrics.queueWaited(conv.Team, "closed", e.cfg.Now().Sub(conv.OwnerSince))
	}
	e.publish(channels.Update{Kind: channels.UpdateOwner, Conversation: after, Change: change, Agent: agent})
	e.say(ctx, after, journeystate.Message{Author: journeystate.ActorSystem, ClientID: "notice:" + uuid.NewString(),
		Text: closedNotice,
		Meta: journeystate.MessageMeta{Notice: journeystate.NoticeClosed, AgentID: agent.ID, AgentName: agent.Name}})
	return after, nil
}

// closedNotice tells the customer the conversation was closed, and asks for their rating (see rating.go).
const closedNotice = "This conversation was closed. How did we do? Reply with a number from 1 (poor) to 5 (great), " +
	"or write again any time."

// Subscribe returns a channel of Updates and a func that ends the subscription (and closes the channel). Each
// subscriber has a buffer of buffer updates (at least 16); one that falls behind loses updates rather than slowing
// the engine, and should reload from the store.
func (e *Engine) Subscribe(buffer int) (<-chan channels.Update, func()) {
	return e.updates.subscribe(buffer)
}

func (e *Engine) publish(up channels.Update) {
	if missed := e.updates.publish(up); missed > 0 {
		e.cfg.Metrics.updatesMissed(missed)
	}
}

// notice stores and delivers a system message announcing what happened with agent ("Sam joined the
// conversation."). replyTo, when set, is the customer message the notice answers in a bot turn.
func (e *Engine) notice(ctx context.Context, conv journeystate.Conversation, kind string, agent channels.Agent, replyTo string) {
	name := cmp.Or(strings.TrimSpace(agent.Name), "An agent")
	var text string
	switch kind {
	case journeystate.NoticeAgentJoined:
		text = name + " joined the conversation."
	case journeystate.NoticeAgentLeft:
		text = name + " left the conversation."
	default:
		text = "The conversation changed."
	}
	e.say(ctx, conv, journeystate.Message{Author: journeystate.ActorSystem, ClientID: "notice:" + uuid.NewString(),
		Text: text, Meta: journeystate.MessageMeta{Notice: kind, AgentID: agent.ID, AgentName: agent.Name, ReplyTo: replyTo}})
}

// say stores m in conv, reports it, and delivers it on the customer's channel in the background (delivery may
// wait out a channel's rate limit; the agent who wrote it need not). A message already stored (the same ClientID)
// is returned as it is and not delivered again. Store errors are returned; delivery errors are logged (the
// message is in the transcript, and the web chat shows it when it syncs).
func (e *Engine) say(ctx context.Context, conv journeystate.Conversation, m journeystate.Message) (journeystate.Message, error) {
	m.ConversationID, m.CustomerID = conv.ID, conv.CustomerID
	stored, dup, err := e.cfg.Store.AppendMessage(ctx, m)
	if err != nil {
		e.log.Error("store message", "conversation", conv.ID, "author", m.Author, "err", err)
		return journeystate.Message{}, fmt.Errorf("store message: %w", err)
	}
	if dup {
		return stored, nil
	}
	conv.LastSeq = stored.Seq
	e.cfg.Metrics.message(conv.Channel, m.Author)
	e.publish(channels.Update{Kind: channels.UpdateMessage, Conversation: conv, Message: stored})
	e.deliverLater(conv, stored)
	return stored, nil
}

// deliverLater delivers m in the background with deliverTimeout, after the messages of conv queued before it: each
// conversation has one delivery at a time, so that a customer on SMS or Slack gets an agent's messages and the
// notices in the order they were stored. Shutdown waits for the queue.
func (e *Engine) deliverLater(conv journeystate.Conversation, m journeystate.Message) {
	ch := e.channel(conv.Channel)
	if ch == nil {
		e.log.Warn("deliver: no channel registered", "channel", conv.Channel)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.outboxes[conv.ID]
	if q == nil {
		q = &outbox{}
		e.outboxes[conv.ID] = q
	}
	q.pending = append(q.pending, delivery{conv: conv, msg: m, ch: ch})
	if !q.running {
		q.running = true
		e.deliveries.Add(1)
		go e.drain(conv.ID)
	}
}

// outbox is one conversation's messages waiting to be delivered in the background.
type outbox struct {
	pending []delivery
	running bool
}

type delivery struct {
	conv journeystate.Conversation
	msg  journeystate.Message
	ch   channels.Channel
}

// drain delivers the conversation's queued messages one after another until none is left.
func (e *Engine) drain(convID string) {
	defer e.deliveries.Done()
	for {
		e.mu.Lock()
		q := e.outboxes[convID]
		if len(q.pending) == 0 {
			delete(e.outboxes, convID)
			e.mu.Unlock()
			return
		}
		d := q.pending[0]
		q.pending = q.pending[1:]
		e.mu.Unlock()
		ctx, cancel := context.WithTimeout(e.base, deliverTimeout)
		if err := d.ch.Deliver(ctx, d.conv, d.msg); err != nil {
			e.log.Warn("deliver message", "channel", d.conv.Channel, "conversation", d.conv.ID, "author", d.msg.Author, "err", err)
		}
		cancel()
	}
}
