package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Slack as an agent console. A conversation handed to people is posted as a packet (agent_blocks.go) at the top
// level of its team's agent channel; the packet's thread is linked to the conversation (LinkAgentThread), and
// everything that later happens to the conversation is posted in that thread: the customer's and the bot's
// messages, agents' messages from the web console, owner changes. Agents work it with the packet's buttons
// (interactive.go) and by replying in the thread (agent_reply.go). Whoever can post in an agent channel acts as an
// agent: keep agent channels private to staff.

// LinkAgentThread is the link kind (journeystate.Store.LinkConversation) of a conversation's Slack agent thread;
// the external id is "CHANNEL:THREAD_TS".
const LinkAgentThread = "slack_agent_thread"

// Desk is the part of bot.Engine that agents in Slack use. Every owner change is a compare-and-set: an action that
// lost a race returns an error for which errors.Is(err, journeystate.ErrConflict) holds.
type Desk interface {
	// Take gives the conversation to agent (from the queue, from the bot, or a closed one to follow up).
	Take(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error)
	// HandBack gives the conversation agent holds back to the bot; an error when agent does not hold it.
	HandBack(ctx context.Context, convID string, agent channels.Agent) (journeystate.Conversation, error)
	// Close closes the conversation with outcome (journeystate.ValidOutcome).
	Close(ctx context.Context, convID string, agent channels.Agent, outcome string) (journeystate.Conversation, error)
	// Reply stores the agent's message and delivers it on the customer's channel; clientID makes a resent reply
	// stored once. An error when agent does not own the conversation, or the text is empty or too long.
	Reply(ctx context.Context, convID string, agent channels.Agent, clientID, text string) (journeystate.Message, error)
	// Subscribe returns the engine's Updates and a func that ends the subscription; a subscriber that falls behind
	// loses updates.
	Subscribe(buffer int) (<-chan channels.Update, func())
}

// Links is the part of journeystate.Store that keeps which Slack thread is a conversation's agent thread.
type Links interface {
	// LinkConversation records that externalID names the conversation in kind; ErrConflict when it names another.
	LinkConversation(ctx context.Context, kind, externalID, conversationID string) error
	// LinkedConversation returns the conversation externalID names in kind, or ErrNotFound.
	LinkedConversation(ctx context.Context, kind, externalID string) (string, error)
	// ConversationLink returns the newest external id linked to the conversation in kind, or ErrNotFound.
	ConversationLink(ctx context.Context, kind, conversationID string) (string, error)
	// LatestHandoff returns the packet of the conversation's newest hand-off, or ErrNotFound when it was never
	// handed off; a packet is drawn again from it when its conversation changes owner.
	LatestHandoff(ctx context.Context, conversationID string) (journeystate.Handoff, error)
}

var _ Links = journeystate.Store(nil)

const (
	// agentUpdateBuffer is the Desk subscription's buffer: updates are posted one at a time, in order, and a
	// burst of them waits here for Slack (about one post per second per channel).
	agentUpdateBuffer = 256
	// agentPostWait bounds the posting of one update, rate-limit waits included.
	agentPostWait = 30 * time.Second
	// agentSeenKeys is how many agent replies are remembered, to take each once (Slack's retries, and the message
	// and app_mention events of one message).
	agentSeenKeys = 4096
	// slackAgentPrefix begins the channels.Agent ID of a Slack user acting as an agent.
	slackAgentPrefix = "slack:"
)

// setUpAgentChannels checks the agent channel ids and gathers them; it returns an error naming a bad one.
func (a *Adapter) setUpAgentChannels() error {
	a.agentChannels = make(map[string]bool)
	a.agentSeen = newRecentKeys(agentSeenKeys)
	a.actions = make(chan struct{}, maxActions)
	for team, ch := range a.opts.AgentChannels {
		if !validID(ch) {
			return fmt.Errorf("slack: agent channel of team %q: %q is not a Slack channel id", team, ch)
		}
		a.agentChannels[ch] = true
	}
	if ch := a.opts.AgentChannel; ch != "" {
		if !validID(ch) {
			return fmt.Errorf("slack: agent channel %q is not a Slack channel id", ch)
		}
		a.agentChannels[ch] = true
	}
	return nil
}

// isAgentChannel reports whether channel is one of the agent channels.
func (a *Adapter) isAgentChannel(channel string) bool { return a.agentChannels[channel] }

// agentChannelFor returns the agent channel of team's hand-offs, "" when there is none.
func (a *Adapter) agentChannelFor(team string) string {
	if ch, ok := a.opts.AgentChannels[team]; ok && team != "" {
		return ch
	}
	return a.opts.AgentChannel
}

// deskReady reports whether agent threads can be worked: a Desk and Links are configured.
func (a *Adapter) deskReady() bool { return a.opts.Desk != nil && a.opts.Links != nil }

// RunAgentThreads posts hand-offs and what later happens to the handed-off conversations in Slack agent threads,
// from Desk.Subscribe, until ctx ends; then it ends the subscription and returns nil. Updates are posted one at a
// time, in order; one that cannot be posted is logged and skipped (the store keeps the record). On every owner
// change the packet itself is drawn again (its owner line and its buttons), off the update loop (agent_packet.go).
// It returns an error at once when Options.Desk or Links is missing, and nil at once when no agent channel is
// configured.
func (a *Adapter) RunAgentThreads(ctx context.Context) error {
	if !a.deskReady() {
		return errors.New("slack agent threads: Options.Desk and Options.Links are required")
	}
	if len(a.agentChannels) == 0 {
		return nil
	}
	updates, stop := a.opts.Desk.Subscribe(agentUpdateBuffer)
	defer stop()
	packets := newPacketRefresher(a)
	rctx, cancelPackets := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		packets.run(rctx)
	}()
	defer func() {
		cancelPackets()
		<-done
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-updates:
			if !ok {
				return nil
			}
			uctx, cancel := context.WithTimeout(ctx, agentPostWait)
			if err := a.agentUpdate(uctx, u, packets); err != nil {
				a.log.Warn("slack: agent thread update not posted", "conversation", u.Conversation.ID,
					"kind", string(u.Kind), "err", err)
			}
			cancel()
		}
	}
}

// agentUpdate posts one Update: a hand-off as a new packet, anything else in the conversation's agent thread when
// it has one; an owner change also has packets draw the conversation's packet again.
func (a *Adapter) agentUpdate(ctx context.Context, u channels.Update, packets *packetRefresher) error {
	if u.Kind == channels.UpdateOwner && u.Handoff != nil {
		// The new packet shows the owner it is posted with; a redraw still waiting would draw an older one.
		packets.forget(cmp.Or(u.Conversation.ID, u.Handoff.ConversationID))
		return a.postPacket(ctx, u.Conversation, *u.Handoff, ownerOf(u))
	}
	var line string
	switch u.Kind {
	case channels.UpdateOwner:
		packets.enqueue(u)
		if strings.HasPrefix(u.Agent.ID, slackAgentPrefix) {
			return nil // a button in Slack did it, and its handler said so where it was clicked
		}
		line = ownerLine(u)
	case channels.UpdateMessage:
	case channels.UpdateNote:
		line = "Note by " + cmp.Or(u.Agent.Name, "an agent") + ": " + u.Text
	default:
		return nil
	}
	where, ok, err := a.agentThread(ctx, u.Conversation.ID)
	if err != nil || !ok {
		return err
	}
	if u.Kind == channels.UpdateMessage {
		if line = messageLine(u.Message, where); line == "" {
			return nil
		}
	}
	_, err = a.postPlain(ctx, where, line)
	return err
}

// postPacket posts the hand-off packet at the top level of the team's agent channel and links its thread to the
// conversation. A hand-off whose team has no agent channel (and no default) is not posted.
func (a *Adapter) postPacket(ctx context.Context, conv journeystate.Conversation, h journeystate.Handoff, now packetOwner) error {
	channel := a.agentChannelFor(cmp.Or(h.Team, conv.Team))
	if channel == "" {
		return nil
	}
	if conv.ID == "" {
		conv.ID = h.ConversationID
	}
	blocks, fallback := packetBlocks(conv, h, now)
	ts, err := a.postBlocks(ctx, threadKey{Channel: channel}, fallback, blocks)
	if err != nil {
		return fmt.Errorf("post hand-off: %w", err)
	}
	if err := a.opts.Links.LinkConversation(ctx, LinkAgentThread, linkID(threadKey{Channel: channel, ThreadTS: ts}), conv.ID); err != nil {
		return fmt.Errorf("link agent thread %s:%s: %w", channel, ts, err)
	}
	return nil
}

// agentThread returns the conversation's agent thread; ok false when it has none.
func (a *Adapter) agentThread(ctx context.Context, convID string) (where threadKey, ok bool, err error) {
	if convID == "" {
		return threadKey{}, false, nil
	}
	ext, err := a.opts.Links.ConversationLink(ctx, LinkAgentThread, convID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return threadKey{}, false, nil
	}
	if err != nil {
		return threadKey{}, false, fmt.Errorf("agent thread of %s: %w", convID, err)
	}
	where, err = parseLinkID(ext)
	if err != nil {
		return threadKey{}, false, fmt.Errorf("agent thread of %s: %w", convID, err)
	}
	return where, true, nil
}

// linkID is the external id of an agent thread: "CHANNEL:THREAD_TS".
func linkID(k threadKey) string { return k.Channel + ":" + k.ThreadTS }

// parseLinkID is the inverse of linkID; it refuses anything linkID cannot produce.
func parseLinkID(s string) (threadKey, error) {
	channel, ts, _ := strings.Cut(s, ":")
	if !validID(channel) || !validTS(ts) {
		return threadKey{}, fmt.Errorf("not a Slack agent thread id: %q", s)
	}
	return threadKey{Channel: channel, ThreadTS: ts}, nil
}

// messageLine is how a stored message shows in the agent thread where, "" for one that is not shown: notices (the
// owner lines say it), and agents' replies written in Slack in where's channel, which are there already. That they
// were is told by the clientID agentReply gives them ("slack:CHANNEL:TS"), which the engine keeps in the message's
// ClientID (after its "agent:" prefix).
// agentClientPrefix is what the engine puts before an agent reply's client id.
const agentClientPrefix = "agent:"

func messageLine(m journeystate.Message, where threadKey) string {
	switch m.Author {
	case journeystate.ActorCustomer:
		return "Customer: " + m.Text
	case journeystate.ActorBot:
		return "Bot: " + m.Text
	case journeystate.ActorAgent:
		if strings.HasPrefix(m.Meta.AgentID, slackAgentPrefix) && strings.HasPrefix(strings.TrimPrefix(m.ClientID, agentClientPrefix), "slack:"+where.Channel+":") {
			return ""
		}
		return cmp.Or(m.Meta.AgentName, "Agent") + ": " + m.Text
	default:
		return ""
	}
}

// ownerLine is how an owner change shows in the agent thread.
func ownerLine(u channels.Update) string {
	c := u.Change
	agent := "an agent"
	if c.AgentID != "" && u.Agent.ID == c.AgentID && u.Agent.Name != "" {
		agent = u.Agent.Name
	}
	why := ""
	if c.Actor != journeystate.ActorAgent && c.Cause != "" {
		why = " (" + c.Cause + ")"
	}
	switch c.Owner {
	case journeystate.OwnerAgent:
		if c.From == journeystate.OwnerAgent {
			return "Transferred to " + agent
		}
		return "Taken by " + agent
	case journeystate.OwnerQueue:
		if team := cmp.Or(c.Team, u.Conversation.Team); team != "" {
			return "Queued for " + team + why
		}
		return "Back in the queue" + why
	case journeystate.OwnerBot:
		return "Handed back to the bot" + why
	case journeystate.OwnerClosed:
		return "Closed: " + cmp.Or(c.Cause, "no outcome")
	default:
		return "Owner changed to " + string(c.Owner)
	}
}

// agentFor returns the Slack user as an agent: their profile's name (users.info, cached), else fallback (the name
// Slack sent with the request), else their user id.
func (a *Adapter) agentFor(ctx context.Context, teamID, userID, fallback string) channels.Agent {
	key := teamID + ":" + userID
	p, ok := a.users.get(key)
	if !ok {
		var keep bool
		p, keep = a.lookupUser(ctx, userID)
		if keep {
			a.users.put(key, p)
		}
	}
	return channels.Agent{ID: slackAgentPrefix + userID, Name: cmp.Or(p.Name, truncate(strings.TrimSpace(fallback), 200), userID)}
}

// postPlain posts text in the thread as plain_text blocks, which show every character as it is: no mention,
// link or formatting in customer or model text can take effect. It returns the new message's ts.
func (a *Adapter) postPlain(ctx context.Context, where threadKey, text string) (string, error) {
	return a.postBlocks(ctx, where, escape(truncate(text, 3000)), plainSections(text))
}

// postBlocks posts blocks, with fallback (escaped mrkdwn) as the notification text, in the thread (the top level
// of where.Channel when where.ThreadTS is "") and returns the new message's ts.
func (a *Adapter) postBlocks(ctx context.Context, where threadKey, fallback string, blocks []slackapi.Block) (string, error) {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(fallback, false), slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(), slackapi.MsgOptionDisableMediaUnfurl()}
	if where.ThreadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(where.ThreadTS))
	}
	var ts string
	err := a.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = a.api.PostMessageContext(ctx, where.Channel, opts...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.postMessage: %w", err)
	}
	return ts, nil
}

// ephemeral shows text (plain words of journeybot's, escaped here) to user only, in the thread.
func (a *Adapter) ephemeral(ctx context.Context, where threadKey, user, text string) error {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(escape(text), false)}
	if where.ThreadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(where.ThreadTS))
	}
	err := a.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := a.api.PostEphemeralContext(ctx, where.Channel, user, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("chat.postEphemeral: %w", err)
	}
	return nil
}

// recentKeys is a bounded set of the keys seen last, oldest forgotten first. It is safe for concurrent use.
type recentKeys struct {
	mu    sync.Mutex
	slot  map[string]int // key -> its slot in order
	order []string       // a ring of the keys; next is the oldest slot
	next  int
}

func newRecentKeys(size int) *recentKeys {
	return &recentKeys{slot: make(map[string]int, size), order: make([]string, size)}
}

// claim adds key and reports whether it was new.
func (r *recentKeys) claim(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.slot[key]; ok {
		return false
	}
	if old := r.order[r.next]; old != "" && r.slot[old] == r.next {
		delete(r.slot, old)
	}
	r.order[r.next] = key
	r.slot[key] = r.next
	r.next = (r.next + 1) % len(r.order)
	return true
}

// release forgets key, so that it may be claimed again (its work failed and Slack will deliver it again).
func (r *recentKeys) release(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.slot, key)
}
