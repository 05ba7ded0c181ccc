package webchat

import "github.com/gorilla/websocket"

// The send queue of a socket: publishers put frames on it without ever blocking, the writer takes them oldest first.
// It is a slice under client.mu rather than a channel so that the newest queued frame can still be extended by a
// delta (merge.go); client.wake tells the writer that there is something to take.

// keepQueueCap is the largest queue array kept once the queue runs empty: a socket that keeps up reuses a small one,
// and one that had a burst gives the memory back.
const keepQueueCap = 8

// enqueue puts a frame on the socket's queue without ever blocking. Frames published before the socket's welcome
// are held and follow the welcome, so that a client always sees welcome first. A full queue or hold (in frames or in
// bytes) means the client does not keep up: it is dropped, and it will resume from the store when it reconnects.
// enqueue reports whether the frame was queued (or merged into the delta before it).
func (c *client) enqueue(f outFrame) bool {
	c.mu.Lock()
	ok := c.queueLocked(f)
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// welcome queues the welcome frame ahead of the frames held since registration and opens the queue. It reports
// whether all were queued.
func (c *client) welcome(frame []byte) bool {
	c.mu.Lock()
	var ok bool
	if c.ready {
		ok = c.pushLocked(plainFrame(frame))
	} else {
		c.ready = true
		held := c.held
		c.held = nil
		for _, f := range held {
			c.queuedBytes -= len(f.data) // counted again as each is pushed
		}
		ok = c.pushLocked(plainFrame(frame))
		for i := 0; ok && i < len(held); i++ {
			ok = c.pushLocked(held[i])
		}
	}
	if ok {
		c.welcomeAt = c.queued
	}
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// welcomePending reports whether a welcome is queued and not yet written.
func (c *client) welcomePending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written < c.welcomeAt
}

// reply queues a frame that answers the client's own frame (ack, error): it is never held, since the client is
// waiting for it. Like enqueue it never blocks and drops a client that does not keep up.
func (c *client) reply(frame []byte) bool {
	c.mu.Lock()
	ok := c.pushLocked(plainFrame(frame))
	c.mu.Unlock()
	if !ok {
		c.drop()
	}
	return ok
}

// unhold forgets the frames held for a welcome that will not come (the hello failed).
func (c *client) unhold() {
	c.mu.Lock()
	for _, f := range c.held {
		c.queuedBytes -= len(f.data)
	}
	c.held = nil
	c.mu.Unlock()
}

// queueLocked queues or holds one frame; false when the socket is stopped or its queue is full. Held frames are not
// merged: there are few, and those that can be merge when the welcome pushes them.
func (c *client) queueLocked(f outFrame) bool {
	if !c.ready {
		if c.stopped || len(c.held) >= c.hub.opts.SendQueue || c.queuedBytes+len(f.data) > c.hub.opts.SendQueueBytes {
			return false
		}
		c.held = append(c.held, f)
		c.queuedBytes += len(f.data)
		return true
	}
	return c.pushLocked(f)
}

// pushLocked puts one frame on the queue, merging a delta into the delta of the same reply queued right before it;
// false when the socket is stopped or the frame would pass the queue's bound in frames or in bytes. It never blocks,
// so holding c.mu across it is safe; that keeps the welcome ahead of frames published concurrently.
func (c *client) pushLocked(f outFrame) bool {
	if c.stopped {
		return false
	}
	limit := c.hub.opts.SendQueueBytes
	if n := len(c.queue); n > c.head {
		last := &c.queue[n-1]
		if grow, ok := last.mergeable(f); ok {
			if c.queuedBytes+grow > limit {
				return false
			}
			*last = last.merge(f)
			c.queuedBytes += grow
			c.hub.metrics.deltasMerged.Inc()
			return true
		}
	}
	if len(c.queue)-c.head >= c.hub.opts.SendQueue || c.queuedBytes+len(f.data) > limit {
		return false
	}
	if len(c.queue) == cap(c.queue) && c.head > 0 {
		// Reuse the room of frames already taken rather than grow: the array stays within twice the bound.
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue, c.head = c.queue[:n], 0
	}
	c.queue = append(c.queue, f)
	c.queuedBytes += len(f.data)
	c.queued++
	select {
	case c.wake <- struct{}{}:
	default: // the writer has been told already and has not looked yet
	}
	return true
}

// next takes the oldest queued frame for the writer; false when there is none, or when the socket has stopped for
// any reason but a graceful shutdown (which still sends what was queued). The frame's bytes stay counted in the
// queue's bound until wrote.
func (c *client) next() (outFrame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head == len(c.queue) || c.stopped && c.closeCode != websocket.CloseGoingAway {
		return outFrame{}, false
	}
	f := c.queue[c.head]
	c.queue[c.head] = outFrame{}
	c.head++
	if c.head == len(c.queue) {
		c.head = 0
		c.queue = c.queue[:0]
		if cap(c.queue) > keepQueueCap {
			c.queue = nil
		}
	}
	return f, true
}

// wrote accounts for a frame the writer took with next and has written (or failed to write).
func (c *client) wrote(f outFrame) {
	c.mu.Lock()
	c.queuedBytes -= len(f.data)
	c.written++
	c.mu.Unlock()
}
