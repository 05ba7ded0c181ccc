package bench

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm/llmtest"
)

func TestReadSSE(t *testing.T) {
	tests := []struct {
		name    string
		stream  string
		want    []string
		wantErr error
	}{
		{"events then done", "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n", []string{`{"a":1}`, `{"b":2}`}, nil},
		{"no space after colon", "data:{\"a\":1}\n\ndata:[DONE]\n\n", []string{`{"a":1}`}, nil},
		{"comments and event names skipped", ": keep-alive\nevent: x\ndata: {}\n\ndata: [DONE]\n", []string{`{}`}, nil},
		{"lines after done are not read", "data: [DONE]\n\ndata: {}\n\n", nil, nil},
		{"cut before done", "data: {}\n\n", []string{`{}`}, ErrNoDone},
		{"empty", "", nil, ErrNoDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := ReadSSE(strings.NewReader(tt.stream), func(b []byte) error {
				got = append(got, string(b))
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadSSE error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("data mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadSSEStopsOnCallbackError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	err := ReadSSE(strings.NewReader("data: 1\n\ndata: 2\n\ndata: [DONE]\n\n"), func([]byte) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("ReadSSE = %v after %d calls, want boom after 1", err, calls)
	}
}

func TestReadSSELineBound(t *testing.T) {
	huge := "data: " + strings.Repeat("x", maxSSELine+1) + "\n\ndata: [DONE]\n\n"
	if err := ReadSSE(strings.NewReader(huge), func([]byte) error { return nil }); err == nil || errors.Is(err, ErrNoDone) {
		t.Errorf("ReadSSE of a line over the bound = %v, want a read error", err)
	}
}

// newMock serves the llmtest fake with no delays and an answer of words words.
func newMock(t *testing.T, words int) *httptest.Server {
	t.Helper()
	text := AnswerText(words)
	h := llmtest.NewHandler(llmtest.Options{
		Respond:     func(openai.ChatCompletionRequest) llmtest.Reply { return llmtest.Reply{Text: text} },
		RecordLimit: -1,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return srv
}

func TestStreamClientDirectAndThroughProxy(t *testing.T) {
	mock := newMock(t, 12)
	proxy, err := NewBareProxy(mock.URL, 4)
	if err != nil {
		t.Fatal(err)
	}
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)
	for _, tt := range []struct{ name, base string }{
		{"direct", mock.URL + "/v1"},
		{"proxy", proxySrv.URL + "/v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := NewStreamClient(tt.base, 4)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for range 3 { // reused connections must work too
				res, err := c.Stream(ctx, "How long does shipping take?")
				if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				if res.Chunks != 12 {
					t.Errorf("Chunks = %d, want 12 (one per word)", res.Chunks)
				}
				if res.FirstToken.IsZero() || res.Done.Before(res.FirstToken) {
					t.Errorf("FirstToken %v, Done %v: want first ≤ done, both set", res.FirstToken, res.Done)
				}
			}
		})
	}
}

func TestStreamClientHTTPError(t *testing.T) {
	mock := newMock(t, 3)
	c := NewStreamClient(mock.URL+"/nope", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Stream(ctx, "hi"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Stream to a wrong path = %v, want an HTTP 404 error", err)
	}
}

func TestNewBareProxyRejectsBadTarget(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:80", "::"} {
		if _, err := NewBareProxy(target, 1); err == nil {
			t.Errorf("NewBareProxy(%q) = nil error, want one", target)
		}
	}
}

func TestAnswerText(t *testing.T) {
	for _, n := range []int{1, 60, 200} {
		if got := len(strings.Fields(AnswerText(n))); got != n {
			t.Errorf("AnswerText(%d) has %d words", n, got)
		}
	}
}

func TestModelTime(t *testing.T) {
	o := MockOptions{FirstToken: 200 * time.Millisecond, TokensPerSec: 50, Tokens: 61}
	if got, want := o.ModelTime(), 1400*time.Millisecond; got != want {
		t.Errorf("ModelTime = %v, want %v", got, want)
	}
}
