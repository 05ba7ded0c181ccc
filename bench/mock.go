package bench

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm/llmtest"
)

// MockOptions sets the timing of the mock model.
type MockOptions struct {
	FirstToken   time.Duration `json:"first_token_ns"` // from request to first content chunk
	TokensPerSec float64       `json:"tokens_per_s"`   // one word per chunk stands in for one token
	Tokens       int           `json:"tokens"`         // words per answer
}

// ModelTime returns the time the mock takes to stream one whole answer when nothing else is slow.
func (o MockOptions) ModelTime() time.Duration {
	if o.TokensPerSec <= 0 || o.Tokens <= 1 {
		return o.FirstToken
	}
	return o.FirstToken + time.Duration(float64(o.Tokens-1)/o.TokensPerSec*float64(time.Second))
}

// MockModel is the in-process fake OpenAI-compatible model (bot/llm/llmtest) on a loopback port.
type MockModel struct {
	Options MockOptions
	handler *llmtest.Handler
	srv     *http.Server
	ln      net.Listener
}

// StartMock serves a mock model with o's timing on a free loopback port; every request, whatever it asks, is
// answered with the same text of o.Tokens words, streamed one word per chunk.
func StartMock(o MockOptions) (*MockModel, error) {
	text := AnswerText(o.Tokens)
	h := llmtest.NewHandler(llmtest.Options{
		Respond:         func(openai.ChatCompletionRequest) llmtest.Reply { return llmtest.Reply{Text: text} },
		Latency:         o.FirstToken,
		ChunksPerSecond: o.TokensPerSec,
		ChunkWords:      1,
		RecordLimit:     -1, // remember nothing: the benchmark sends hundreds of thousands of requests
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mock model: %w", err)
	}
	m := &MockModel{Options: o, handler: h, ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("mock model: %v", err)) // cannot happen with a listener we own
		}
	}()
	return m, nil
}

// Origin returns the mock's http origin, e.g. http://127.0.0.1:8080.
func (m *MockModel) Origin() string { return "http://" + m.ln.Addr().String() }

// BaseURL returns the base URL to give an OpenAI client, including the version path.
func (m *MockModel) BaseURL() string { return m.Origin() + "/v1" }

// Requests returns how many chat-completion requests the mock has received.
func (m *MockModel) Requests() int { return m.handler.Count() }

// Close ends streams in flight and stops the server.
func (m *MockModel) Close() error {
	m.handler.Close()
	return m.srv.Close()
}

// AnswerText returns a plausible support answer of exactly n words.
func AnswerText(n int) string {
	words := strings.Fields(`Standard shipping takes three to five business days within the country and seven to ten
		days abroad. You will get an email with a tracking link as soon as your parcel leaves our warehouse. If it has
		not arrived after ten business days, reply here with your order number and we will look into it right away.
		Express delivery is available at checkout for most addresses.`)
	out := make([]string, n)
	for i := range out {
		out[i] = words[i%len(words)]
	}
	return strings.Join(out, " ")
}
