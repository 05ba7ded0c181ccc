package openai

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
)

// Bounds on one answer, so that a broken or hostile server cannot make a call hold unbounded memory.
const (
	maxToolCalls   = 64
	maxAnswerBytes = 1 << 20 // content plus tool names and arguments
)

// finishReasonNull is how a few servers spell a missing finish_reason: as the string "null".
const finishReasonNull = "null"

// errUnfinished is a stream that ended without a finish_reason: the connection was cut mid-answer.
var errUnfinished = errors.New("stream ended before the answer finished")

// accumulator joins the chunks of one streamed answer. Only choice 0 is read (journeybot never asks for n > 1).
type accumulator struct {
	content  strings.Builder
	calls    map[int]*llm.ToolCall // by the index the server gave
	last     int                   // the index of the latest call, for servers that omit the index
	size     int
	usage    llm.Usage
	finished bool
}

// add takes one chunk and returns the text it adds to the answer. Refusal text counts as answer text, since it is
// written for the customer. It fails when the answer passes its bounds or a tool-call index is out of range.
func (a *accumulator) add(chunk goopenai.ChatCompletionStreamResponse) (string, error) {
	if u := chunk.Usage; u != nil {
		a.usage = llm.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
	}
	var text string
	for _, choice := range chunk.Choices {
		if choice.Index != 0 {
			continue
		}
		if choice.FinishReason != "" && choice.FinishReason != finishReasonNull {
			a.finished = true
		}
		d := choice.Delta
		text = d.Content + d.Refusal
		a.size += len(text)
		a.content.WriteString(text)
		for _, tc := range d.ToolCalls {
			if err := a.addToolCall(tc); err != nil {
				return "", err
			}
		}
	}
	if a.size > maxAnswerBytes {
		return "", fmt.Errorf("answer longer than %d bytes", maxAnswerBytes)
	}
	return text, nil
}

// addToolCall joins one tool-call delta into the call with the same index: the first delta of a call carries its
// id and name, the following ones pieces of its arguments. A delta without an index (some servers send whole calls
// that way) starts a new call when it has an id, and continues the latest call otherwise.
func (a *accumulator) addToolCall(tc goopenai.ToolCall) error {
	idx := a.last
	switch {
	case tc.Index != nil:
		idx = *tc.Index
	case tc.ID != "" && len(a.calls) > 0:
		idx = slices.Max(mapKeys(a.calls)) + 1
	}
	if idx < 0 || idx >= maxToolCalls {
		return fmt.Errorf("tool call index %d out of range [0, %d)", idx, maxToolCalls)
	}
	if a.calls == nil {
		a.calls = make(map[int]*llm.ToolCall)
	}
	c := a.calls[idx]
	if c == nil {
		c = &llm.ToolCall{}
		a.calls[idx] = c
	}
	a.last = idx
	if tc.ID != "" {
		c.ID = tc.ID
	}
	c.Name += tc.Function.Name
	c.Arguments += tc.Function.Arguments
	a.size += len(tc.Function.Name) + len(tc.Function.Arguments)
	return nil
}

// response returns the joined answer. It fails when the stream never finished or a tool call has no name. A call
// without an id gets "call_" and its index, so that the tool's answer can still refer to it.
func (a *accumulator) response() (llm.Response, error) {
	if !a.finished {
		return llm.Response{}, errUnfinished
	}
	resp := llm.Response{Content: a.content.String(), Usage: a.usage}
	idxs := mapKeys(a.calls)
	slices.Sort(idxs)
	for _, i := range idxs {
		c := *a.calls[i]
		if c.Name == "" {
			return llm.Response{}, fmt.Errorf("tool call %d has no name", i)
		}
		if c.ID == "" {
			c.ID = fmt.Sprintf("call_%d", i)
		}
		resp.ToolCalls = append(resp.ToolCalls, c)
	}
	return resp, nil
}

func mapKeys(m map[int]*llm.ToolCall) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
