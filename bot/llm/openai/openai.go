// Package openai is the llm.Model backend for any OpenAI-compatible chat-completions server (OpenAI, Azure's
// OpenAI-compatible endpoint, Ollama, vLLM, llama.cpp server, LM Studio), built on go-openai with a retrying HTTP
// client from go-retryablehttp.
//
// It streams every call, joins tool-call deltas, retries 429s and 5xx with backoff and Retry-After, and maps every
// failure to either the caller's context error or llm.ErrUnavailable. It must not log the API key, prompts or
// answers, and must not know about channels, storage or prompts.
package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
)

// Defaults for the zero fields of Config.
const (
	DefaultModel        = "gpt-4o-mini"
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 5 * time.Second
)

// Config configures a Model. Only APIKey (for servers that need one) and Model usually need setting.
type Config struct {
	// APIKey is sent as a bearer token; empty sends no Authorization header (Ollama and others need none).
	APIKey string
	// BaseURL includes the version path, as in OpenAI's SDKs (http://localhost:11434/v1); empty means OpenAI's.
	BaseURL string
	// Model is the model name sent with every call; empty means DefaultModel.
	Model string
	// MaxRetries is how many times a failed attempt (network error, 429, 5xx but 501) is retried: a call makes at
	// most MaxRetries+1 attempts. 0 (or less) means no retries.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between attempts when the server sends no
	// Retry-After; 0 means the defaults.
	RetryWaitMin, RetryWaitMax time.Duration
	// Logger receives retry warnings (never the API key, prompts or answers); nil discards them.
	Logger *slog.Logger
}

// Model is an llm.Model over an OpenAI-compatible server. It is safe for concurrent use; its connections are
// pooled and reused across calls.
type Model struct {
	client *goopenai.Client
	model  string
	log    *slog.Logger
}

var _ llm.Model = (*Model)(nil)

// New returns a Model for cfg. It does not contact the server.
func New(cfg Config) *Model {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	cfg.MaxRetries = max(cfg.MaxRetries, 0)
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = DefaultRetryWaitMax
	}
	cfg.RetryWaitMax = max(cfg.RetryWaitMax, cfg.RetryWaitMin)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Model{model: cfg.Model, log: cfg.Logger.With("model", "openai:"+cfg.Model)}

	oc := goopenai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = cfg.BaseURL
	}
	oc.HTTPClient = newHTTPClient(cfg, m.log)
	m.client = goopenai.NewClientWithConfig(oc)
	return m
}

// Name returns "openai:" followed by the model name.
func (m *Model) Name() string { return "openai:" + m.model }

// Complete streams one chat completion. onDelta, when not nil, gets each piece of the answer's text in order, from
// the calling goroutine; tool calls come whole in the Response, in the order the model numbered them.
//
// Errors: an error wrapping ctx.Err() when ctx ends first (returned as soon as it ends, even mid-stream); an error
// wrapping llm.ErrUnavailable, with the cause in its chain (e.g. *goopenai.APIError), when the server cannot be
// reached, answers an error status after the retries, or sends a malformed, oversized or unfinished stream; a plain
// error for an invalid req (a tool without a name or with parameters that are not JSON), nothing being sent.
// Text already given to onDelta stays given when an error follows.
func (m *Model) Complete(ctx context.Context, req llm.Request, onDelta func(text string)) (llm.Response, error) {
	creq, err := m.request(req)
	if err != nil {
		return llm.Response{}, err
	}
	stream, err := m.client.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		return llm.Response{}, m.fail(ctx, "start chat completion", err)
	}
	defer stream.Close()

	var acc accumulator
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return llm.Response{}, m.fail(ctx, "read chat completion stream", err)
		}
		text, err := acc.add(chunk)
		if err != nil {
			return llm.Response{}, m.fail(ctx, "read chat completion stream", err)
		}
		if text != "" && onDelta != nil {
			onDelta(text)
		}
	}
	resp, err := acc.response()
	if err != nil {
		return llm.Response{}, m.fail(ctx, "read chat completion stream", err)
	}
	return resp, nil
}

// fail classifies err: the context's own error when ctx has ended (whatever err says, since a cancelled request
// surfaces as assorted network errors), llm.ErrUnavailable otherwise.
func (m *Model) fail(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("openai: %s: %w", op, ctxErr)
	}
	return fmt.Errorf("openai: %s: %w: %w", op, llm.ErrUnavailable, err)
}
