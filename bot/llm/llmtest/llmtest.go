// Package llmtest is a fake OpenAI-compatible chat-completions server for tests and benchmarks. It speaks the real
// wire protocol (POST /v1/chat/completions, JSON answers, server-sent-event streams ending in "data: [DONE]", usage
// chunks, tool-call deltas split across chunks, OpenAI's error body) and is scripted with a queue of Reply values.
//
// Only NewServer needs a testing.TB: benchmarks mount NewHandler on their own listener. The package must not reach
// the network beyond the listener it is given, and must not depend on any journeybot package but bot/llm.
package llmtest

import (
	"net/http"
	"sync"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
)

// DefaultText is the answer of a Handler whose queue is empty and that has no Respond function.
const DefaultText = "Hello from the fake model. How can I help you today?"

// defaultRecordLimit bounds how many requests a Handler remembers when Options.RecordLimit is 0.
const defaultRecordLimit = 10000

// maxBodyBytes bounds a request body; larger ones get a 413 with OpenAI's error body.
const maxBodyBytes = 8 << 20

// Reply scripts the answer to one request. The zero Reply answers an empty text with finish_reason "stop".
type Reply struct {
	// Text is the answer's content, streamed in chunks of Options.ChunkWords words whose concatenation is Text.
	Text string
	// ToolCalls are the tool calls of the answer; in a stream each one's arguments are split over several chunks.
	// An empty ID gets a generated one.
	ToolCalls []llm.ToolCall
	// Status, when neither 0 nor 200, answers with that HTTP status and OpenAI's error body instead.
	Status int
	// RetryAfter is the value of the Retry-After header sent with an error Status (seconds or an HTTP date).
	RetryAfter string
	// ErrorMessage is the error body's message; empty means the status text.
	ErrorMessage string
	// Malformed sends an SSE event whose JSON is broken (or, unstreamed, a broken JSON body).
	Malformed bool
	// Hang stops answering, after the Text and ToolCalls chunks if there are any, until the client goes away or
	// the Handler is closed. With no Text and no ToolCalls not even the headers are sent.
	Hang bool
	// Cut ends the stream after the Text and ToolCalls chunks, without a finish_reason and without [DONE].
	Cut bool
	// FirstTokenDelay is the wait before the first content chunk; 0 means Options.Latency.
	FirstTokenDelay time.Duration
	// ChunkDelay is the wait between chunks; 0 means the one Options.ChunksPerSecond gives.
	ChunkDelay time.Duration
}

// Options configures a Handler. The zero Options answers every request at once with DefaultText.
type Options struct {
	// Replies is the initial queue; Handler.Enqueue adds to it. Each request consumes one Reply.
	Replies []Reply
	// Respond answers a request when the queue is empty; nil means Reply{Text: DefaultText}. It may be called
	// from several goroutines at once.
	Respond func(req openai.ChatCompletionRequest) Reply
	// Latency is the default first-token delay.
	Latency time.Duration
	// ChunksPerSecond is the default streaming rate; 0 sends chunks without waiting.
	ChunksPerSecond float64
	// ChunkWords is the number of words per content chunk; 0 means 1.
	ChunkWords int
	// APIKey, when set, is required as "Authorization: Bearer APIKey"; other requests get a 401.
	APIKey string
	// RecordLimit bounds the requests remembered for Requests (the oldest are dropped); 0 means 10,000 and a
	// negative value remembers none.
	RecordLimit int
}

// Handler is the fake server as an http.Handler, serving POST /v1/chat/completions. It is safe for concurrent use.
type Handler struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	queue    []Reply
	requests []openai.ChatCompletionRequest
	auths    []string
	count    int
	seq      int

	done      chan struct{}
	closeOnce sync.Once
}

// NewHandler returns a Handler with opts. It needs no testing.T, so benchmarks can mount it on their own server.
func NewHandler(opts Options) *Handler {
	if opts.ChunkWords <= 0 {
		opts.ChunkWords = 1
	}
	if opts.RecordLimit == 0 {
		opts.RecordLimit = defaultRecordLimit
	}
	h := &Handler{
		opts:  opts,
		mux:   http.NewServeMux(),
		queue: append([]Reply(nil), opts.Replies...),
		done:  make(chan struct{}),
	}
	h.mux.HandleFunc("POST /v1/chat/completions", h.handleChat)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "Unknown request URL: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// ServeHTTP serves the chat-completions endpoint; any other path gets a 404 with OpenAI's error body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Enqueue appends replies to the queue; each later request consumes the first one left.
func (h *Handler) Enqueue(replies ...Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.queue = append(h.queue, replies...)
}

// Requests returns the parsed requests received so far, oldest first (at most Options.RecordLimit of them).
func (h *Handler) Requests() []openai.ChatCompletionRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), h.requests...)
}

// Authorizations returns the Authorization header of each request in Requests, in the same order.
func (h *Handler) Authorizations() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.auths...)
}

// Count returns how many chat-completion requests arrived, including unparsable and unrecorded ones.
func (h *Handler) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Close ends every hanging or delayed answer where it stands, so that a server in front of the Handler can shut
// down. After Close, answers that would wait end at that point instead.
func (h *Handler) Close() { h.closeOnce.Do(func() { close(h.done) }) }

// record remembers req and returns the number of this request (1 for the first).
func (h *Handler) record(req openai.ChatCompletionRequest, auth string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	if h.opts.RecordLimit < 0 {
		return h.seq
	}
	if len(h.requests) >= h.opts.RecordLimit {
		h.requests = append(h.requests[:0], h.requests[1:]...)
		h.auths = append(h.auths[:0], h.auths[1:]...)
	}
	h.requests = append(h.requests, req)
	h.auths = append(h.auths, auth)
	return h.seq
}

// next pops the queue or asks Respond.
func (h *Handler) next(req openai.ChatCompletionRequest) Reply {
	h.mu.Lock()
	if len(h.queue) > 0 {
		r := h.queue[0]
		h.queue = h.queue[1:]
		h.mu.Unlock()
		return r
	}
	h.mu.Unlock()
	if h.opts.Respond != nil {
		return h.opts.Respond(req)
	}
	return Reply{Text: DefaultText}
}
