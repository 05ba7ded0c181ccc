package webchat

import (
	"context"
	"fmt"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Deliver sends a stored message to every open socket of the conversation's visitor (conv.ThreadID). A visitor with
// no open socket gets it from the store with the next hello, so that is not an error; neither is a socket dropped
// for being slow. It returns an error only when conv has no thread id. It never blocks on a socket.
func (h *Hub) Deliver(_ context.Context, conv journeystate.Conversation, m journeystate.Message) error {
	if conv.ThreadID == "" {
		return fmt.Errorf("deliver message %s: conversation %s has no thread id", m.ID, conv.ID)
	}
	h.publish(conv.ThreadID, typeMessage, plainFrame(mustJSON(messageFrame{Type: typeMessage, Message: toWire(m)})), nil)
	return nil
}

// Typing shows (on) or hides that the bot is writing, on every open socket of the conversation's visitor. It never
// blocks.
func (h *Hub) Typing(conv journeystate.Conversation, on bool) {
	h.publish(conv.ThreadID, typeTyping, plainFrame(mustJSON(typingFrame{Type: typeTyping, On: on})), nil)
}

// AgentTyping shows (on) or hides that agent is writing, on every open socket of the conversation's visitor: a
// typing frame with author "agent" and the agent's name, which clients keep apart from the bot's typing (an agent's
// typing going off says nothing about a reply the bot is streaming). It never blocks.
func (h *Hub) AgentTyping(conv journeystate.Conversation, agent channels.Agent, on bool) {
	f := typingFrame{Type: typeTyping, On: on, Author: string(journeystate.ActorAgent), AgentName: agent.Name}
	h.publish(conv.ThreadID, typeTyping, plainFrame(mustJSON(f)), nil)
}

// StreamDelta sends a piece of the reply replyID to every open socket of the conversation's visitor. It never
// blocks; a socket that misses deltas (dropped, reconnected) still gets the final reply from Deliver or the store.
// Deltas of one reply still queued for a socket whose writer is behind are sent as one frame (merge.go).
func (h *Hub) StreamDelta(conv journeystate.Conversation, replyID, text string) {
	h.publish(conv.ThreadID, typeDelta, deltaOut(replyID, text), nil)
}

// publish queues an encoded frame of type typ on every socket of the visitor except skip. The lock is held only
// to copy the list, so a socket being dropped (which takes the lock) never waits for a publisher or the reverse.
func (h *Hub) publish(visitorID, typ string, frame outFrame, skip *client) {
	if visitorID == "" {
		return
	}
	h.mu.Lock()
	set := h.visitors[visitorID]
	targets := make([]*client, 0, len(set))
	for c := range set {
		if c != skip {
			targets = append(targets, c)
		}
	}
	h.mu.Unlock()
	for _, c := range targets {
		if c.enqueue(frame) {
			h.metrics.frameOut(typ)
		}
	}
}

// add records a newly upgraded socket and accounts for its two goroutines; false when the hub is shutting down.
func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.clients[c] = struct{}{}
	h.running.Add(2)
	h.metrics.connections.Inc()
	return true
}

// register joins a socket to its visitor after hello; false when the socket has stopped.
func (h *Hub) register(c *client, visitorID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, open := h.clients[c]; !open {
		return false
	}
	c.visitorID = visitorID
	set := h.visitors[visitorID]
	if set == nil {
		set = make(map[*client]struct{}, 1)
		h.visitors[visitorID] = set
	}
	set[c] = struct{}{}
	return true
}

// unregisterVisitor takes a socket out of its visitor's set (a failed first hello): it is open but has no visitor.
func (h *Hub) unregisterVisitor(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leaveVisitorLocked(c)
	c.visitorID = ""
}

// unregister forgets a stopped socket.
func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, open := h.clients[c]; !open {
		return
	}
	delete(h.clients, c)
	h.metrics.connections.Dec()
	h.leaveVisitorLocked(c)
}

func (h *Hub) leaveVisitorLocked(c *client) {
	if c.visitorID == "" {
		return
	}
	set := h.visitors[c.visitorID]
	delete(set, c)
	if len(set) == 0 {
		delete(h.visitors, c.visitorID)
	}
}

// sockets returns how many sockets of the visitor are registered (tests and diagnostics).
func (h *Hub) sockets(visitorID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.visitors[visitorID])
}
