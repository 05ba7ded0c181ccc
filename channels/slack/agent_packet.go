package slack

import (
	"context"
	"errors"
	"fmt"
	"sync"

	slackapi "github.com/slack-go/slack"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// maxPendingPackets bounds the conversations whose packets wait to be drawn again; past it an owner change of yet
// another conversation leaves its packet as it is (the thread line still says what happened).
const maxPendingPackets = 1024

// packetRefresher draws packets again (chat.update) after their conversations change owner, on a goroutine of its
// own so that the update loop never waits for it: chat.update is rate-limited like the posts, and a wait out of a
// 429 would hold up every thread line behind it. Only the newest owner of a conversation matters, so a change that
// arrives while an older one still waits replaces it; conversations are drawn in the order they first waited.
// Its methods are safe for concurrent use.
//
// A redraw already under way when its conversation is handed off again may still draw the new packet with the
// older owner; the next owner change draws it right.
type packetRefresher struct {
	a    *Adapter
	wake chan struct{}

	mu      sync.Mutex
	pending map[string]channels.Update // by conversation id
	order   []string                   // conversation ids, oldest first; one no longer pending is skipped
}

func newPacketRefresher(a *Adapter) *packetRefresher {
	return &packetRefresher{a: a, wake: make(chan struct{}, 1), pending: make(map[string]channels.Update)}
}

// enqueue has the packet of u's conversation drawn with the owner u leaves it with.
func (r *packetRefresher) enqueue(u channels.Update) {
	id := u.Conversation.ID
	if id == "" {
		return
	}
	r.mu.Lock()
	if _, ok := r.pending[id]; !ok {
		if len(r.pending) >= maxPendingPackets {
			r.mu.Unlock()
			r.a.log.Warn("slack: too many packets to draw again, one left as it is", "conversation", id)
			return
		}
		r.order = append(r.order, id)
	}
	r.pending[id] = u
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// forget drops a redraw of the conversation's packet that is still waiting.
func (r *packetRefresher) forget(convID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, convID)
}

// next takes the oldest waiting redraw; ok false when none waits.
func (r *packetRefresher) next() (u channels.Update, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.order) > 0 {
		id := r.order[0]
		r.order = r.order[1:]
		if u, ok := r.pending[id]; ok {
			delete(r.pending, id)
			return u, true
		}
	}
	r.order = nil // let the backing array go
	return channels.Update{}, false
}

// run draws the waiting packets, one at a time, until ctx ends. One that cannot be drawn is logged and skipped.
func (r *packetRefresher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		for ctx.Err() == nil {
			u, ok := r.next()
			if !ok {
				break
			}
			uctx, cancel := context.WithTimeout(ctx, agentPostWait)
			if err := r.a.redrawPacket(uctx, u); err != nil {
				r.a.log.Warn("slack: hand-off packet not updated", "conversation", u.Conversation.ID, "err", err)
			}
			cancel()
		}
	}
}

// redrawPacket replaces the packet at the root of the conversation's agent thread with one showing the owner u
// leaves it with; a conversation without an agent thread has nothing to draw.
func (a *Adapter) redrawPacket(ctx context.Context, u channels.Update) error {
	where, ok, err := a.agentThread(ctx, u.Conversation.ID)
	if err != nil || !ok {
		return err
	}
	h, err := a.opts.Links.LatestHandoff(ctx, u.Conversation.ID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return fmt.Errorf("agent thread %s without a hand-off", linkID(where))
	}
	if err != nil {
		return fmt.Errorf("hand-off of %s: %w", u.Conversation.ID, err)
	}
	blocks, fallback := packetBlocks(u.Conversation, h, ownerOf(u))
	return a.updateBlocks(ctx, where, fallback, blocks)
}

// updateBlocks replaces the message at where (its ThreadTS is the message's ts) with blocks and fallback (escaped
// mrkdwn), waiting out rate limits as call does.
func (a *Adapter) updateBlocks(ctx context.Context, where threadKey, fallback string, blocks []slackapi.Block) error {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(fallback, false), slackapi.MsgOptionBlocks(blocks...)}
	err := a.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, where.Channel, where.ThreadTS, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	return nil
}
