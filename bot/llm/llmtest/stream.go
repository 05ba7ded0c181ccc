package llmtest

import (
	"encoding/json"
	"net/http"
	"time"
)

// stream writes the answer as server-sent events: a role chunk, the content chunks, the tool-call chunks, a finish
// chunk, the usage chunk when asked for, and "data: [DONE]". It stops early, without an error, when the client goes
// away.
func (a *answer) stream(w http.ResponseWriter, includeUsage bool) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	created := time.Now().Unix()
	send := func(c wireChunk) bool {
		c.ID, c.Object, c.Created, c.Model = a.id, "chat.completion.chunk", created, a.model
		b, err := json.Marshal(c)
		if err != nil {
			return false
		}
		return a.event(w, rc, b)
	}
	delta := func(d wireDelta) wireChunk { return wireChunk{Choices: []wireChunkChoice{{Delta: d}}} }

	if !send(delta(wireDelta{Role: "assistant", Content: ptr("")})) || !a.wait(a.first) {
		return
	}
	if a.reply.Malformed {
		if a.event(w, rc, []byte(`{"id":"`+a.id+`","object":"chat.completion.chunk","choices":[{"delta":{"content":"hel`)) {
			a.event(w, rc, []byte("[DONE]"))
		}
		return
	}
	pieces := 0
	next := func(c wireChunk) bool {
		if pieces > 0 && !a.wait(a.gap) {
			return false
		}
		pieces++
		return send(c)
	}
	for _, text := range splitWords(a.reply.Text, a.h.opts.ChunkWords) {
		if !next(delta(wireDelta{Content: ptr(text)})) {
			return
		}
	}
	for i, c := range a.calls {
		for j, args := range splitRunes(c.Arguments, 3) {
			tc := wireToolCall{Index: ptr(i), Function: wireFunction{Arguments: args}}
			if j == 0 {
				tc.ID, tc.Type, tc.Function.Name = c.ID, "function", c.Name
			}
			if !next(delta(wireDelta{ToolCalls: []wireToolCall{tc}})) {
				return
			}
		}
	}
	if a.reply.Hang {
		a.wait(-1)
		return
	}
	if a.reply.Cut {
		return
	}
	finish := "stop"
	if len(a.calls) > 0 {
		finish = "tool_calls"
	}
	if !send(wireChunk{Choices: []wireChunkChoice{{FinishReason: &finish}}}) {
		return
	}
	if includeUsage && !send(wireChunk{Choices: []wireChunkChoice{}, Usage: &a.usage}) {
		return
	}
	a.event(w, rc, []byte("[DONE]"))
}

// event writes one "data: ...\n\n" event and flushes it; false means the client is gone.
func (a *answer) event(w http.ResponseWriter, rc *http.ResponseController, data []byte) bool {
	buf := make([]byte, 0, len(data)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	if _, err := w.Write(buf); err != nil {
		return false
	}
	return rc.Flush() == nil
}
