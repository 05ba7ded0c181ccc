package openai_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/llmtest"
	"github.com/journeybot/journeybot/bot/llm/openai"
)

func TestCompleteRetries(t *testing.T) {
	ok := llmtest.Reply{Text: "fine"}
	tests := []struct {
		name         string
		maxRetries   int
		replies      []llmtest.Reply
		wantErr      bool
		wantStatus   int // of the *APIError in the chain when wantErr
		wantAttempts int
	}{
		{"429 with Retry-After then success", 2, []llmtest.Reply{{Status: 429, RetryAfter: "1"}, ok}, false, 0, 2},
		{"500 500 success", 2, []llmtest.Reply{{Status: 500}, {Status: 500}, ok}, false, 0, 3},
		{"persistent 503", 2, []llmtest.Reply{{Status: 503}, {Status: 503}, {Status: 503}, ok}, true, 503, 3},
		{"persistent 502, three retries", 3, []llmtest.Reply{{Status: 502}, {Status: 502}, {Status: 502}, {Status: 502}, ok}, true, 502, 4},
		{"no retries", 0, []llmtest.Reply{{Status: 500}, ok}, true, 500, 1},
		{"400 is not retried", 2, []llmtest.Reply{{Status: 400, ErrorMessage: "bad schema"}, ok}, true, 400, 1},
		{"501 is not retried", 2, []llmtest.Reply{{Status: 501}, ok}, true, 501, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Options{})
			srv.Enqueue(tt.replies...)
			resp, _, err := complete(t, newModel(t, srv, openai.Config{MaxRetries: tt.maxRetries}), userSays("hi"))
			if got := srv.Count(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			if !tt.wantErr {
				if err != nil || resp.Content != "fine" {
					t.Fatalf("Complete = %q, %v; want \"fine\", nil", resp.Content, err)
				}
				return
			}
			if !errors.Is(err, llm.ErrUnavailable) {
				t.Fatalf("Complete error = %v, want ErrUnavailable", err)
			}
			var apiErr *goopenai.APIError
			if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tt.wantStatus {
				t.Errorf("error chain %v: want an *APIError with status %d", err, tt.wantStatus)
			}
		})
	}
}

func TestCompleteBrokenStreams(t *testing.T) {
	tests := []struct {
		name  string
		reply llmtest.Reply
	}{
		{"malformed JSON", llmtest.Reply{Text: "hello", Malformed: true}},
		{"cut before finish", llmtest.Reply{Text: "hello there", Cut: true}},
		{"cut inside a tool call", llmtest.Reply{ToolCalls: []llm.ToolCall{{Name: "f", Arguments: `{"a":1}`}}, Cut: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Options{})
			srv.Enqueue(tt.reply, llmtest.Reply{Text: "not asked for"})
			_, _, err := complete(t, newModel(t, srv, openai.Config{}), userSays("hi"))
			if !errors.Is(err, llm.ErrUnavailable) {
				t.Errorf("Complete error = %v, want ErrUnavailable", err)
			}
			if got := srv.Count(); got != 1 {
				t.Errorf("attempts = %d, want 1 (a stream that started is not retried)", got)
			}
		})
	}
}

func TestCompleteUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/v1"
	dead.Close()
	m := openai.New(openai.Config{BaseURL: url, APIKey: testKey, MaxRetries: 1, RetryWaitMin: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := m.Complete(ctx, userSays("hi"), nil)
	if !errors.Is(err, llm.ErrUnavailable) {
		t.Errorf("Complete error = %v, want ErrUnavailable", err)
	}
}

// TestCompleteHonoursDeadline checks that a call returns once its context ends, with the context's error, whether
// the server hangs before answering or in the middle of a stream.
func TestCompleteHonoursDeadline(t *testing.T) {
	tests := []struct {
		name       string
		reply      llmtest.Reply
		wantDeltas int
	}{
		{"hang before headers", llmtest.Reply{Hang: true}, 0},
		{"hang mid-stream", llmtest.Reply{Text: "partial answer", Hang: true}, 2},
		{"slow first token", llmtest.Reply{Text: "late", FirstTokenDelay: time.Hour}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Options{})
			srv.Enqueue(tt.reply)
			m := newModel(t, srv, openai.Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			type result struct {
				deltas int
				err    error
			}
			done := make(chan result, 1)
			go func() {
				n := 0
				_, err := m.Complete(ctx, userSays("hi"), func(string) { n++ })
				done <- result{n, err}
			}()
			select {
			case r := <-done:
				if !errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, llm.ErrUnavailable) {
					t.Errorf("Complete error = %v, want context.DeadlineExceeded and not ErrUnavailable", r.err)
				}
				if r.deltas != tt.wantDeltas {
					t.Errorf("deltas before the deadline = %d, want %d", r.deltas, tt.wantDeltas)
				}
			case <-time.After(30 * time.Second): // a test timeout, not a speed assertion
				t.Fatal("Complete did not return after its context ended")
			}
		})
	}
}

// TestCompleteRetryAfterPastDeadline checks that a Retry-After longer than the time left gives up at once: the call
// fails with ErrUnavailable (the 429) rather than sleeping into its deadline.
func TestCompleteRetryAfterPastDeadline(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Options{})
	srv.Enqueue(llmtest.Reply{Status: 429, RetryAfter: "30"}, llmtest.Reply{Text: "too late"})
	m := newModel(t, srv, openai.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := m.Complete(ctx, userSays("hi"), nil)
	if !errors.Is(err, llm.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Complete error = %v, want ErrUnavailable without DeadlineExceeded", err)
	}
	if ctx.Err() != nil {
		t.Errorf("the context ended before Complete returned: it waited for the deadline")
	}
	var apiErr *goopenai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 {
		t.Errorf("error chain %v: want the 429 *APIError", err)
	}
	if got := srv.Count(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}
