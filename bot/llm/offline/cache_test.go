package offline

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/journeystate"
)

// numbered returns n passages that differ in their text only.
func numbered(n int) []journeystate.Passage {
	out := make([]journeystate.Passage, n)
	for i := range out {
		out[i] = journeystate.Passage{Source: "p.md", Title: "Page", Heading: "Part", Text: fmt.Sprintf("Passage number %d ships fast.", i)}
	}
	return out
}

func TestAnalysesBound(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		add   int
		want  []int // the passages still remembered
	}{
		{"below the bound", 3, 2, []int{0, 1}},
		{"at the bound", 3, 3, []int{0, 1, 2}},
		{"oldest dropped first", 3, 5, []int{2, 3, 4}},
		{"around the ring twice", 3, 7, []int{4, 5, 6}},
		{"zero keeps none", 0, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newAnalyses(tt.limit)
			ps := numbered(tt.add)
			for _, p := range ps {
				c.get(p)
			}
			var got []int
			for i, p := range ps {
				if _, ok := c.byKey[passageKey{title: p.Title, heading: p.Heading, text: p.Text}]; ok {
					got = append(got, i)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("remembered passages (-want +got):\n%s", diff)
			}
			if n := c.len(); n != len(tt.want) || n > tt.limit {
				t.Errorf("len: got %d, want %d (limit %d)", n, len(tt.want), tt.limit)
			}
		})
	}
}

func TestAnalysesKey(t *testing.T) {
	c := newAnalyses(10)
	p := shipping
	first := c.get(p)
	same := p
	same.Source, same.URL, same.Score, same.Stages = "copy.md", "https://elsewhere.example", 3.5, []string{"x"}
	if got := c.get(same); got != first {
		t.Errorf("a passage with the same title, heading and text was taken apart again")
	}
	for _, change := range []func(*journeystate.Passage){
		func(p *journeystate.Passage) { p.Title += "!" },
		func(p *journeystate.Passage) { p.Heading += "!" },
		func(p *journeystate.Passage) { p.Text += "!" },
	} {
		other := p
		change(&other)
		if got := c.get(other); got == first {
			t.Errorf("passage %+v got the analysis of %+v", other, p)
		}
	}
	if n := c.len(); n != 4 {
		t.Errorf("len: got %d, want 4", n)
	}
}

func TestAnalysesMatchAnalyse(t *testing.T) {
	c := newAnalyses(10)
	opt := cmp.AllowUnexported(analysis{}, sentence{})
	for round := range 2 {
		for _, p := range []journeystate.Passage{shipping, serial} {
			if diff := cmp.Diff(analyse(p), c.get(p), opt); diff != "" {
				t.Errorf("round %d, %s: cached analysis differs (-analyse +cached):\n%s", round, p.Source, diff)
			}
		}
	}
}

// TestAnalysesConcurrent is for -race: goroutines ask for overlapping passages past the bound.
func TestAnalysesConcurrent(t *testing.T) {
	const limit = 8
	c := newAnalyses(limit)
	ps := numbered(3 * limit)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				p := ps[(g*5+i)%len(ps)]
				if a := c.get(p); len(a.units) != 1 || a.units[0].Text != p.Text {
					t.Errorf("get(%q): got units %+v", p.Text, a.units)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := c.len(); n != limit {
		t.Errorf("len: got %d, want %d", n, limit)
	}
	if n := len(c.order); n != limit {
		t.Errorf("ring: got %d keys, want %d", n, limit)
	}
	for _, k := range c.order {
		if c.byKey[k] == nil {
			t.Errorf("ring key %q has no analysis", k.text)
		}
	}
}

// BenchmarkAnalyse takes apart the shipped knowledge base's passages, one per op: its B/op is an upper bound on what
// one cached analysis holds (go test -tags sqlite_fts5 -run '^$' -bench Analyse -benchmem ./bot/llm/offline/).
func BenchmarkAnalyse(b *testing.B) {
	passages, _, err := knowledge.Load("../../../knowledge", "")
	if err != nil {
		b.Fatalf("load knowledge: %v", err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		analyse(passages[i%len(passages)])
	}
}
