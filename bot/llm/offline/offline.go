// Package offline is the language model journeybot uses when none is configured, or when the configured one fails:
// a Responder that answers a customer's last message from the knowledge base alone, quoting the most relevant help
// page and citing it, and that says plainly when it does not know.
//
// It never invents an answer: a reply either quotes a passage that contains the question's content words, or says
// that it does not know. It must not call tools, reach the network or depend on a particular store.
package offline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// Limits of one answer.
const (
	// MaxQuestionBytes is how much of a message is read: a longer one is judged by its start.
	MaxQuestionBytes = 4000
	// MaxExcerpt is the longest quotation from a help page, in bytes.
	MaxExcerpt = 600
	// SearchLimit is how many passages are asked for and weighed against the question.
	SearchLimit = 5
)

// Searcher finds knowledge passages; journeystate.Store implements it.
type Searcher interface {
	// SearchKnowledge returns up to limit passages matching any word of query, best first.
	SearchKnowledge(ctx context.Context, query string, limit int) ([]journeystate.Passage, error)
}

// Options name who is answering.
type Options struct {
	// Company is the company's name, e.g. "Hearthly"; optional.
	Company string
	// Assistant is the assistant's own name, e.g. "Sunny"; optional.
	Assistant string
	// Topics are what the knowledge base covers, for greetings ("I can help with shipping, returns and ..."); when
	// empty a general phrase is used.
	Topics []string
	// Greetings are what to say to a customer who greets, by journey stage (llm.Request.Stage; names compare
	// without regard to case or surrounding space), e.g. "onboarding": "Welcome! Need a hand setting up your
	// thermostat?". The reply says that it is an automated assistant first, unless the text already does. A stage
	// without a greeting, or no stage, gets the general greeting, which lists Topics.
	Greetings map[string]string
}

// Responder answers from the knowledge base. It is safe for concurrent use if its Searcher is. It remembers what it
// worked out about the last few thousand passages the search returned (their sentences and stems), never more.
type Responder struct {
	search Searcher
	opts   Options
	// analyses keeps the passages the search returns taken apart, for the next question that finds them.
	analyses *analyses
}

var _ llm.Model = (*Responder)(nil)

// New returns a Responder that searches with search.
func New(search Searcher, opts Options) *Responder {
	opts.Topics = append([]string(nil), opts.Topics...)
	greetings := make(map[string]string, len(opts.Greetings))
	for stage, text := range opts.Greetings {
		if text = strings.TrimSpace(text); text != "" {
			greetings[normStage(stage)] = text
		}
	}
	opts.Greetings = greetings
	return &Responder{search: search, opts: opts, analyses: newAnalyses(cachedPassages)}
}

// Name returns "offline".
func (r *Responder) Name() string { return "offline" }

// Complete answers the last user message of req, from a customer at req.Stage; everything else in req (the system
// prompt, earlier turns, tools) is ignored. Greetings and thanks get a short reply that says what the assistant is and can do (a
// greeting the one Options.Greetings holds for req.Stage, if any); a question gets a quotation from the best matching
// help page, preferring pages tagged with req.Stage (see choose), with Response.Citations naming it, or, when no page
// really matches, a
// plain "I don't know" that suggests rephrasing or asking for a person. The reply is the same for the same question
// and search results, and is passed to onDelta, when set, a few words at a time.
//
// It returns an error when req has no user message, a wrapped ctx.Err() when ctx ends first, and an error wrapping
// llm.ErrUnavailable when the search fails.
func (r *Responder) Complete(ctx context.Context, req llm.Request, onDelta func(text string)) (llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return llm.Response{}, fmt.Errorf("offline: %w", err)
	}
	text, ok := lastUserText(req.Messages)
	if !ok {
		return llm.Response{}, errors.New("offline: the request has no user message")
	}
	resp, err := r.answer(ctx, text, normStage(req.Stage))
	if err != nil {
		return llm.Response{}, err
	}
	if onDelta != nil {
		for _, piece := range pieces(resp.Content, deltaWords) {
			onDelta(piece)
		}
	}
	return resp, nil
}

// answer builds the reply to one message from a customer at stage (normalised, "" when unknown).
func (r *Responder) answer(ctx context.Context, text, stage string) (llm.Response, error) {
	q := parseQuestion(text)
	switch q.Kind {
	case kindEmpty:
		return llm.Response{Content: r.introReply()}, nil
	case kindGreeting:
		return llm.Response{Content: r.greetingReply(stage)}, nil
	case kindThanks:
		return llm.Response{Content: r.thanksReply()}, nil
	}
	found, err := r.search.SearchKnowledge(ctx, q.searchText(), SearchLimit)
	if err != nil {
		if ctx.Err() != nil {
			return llm.Response{}, fmt.Errorf("offline: %w", ctx.Err())
		}
		return llm.Response{}, fmt.Errorf("offline: search knowledge: %w: %w", llm.ErrUnavailable, err)
	}
	best, ok := choose(q, found, stage, r.analyses.get)
	if !ok {
		return llm.Response{Content: r.unknownReply(), Unknown: true}, nil
	}
	p := best.Passage
	return llm.Response{
		Content:   r.answerReply(p, best.Analysis.excerpt(untitled(best.Analysis, q.Terms), q.Hint, MaxExcerpt)),
		Citations: []journeystate.Citation{{Title: p.Title, Source: p.Source, URL: p.URL}},
	}, nil
}

// normStage returns a stage name as stages are compared: trimmed and lower case, as the knowledge loader stores the
// stages of pages.
func normStage(stage string) string {
	return strings.ToLower(strings.TrimSpace(stage))
}

// lastUserText returns the trimmed text of the last user message, at most MaxQuestionBytes of it.
func lastUserText(msgs []llm.Message) (string, bool) {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != llm.RoleUser {
			continue
		}
		text := msgs[i].Content
		if len(text) > MaxQuestionBytes {
			text = text[:MaxQuestionBytes]
			for !utf8.ValidString(text) {
				text = text[:len(text)-1]
			}
		}
		return strings.TrimSpace(text), true
	}
	return "", false
}
