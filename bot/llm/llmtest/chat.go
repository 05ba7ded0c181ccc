package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
)

// handleChat reads top to bottom: limit the body → parse → record → authorize → script → answer.
func (h *Handler) handleChat(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.count++
	h.mu.Unlock()

	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	var req openai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		status := http.StatusBadRequest
		if _, ok := err.(*http.MaxBytesError); ok {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, "", "We could not parse the JSON body of your request: "+err.Error())
		return
	}
	auth := r.Header.Get("Authorization")
	n := h.record(req, auth)
	if h.opts.APIKey != "" && auth != "Bearer "+h.opts.APIKey {
		writeError(w, http.StatusUnauthorized, "", "Incorrect API key provided.")
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "", "'messages' must contain at least one message.")
		return
	}

	reply := h.next(req)
	if reply.Status != 0 && reply.Status != http.StatusOK {
		writeError(w, reply.Status, reply.RetryAfter, reply.ErrorMessage)
		return
	}
	a := answer{
		h:     h,
		r:     r,
		reply: reply,
		id:    fmt.Sprintf("chatcmpl-fake%d", n),
		model: req.Model,
		calls: withIDs(reply.ToolCalls, n),
		usage: countUsage(req, reply),
	}
	if a.first = reply.FirstTokenDelay; a.first == 0 {
		a.first = h.opts.Latency
	}
	if a.gap = reply.ChunkDelay; a.gap == 0 && h.opts.ChunksPerSecond > 0 {
		a.gap = time.Duration(float64(time.Second) / h.opts.ChunksPerSecond)
	}
	if reply.Hang && reply.Text == "" && len(reply.ToolCalls) == 0 {
		a.wait(-1)
		return
	}
	if req.Stream {
		a.stream(w, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	a.complete(w)
}

// answer is one scripted answer being written.
type answer struct {
	h          *Handler
	r          *http.Request
	reply      Reply
	id, model  string
	calls      []llm.ToolCall
	usage      wireUsage
	first, gap time.Duration
}

// wait sleeps d (forever when d < 0) and reports whether the answer should go on: false when the client went away
// or the Handler was closed.
func (a *answer) wait(d time.Duration) bool {
	if d == 0 {
		return true
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-a.r.Context().Done():
		return false
	case <-a.h.done:
		return false
	}
}

// complete writes an unstreamed chat.completion.
func (a *answer) complete(w http.ResponseWriter) {
	if !a.wait(a.first) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if a.reply.Malformed {
		_, _ = w.Write([]byte(`{"id":"` + a.id + `","object":"chat.completion","choices":[{"index":0,"mess`))
		return
	}
	if a.reply.Hang || a.reply.Cut {
		http.NewResponseController(w).Flush()
		a.wait(-1)
		return
	}
	msg := wireMessage{Role: "assistant", Content: ptr(a.reply.Text)}
	finish := "stop"
	for _, c := range a.calls {
		msg.ToolCalls = append(msg.ToolCalls, wireToolCall{ID: c.ID, Type: "function",
			Function: wireFunction{Name: c.Name, Arguments: c.Arguments}})
	}
	if len(a.calls) > 0 {
		finish = "tool_calls"
		if a.reply.Text == "" {
			msg.Content = nil
		}
	}
	_ = json.NewEncoder(w).Encode(wireCompletion{
		ID: a.id, Object: "chat.completion", Created: time.Now().Unix(), Model: a.model,
		Choices: []wireChoice{{Message: msg, FinishReason: finish}},
		Usage:   a.usage,
	})
}

// withIDs copies calls, giving each call without an ID a unique one.
func withIDs(calls []llm.ToolCall, n int) []llm.ToolCall {
	out := append([]llm.ToolCall(nil), calls...)
	for i := range out {
		if out[i].ID == "" {
			out[i].ID = fmt.Sprintf("call_fake%d_%d", n, i)
		}
	}
	return out
}
