package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/journeybot/journeybot/channels"
)

// The event stream (GET /console/events) tells the open pages what to reload; it carries no customer data but an
// agent's name in a typing event, and the pages reload what they show from the store, so a lost event only delays
// a page until its next poll. Events:
//
//	queue            a conversation changed owner: reload the queue and "Mine"
//	conv-<id>        a message was stored in the conversation: reload its transcript
//	owner-<id>       the conversation changed owner: reload its actions
//	notes-<id>       an internal note was written: reload its notes
//	typing-<id>      another agent started or stopped typing; the data is the HTML to show ("Sam is typing…" or "")
const (
	// streamBuffer is each stream's subscription buffer: a stream that falls behind loses updates (the engine drops
	// them), never slows the engine.
	streamBuffer = 64
	// heartbeatPeriod is how often a quiet stream sends a comment, so that proxies keep it open and a dead client
	// is noticed by the failed write.
	heartbeatPeriod = 15 * time.Second
	// writeWait bounds each write to the stream; a client that does not read is dropped.
	writeWait = 10 * time.Second
	// maxStreamAge ends every stream after a while; the browser reconnects (retry), and the session is checked
	// again, so that a stream does not outlive the session it was opened with by much.
	maxStreamAge = 30 * time.Minute
	// retryMillis is how long the browser waits before reconnecting.
	retryMillis = 3000
	// maxStreams bounds the streams open at once, for the whole console.
	maxStreams = 2000
)

// streamLimit counts open streams.
type streamLimit struct {
	mu  sync.Mutex
	n   int
	max int
}

func (l *streamLimit) acquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n >= l.max {
		return false
	}
	l.n++
	return true
}

func (l *streamLimit) release() {
	l.mu.Lock()
	l.n--
	l.mu.Unlock()
}

// events streams server-sent events until the client goes away, a write fails or times out, or maxStreamAge passes.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	if !c.streams.acquire() {
		w.Header().Set("Retry-After", "30")
		c.errorPage(w, http.StatusServiceUnavailable, "Too many open consoles. The page still updates every few seconds.")
		return
	}
	defer c.streams.release()
	select {
	case <-c.done:
		w.Header().Set("Retry-After", "30")
		c.errorPage(w, http.StatusServiceUnavailable, "The server is restarting. The page still updates every few seconds.")
		return
	default:
	}
	u, _ := UserFrom(r.Context())
	updates, stop := c.desk.Subscribe(streamBuffer)
	defer stop()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on as they come
	w.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(writeWait)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(fmt.Sprintf("retry: %d\n\n", retryMillis)) {
		return
	}
	heartbeat := time.NewTicker(heartbeatPeriod)
	defer heartbeat.Stop()
	age := time.NewTimer(maxStreamAge)
	defer age.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done:
			return
		case <-age.C:
			return
		case <-heartbeat.C:
			if !send(": heartbeat\n\n") {
				return
			}
		case up, ok := <-updates:
			if !ok {
				return
			}
			if s := streamEvents(up, u.ID); s != "" && !send(s) {
				return
			}
		}
	}
}

// streamEvents returns the events that tell the pages of agent selfID what to reload after up, "" for none.
func streamEvents(up channels.Update, selfID string) string {
	id := up.Conversation.ID
	if !safeEventID(id) {
		return ""
	}
	var b strings.Builder
	event := func(name, data string) { fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, data) }
	switch up.Kind {
	case channels.UpdateOwner:
		event("queue", id)
		event("owner-"+id, id)
		event("conv-"+id, id) // the notice of the change is in the transcript
	case channels.UpdateMessage:
		event("conv-"+id, id)
	case channels.UpdateNote:
		event("notes-"+id, id)
	case channels.UpdateTyping:
		if up.Agent.ID == selfID {
			break // the agent knows they are typing
		}
		data := ""
		if up.Typing {
			// The data is swapped in as HTML: escape the name, and keep it on one line (an event's data ends at a
			// newline).
			name := strings.Join(strings.Fields(up.Agent.Name), " ")
			if name == "" {
				name = "An agent"
			}
			data = template.HTMLEscapeString(name) + " is typing…"
		}
		event("typing-"+id, data)
	}
	return b.String()
}

// safeEventID reports whether id can go into an event name and an hx-trigger as it is: the store's ids are UUIDs.
func safeEventID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
