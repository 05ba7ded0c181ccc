// Package llm defines the small interface through which the bot engine talks to a language model, and the types of
// a chat request and response. Backends live in sub-packages: openai (any OpenAI-compatible server through
// go-openai), offline (the knowledge-base responder used when no model is configured or the model fails) and
// llmtest (a fake OpenAI-compatible server for tests).
//
// This package must not know about channels, storage or prompts.
package llm

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/journeybot/journeybot/journeystate"
)

// Role is the author of a chat message.
type Role string

// Roles as in OpenAI's chat API.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one entry of a chat.
type Message struct {
	Role       Role
	Content    string
	ToolCalls  []ToolCall // assistant messages that call tools
	ToolCallID string     // tool messages: the call they answer
}

// ToolCall is the model asking to run a tool.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON text, as the model wrote it: validate before use
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // a JSON schema object
}

// Request is one model call.
type Request struct {
	Messages    []Message
	Tools       []Tool
	MaxTokens   int     // 0: the backend's default
	Temperature float32 // as in OpenAI's API
	// Stage is the customer's journey stage ("" when unknown), for backends that answer without a model: the
	// offline responder ranks pages tagged with the stage higher and greets per stage. A model reads the stage in
	// the system prompt instead.
	Stage string
}

// Usage counts tokens of one call.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
}

// Response is what one model call produced.
type Response struct {
	Content   string
	ToolCalls []ToolCall
	Usage     Usage
	// Citations are the knowledge pages the answer is taken from, when the backend knows (the offline responder).
	Citations []journeystate.Citation
	// Unknown is set by a backend that knows it could not answer the question (the offline responder found nothing
	// that fits): the bot's "could not answer" hand-off rule counts such answers.
	Unknown bool
}

// Model is a chat model.
type Model interface {
	// Name identifies the backend and model, e.g. "openai:gpt-4o-mini" or "offline"; used in logs and metrics.
	Name() string
	// Complete runs one call. When onDelta is not nil it is called, from the calling goroutine, with each piece of
	// the answer's text as it arrives; tool calls are returned whole in the Response. It returns ctx.Err() (wrapped)
	// when ctx ends first, and an error wrapping ErrUnavailable when the backend failed after its retries.
	Complete(ctx context.Context, req Request, onDelta func(text string)) (Response, error)
}

// ErrUnavailable means the model could not be reached or kept failing (network errors, 429s and 5xx after retries,
// a malformed stream).
var ErrUnavailable = errors.New("model unavailable")
