package openai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/bot/llm/openai"
)

const testKey = "sk-test-secret-123"

// newModel returns a Model talking to srv with fast retries; cfg's non-zero fields win.
func newModel(t *testing.T, srv *llmtest.Server, cfg openai.Config) *openai.Model {
	t.Helper()
	cfg.BaseURL = srv.URL()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.Model == "" {
		cfg.Model = "test-model"
	}
	if cfg.RetryWaitMin == 0 {
		cfg.RetryWaitMin = time.Millisecond
	}
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = 5 * time.Millisecond
	}
	return openai.New(cfg)
}

// complete runs one call with a 10 s test timeout and collects the deltas.
func complete(t *testing.T, m *openai.Model, req llm.Request) (llm.Response, []string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	var deltas []string
	resp, err := m.Complete(ctx, req, func(s string) { deltas = append(deltas, s) })
	return resp, deltas, err
}

func userSays(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text}}}
}

func TestName(t *testing.T) {
	if got, want := openai.New(openai.Config{Model: "gpt-x"}).Name(), "openai:gpt-x"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
}

func TestCompleteStreamsText(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{ChunkWords: 1})
	srv.Enqueue(llmtest.Reply{Text: "Your order ships tomorrow, Ana."})
	resp, deltas, err := complete(t, newModel(t, srv, openai.Config{}), userSays("where is my order?"))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := []string{"Your ", "order ", "ships ", "tomorrow, ", "Ana."}
	if diff := cmp.Diff(want, deltas); diff != "" {
		t.Errorf("deltas (-want +got):\n%s", diff)
	}
	if got := strings.Join(deltas, ""); got != resp.Content {
		t.Errorf("joined deltas = %q, Content = %q", got, resp.Content)
	}
	if got, want := resp.Content, "Your order ships tomorrow, Ana."; got != want {
		t.Errorf("Content = %q, want %q", got, want)
	}
}

func TestCompleteNilOnDelta(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{})
	resp, err := newModel(t, srv, openai.Config{}).Complete(context.Background(), userSays("hi"), nil)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got, want := resp.Content, llmtest.DefaultText; got != want {
		t.Errorf("Content = %q, want %q", got, want)
	}
}

func TestCompleteToolCalls(t *testing.T) {
	search := llm.ToolCall{ID: "call_1", Name: "search_knowledge", Arguments: `{"query":"refund policy für Österreich"}`}
	stage := llm.ToolCall{ID: "call_2", Name: "set_stage", Arguments: `{"stage":"onboarding","reason":"signed up"}`}
	tests := []struct {
		name  string
		reply llmtest.Reply
		want  llm.Response
	}{
		{"one call", llmtest.Reply{ToolCalls: []llm.ToolCall{search}},
			llm.Response{ToolCalls: []llm.ToolCall{search}}},
		{"two calls", llmtest.Reply{ToolCalls: []llm.ToolCall{search, stage}},
			llm.Response{ToolCalls: []llm.ToolCall{search, stage}}},
		{"text then call", llmtest.Reply{Text: "Let me check.", ToolCalls: []llm.ToolCall{stage}},
			llm.Response{Content: "Let me check.", ToolCalls: []llm.ToolCall{stage}}},
		{"empty arguments", llmtest.Reply{ToolCalls: []llm.ToolCall{{ID: "c", Name: "handoff"}}},
			llm.Response{ToolCalls: []llm.ToolCall{{ID: "c", Name: "handoff"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Options{})
			srv.Enqueue(tt.reply)
			got, _, err := complete(t, newModel(t, srv, openai.Config{}), userSays("hello there"))
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".Usage"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("Response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompleteUsage(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{})
	srv.Enqueue(llmtest.Reply{Text: "one two three", ToolCalls: []llm.ToolCall{{Name: "f", Arguments: `{"a": 1}`}}})
	resp, _, err := complete(t, newModel(t, srv, openai.Config{}), llm.Request{Messages: []llm.Message{
		{Role: llm.RoleSystem, Content: "be brief"},
		{Role: llm.RoleUser, Content: "how are you"},
	}})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	// llmtest counts words: 2+3 prompt; 3 text + (1 + 2) for the call.
	if got, want := resp.Usage, (llm.Usage{PromptTokens: 5, CompletionTokens: 6}); got != want {
		t.Errorf("Usage = %+v, want %+v", got, want)
	}
}

func TestCompleteSendsRequest(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{})
	schema := `{"type":"object","properties":{"query":{"type":"string"}},"required":["query"],"additionalProperties":false}`
	req := llm.Request{
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "You are journeybot."},
			{Role: llm.RoleUser, Content: "What is your refund policy?"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_9", Name: "search_knowledge", Arguments: `{"query":"refund"}`}}},
			{Role: llm.RoleTool, ToolCallID: "call_9", Content: "Refunds within 30 days."},
		},
		Tools:       []llm.Tool{{Name: "search_knowledge", Description: "Search the knowledge base.", Parameters: json.RawMessage(schema)}},
		MaxTokens:   300,
		Temperature: 0.2,
	}
	if _, _, err := complete(t, newModel(t, srv, openai.Config{}), req); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Model != "test-model" || !got.Stream || got.StreamOptions == nil || !got.StreamOptions.IncludeUsage {
		t.Errorf("model, stream, stream_options = %q, %v, %+v; want test-model, true, include_usage", got.Model, got.Stream, got.StreamOptions)
	}
	if got.MaxTokens != 300 || got.Temperature != 0.2 {
		t.Errorf("max_tokens, temperature = %d, %v; want 300, 0.2", got.MaxTokens, got.Temperature)
	}
	wantMsgs := []goopenai.ChatCompletionMessage{
		{Role: "system", Content: "You are journeybot."},
		{Role: "user", Content: "What is your refund policy?"},
		{Role: "assistant", ToolCalls: []goopenai.ToolCall{{ID: "call_9", Type: "function",
			Function: goopenai.FunctionCall{Name: "search_knowledge", Arguments: `{"query":"refund"}`}}}},
		{Role: "tool", ToolCallID: "call_9", Content: "Refunds within 30 days."},
	}
	if diff := cmp.Diff(wantMsgs, got.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if len(got.Tools) != 1 || got.Tools[0].Function == nil {
		t.Fatalf("tools = %+v, want one function", got.Tools)
	}
	fn := got.Tools[0].Function
	if got.Tools[0].Type != "function" || fn.Name != "search_knowledge" || fn.Description != "Search the knowledge base." {
		t.Errorf("tool = %s %q %q, want function search_knowledge with its description", got.Tools[0].Type, fn.Name, fn.Description)
	}
	var wantParams any
	if err := json.Unmarshal([]byte(schema), &wantParams); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantParams, fn.Parameters); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer " + testKey}, srv.Authorizations()); diff != "" {
		t.Errorf("Authorization (-want +got):\n%s", diff)
	}
}

func TestZeroTemperatureIsSent(t *testing.T) {
	// go-openai drops a zero temperature (omitempty), and the server would then use its default of 1.
	srv := llmtest.NewServer(t, llmtest.Options{})
	if _, _, err := complete(t, newModel(t, srv, openai.Config{}), userSays("hi")); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	got := srv.Requests()[0].Temperature
	if got <= 0 || got > 0.001 {
		t.Errorf("temperature sent = %v, want a value standing for 0", got)
	}
}

func TestCompleteRejectsBadRequest(t *testing.T) {
	tests := []struct {
		name string
		req  llm.Request
	}{
		{"no messages", llm.Request{}},
		{"tool parameters not JSON", llm.Request{
			Messages: userSays("hi").Messages,
			Tools:    []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":`)}},
		}},
		{"tool without name", llm.Request{Messages: userSays("hi").Messages, Tools: []llm.Tool{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Options{})
			_, _, err := complete(t, newModel(t, srv, openai.Config{}), tt.req)
			if err == nil || errors.Is(err, llm.ErrUnavailable) {
				t.Errorf("Complete error = %v, want a request error that is not ErrUnavailable", err)
			}
			if got := srv.Count(); got != 0 {
				t.Errorf("server got %d requests, want 0", got)
			}
		})
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := llmtest.NewServer(t, llmtest.Options{})
	srv.Enqueue(llmtest.Reply{Status: 500}, llmtest.Reply{Status: 429, RetryAfter: "3600"})
	_, _, err := complete(t, newModel(t, srv, openai.Config{Logger: logger, MaxRetries: 2}), userSays("my secret question"))
	if !errors.Is(err, llm.ErrUnavailable) {
		t.Fatalf("Complete error = %v, want ErrUnavailable", err)
	}
	logs := buf.String()
	if !strings.Contains(logs, "retrying model call") {
		t.Errorf("logs = %s, want a retry warning", logs)
	}
	for _, secret := range []string{testKey, "my secret question"} {
		if strings.Contains(logs, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("logs or error hold %q:\n%s\n%v", secret, logs, err)
		}
	}
}
