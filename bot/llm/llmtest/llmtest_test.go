package llmtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
)

// post sends body to the server's chat-completions endpoint.
func post(t *testing.T, srv *llmtest.Server, auth, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// events reads a whole SSE body: the data of each event, and whether every event had the "data: " form.
func events(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	blank := true
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			blank = true
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || !blank {
			t.Fatalf("line %q: want \"data: \" events separated by blank lines", line)
		}
		blank = false
		out = append(out, data)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

const streamBody = `{"model":"m1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi there"}]}`

func TestStreamProtocol(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{ChunkWords: 2})
	calls := []llm.ToolCall{{ID: "c1", Name: "search_knowledge", Arguments: `{"query":"refunds"}`}, {Name: "handoff", Arguments: `{}`}}
	srv.Enqueue(llmtest.Reply{Text: "One two three four five", ToolCalls: calls})
	resp := post(t, srv, "", streamBody)
	if got, want := resp.Header.Get("Content-Type"), "text/event-stream"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	evs := events(t, resp.Body)
	if len(evs) == 0 || evs[len(evs)-1] != "[DONE]" {
		t.Fatalf("events = %q, want them to end with [DONE]", evs)
	}
	var texts []string
	args := map[int]string{}
	var names, ids []string
	var finish string
	var usage *goopenai.Usage
	for _, ev := range evs[:len(evs)-1] {
		var c goopenai.ChatCompletionStreamResponse
		if err := json.Unmarshal([]byte(ev), &c); err != nil {
			t.Fatalf("event %s: %v", ev, err)
		}
		if c.Object != "chat.completion.chunk" || c.Model != "m1" {
			t.Errorf("event %s: want object chat.completion.chunk and model m1", ev)
		}
		if c.Usage != nil {
			usage = c.Usage
			if len(c.Choices) != 0 {
				t.Errorf("usage chunk %s has choices", ev)
			}
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != "" {
				texts = append(texts, ch.Delta.Content)
			}
			for _, tc := range ch.Delta.ToolCalls {
				if tc.Index == nil {
					t.Fatalf("event %s: tool-call delta without index", ev)
				}
				if tc.Function.Name != "" {
					names, ids = append(names, tc.Function.Name), append(ids, tc.ID)
				}
				args[*tc.Index] += tc.Function.Arguments
			}
			if ch.FinishReason != "" {
				finish = string(ch.FinishReason)
			}
		}
	}
	if diff := cmp.Diff([]string{"One two ", "three four ", "five"}, texts); diff != "" {
		t.Errorf("content chunks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]string{0: calls[0].Arguments, 1: calls[1].Arguments}, args); diff != "" {
		t.Errorf("joined arguments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"search_knowledge", "handoff"}, names); diff != "" {
		t.Errorf("call names (-want +got):\n%s", diff)
	}
	if len(ids) != 2 || ids[0] != "c1" || ids[1] == "" {
		t.Errorf("call ids = %q, want c1 and a generated one", ids)
	}
	if finish != "tool_calls" {
		t.Errorf("finish_reason = %q, want tool_calls", finish)
	}
	// Word counts: 2 prompt; 5 text + (1+1) + (1+1) for the calls.
	if usage == nil || usage.PromptTokens != 2 || usage.CompletionTokens != 9 || usage.TotalTokens != 11 {
		t.Errorf("usage = %+v, want 2 + 9 = 11", usage)
	}
}

func TestStreamWithoutUsage(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{})
	resp := post(t, srv, "", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	for _, ev := range events(t, resp.Body) {
		if strings.Contains(ev, `"usage"`) {
			t.Errorf("event %s has usage, not asked for", ev)
		}
	}
}

func TestUnstreamed(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{})
	srv.Enqueue(llmtest.Reply{ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: `{"a":1}`}}})
	resp := post(t, srv, "", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	var got goopenai.ChatCompletionResponse
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := goopenai.ChatCompletionMessage{Role: "assistant", ToolCalls: []goopenai.ToolCall{{ID: "c", Type: "function",
		Function: goopenai.FunctionCall{Name: "f", Arguments: `{"a":1}`}}}}
	if len(got.Choices) != 1 {
		t.Fatalf("choices = %+v, want one", got.Choices)
	}
	if diff := cmp.Diff(want, got.Choices[0].Message); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if got.Choices[0].FinishReason != "tool_calls" || got.Object != "chat.completion" {
		t.Errorf("finish_reason, object = %q, %q; want tool_calls, chat.completion", got.Choices[0].FinishReason, got.Object)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name        string
		opts        llmtest.Options
		auth, body  string
		wantStatus  int
		wantRetry   string
		wantMessage string
	}{
		{"scripted 429", llmtest.Options{Replies: []llmtest.Reply{{Status: 429, RetryAfter: "2", ErrorMessage: "slow down"}}},
			"", streamBody, 429, "2", "slow down"},
		{"scripted 503", llmtest.Options{Replies: []llmtest.Reply{{Status: 503}}}, "", streamBody, 503, "", "Service Unavailable"},
		{"wrong key", llmtest.Options{APIKey: "k"}, "Bearer x", streamBody, 401, "", "Incorrect API key provided."},
		{"bad JSON", llmtest.Options{}, "", `{"model":`, 400, "", ""},
		{"no messages", llmtest.Options{}, "", `{"model":"m","messages":[]}`, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, tt.opts)
			resp := post(t, srv, tt.auth, tt.body)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Retry-After") != tt.wantRetry {
				t.Errorf("status, Retry-After = %d, %q; want %d, %q", resp.StatusCode, resp.Header.Get("Retry-After"), tt.wantStatus, tt.wantRetry)
			}
			var body struct {
				Error *struct {
					Message string `json:"message"`
					Type    string `json:"type"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error == nil || body.Error.Type == "" {
				t.Fatalf("body = %+v, %v; want OpenAI's error body", body, err)
			}
			if tt.wantMessage != "" && body.Error.Message != tt.wantMessage {
				t.Errorf("message = %q, want %q", body.Error.Message, tt.wantMessage)
			}
			if got := srv.Count(); got != 1 {
				t.Errorf("Count() = %d, want 1", got)
			}
		})
	}
}

func TestQueueThenRespond(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{
		Replies: []llmtest.Reply{{Text: "first"}},
		Respond: func(req goopenai.ChatCompletionRequest) llmtest.Reply {
			return llmtest.Reply{Text: "echo: " + req.Messages[len(req.Messages)-1].Content}
		},
	})
	srv.Enqueue(llmtest.Reply{Text: "second"})
	var got []string
	for _, q := range []string{"a", "b", "c"} {
		resp := post(t, srv, "Bearer k", `{"model":"m","messages":[{"role":"user","content":"`+q+`"}]}`)
		var c goopenai.ChatCompletionResponse
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || len(c.Choices) != 1 {
			t.Fatalf("decode: %+v, %v", c, err)
		}
		got = append(got, c.Choices[0].Message.Content)
	}
	if diff := cmp.Diff([]string{"first", "second", "echo: c"}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer k", "Bearer k", "Bearer k"}, srv.Authorizations()); diff != "" {
		t.Errorf("Authorizations (-want +got):\n%s", diff)
	}
	if got := len(srv.Requests()); got != 3 {
		t.Errorf("len(Requests()) = %d, want 3", got)
	}
}

func TestRecordLimit(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{RecordLimit: 2})
	for _, q := range []string{"a", "b", "c"} {
		post(t, srv, "", `{"model":"`+q+`","messages":[{"role":"user","content":"x"}]}`)
	}
	var models []string
	for _, r := range srv.Requests() {
		models = append(models, r.Model)
	}
	if diff := cmp.Diff([]string{"b", "c"}, models); diff != "" {
		t.Errorf("recorded models (-want +got):\n%s", diff)
	}
}

func TestHangEndsWithClientOrClose(t *testing.T) {
	for _, how := range []string{"client leaves", "handler closed"} {
		t.Run(how, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Options{Replies: []llmtest.Reply{{Hang: true}}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/chat/completions", strings.NewReader(streamBody))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				done <- err
			}()
			for deadline := time.Now().Add(10 * time.Second); srv.Count() == 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the request never arrived")
				}
			}
			select {
			case err := <-done:
				t.Fatalf("a hanging reply answered: %v", err)
			default:
			}
			if how == "client leaves" {
				cancel()
			} else {
				srv.Handler.Close()
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second): // a test timeout, not a speed assertion
				t.Fatal("the hanging request did not end")
			}
		})
	}
}
