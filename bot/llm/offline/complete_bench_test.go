package offline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/journeystate"
)

// replaySearcher answers each query with the passages the real store returned for it, as fresh copies (a store
// returns newly read strings every time), so that a benchmark measures the responder and not SQLite.
type replaySearcher map[string][]journeystate.Passage

func (s replaySearcher) SearchKnowledge(_ context.Context, query string, limit int) ([]journeystate.Passage, error) {
	found := s[query]
	out := make([]journeystate.Passage, 0, min(limit, len(found)))
	for _, p := range found[:min(limit, len(found))] {
		p.Source, p.Title, p.Heading = strings.Clone(p.Source), strings.Clone(p.Title), strings.Clone(p.Heading)
		p.URL, p.Text = strings.Clone(p.URL), strings.Clone(p.Text)
		out = append(out, p)
	}
	return out, nil
}

// recordingSearcher searches the real store and remembers what it returned for each query.
type recordingSearcher struct {
	offline.Searcher
	seen replaySearcher
}

func (s recordingSearcher) SearchKnowledge(ctx context.Context, query string, limit int) ([]journeystate.Passage, error) {
	found, err := s.Searcher.SearchKnowledge(ctx, query, limit)
	s.seen[query] = found
	return found, err
}

// BenchmarkComplete answers the customer questions round-robin against the passages SQLite finds for them in the
// shipped knowledge base: go test -tags sqlite_fts5 -run '^$' -bench Complete -benchmem ./bot/llm/offline/
func BenchmarkComplete(b *testing.B) {
	benchmarkComplete(b, offline.New)
}

// BenchmarkCompleteUncached is BenchmarkComplete taking every passage apart again for every question: the cost of
// a question about passages the Responder has not seen yet.
func BenchmarkCompleteUncached(b *testing.B) {
	benchmarkComplete(b, offline.NewUncached)
}

func benchmarkComplete(b *testing.B, newResponder func(offline.Searcher, offline.Options) *offline.Responder) {
	ctx := context.Background()
	store, _ := openKnowledge(b)
	rec := recordingSearcher{Searcher: store, seen: make(replaySearcher)}
	reqs := make([]llm.Request, len(customerQuestions))
	for i, q := range customerQuestions {
		reqs[i] = llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: q}}}
		if _, err := offline.New(rec, offline.Options{}).Complete(ctx, reqs[i], nil); err != nil {
			b.Fatalf("Complete(%q): %v", q, err)
		}
	}
	r := newResponder(rec.seen, offline.Options{Company: "Hearthly", Assistant: "Sunny"})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := r.Complete(ctx, reqs[i%len(reqs)], nil); err != nil {
			b.Fatalf("Complete: %v", err)
		}
	}
}
