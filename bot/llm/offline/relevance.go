package offline

import (
	"slices"

	"github.com/journeybot/journeybot/journeystate"
)

// candidate is a search result judged against a question.
type candidate struct {
	Passage journeystate.Passage
	// Analysis is the passage taken apart.
	Analysis *analysis
	// Matched is how many of the question's content words occur in the passage's title, heading or text.
	Matched int
	// InSection is how many of them occur in the page title or the section heading: a section named after the
	// question's words is about them, where a passage that only mentions them in passing is not.
	InSection int
	// InTitle is how many of them occur in the page title: the tie-break between sections of different pages.
	InTitle int
	// Closest is the score of the passage's best sentence (see bestUnit): words that answer together tend to
	// stand together.
	Closest int
	// Total is the sum of all its sentences' scores: how much of the passage is about the question.
	Total int
	// ForStage reports that the passage is an answer (it holds the words needed) and its page is tagged with the
	// customer's journey stage.
	ForStage bool
}

// choose returns the search result that best answers q, asked by a customer at stage ("" when unknown), and false
// when none contains enough of q's content words (see needed) to be an answer rather than a passage that shares a
// word with the question by chance. The results are ranked by Matched + InSection, then by being ForStage, then
// InTitle, then Closest, then page introductions first when the title holds every matched word, then Total, then
// the search's order. It takes the passages apart with analysed.
//
// The stage is a bounded boost: worth less than one more of the question's words, it only decides between
// passages that hold as many of them; and only a passage that is an answer by itself (it holds the words needed)
// gets it. So a page for the customer's stage never outranks one that holds more of the question, and the stage
// never makes a passage that does not hold the question's words answer.
func choose(q question, found []journeystate.Passage, stage string, analysed func(journeystate.Passage) *analysis) (candidate, bool) {
	var best candidate
	for i, p := range found {
		c := judge(q, p, analysed(p))
		c.ForStage = stage != "" && c.Matched > 0 && c.Matched >= needed(len(q.Terms)) && slices.Contains(p.Stages, stage)
		if i == 0 || c.better(best) {
			best = c
		}
	}
	if len(found) == 0 || best.Matched == 0 || best.Matched < needed(len(q.Terms)) || len(best.Analysis.units) == 0 {
		return candidate{}, false
	}
	return best, true
}

// judge counts how well p, taken apart in a, answers q.
func judge(q question, p journeystate.Passage, a *analysis) candidate {
	c := candidate{Passage: p, Analysis: a}
	for _, t := range q.Terms {
		if a.all.has(t.Stem) {
			c.Matched++
		}
		if a.section.has(t.Stem) {
			c.InSection++
		}
		if a.title.has(t.Stem) {
			c.InTitle++
		}
	}
	for _, s := range a.sentences {
		n := s.unitScore(q.Terms, q.Hint)
		c.Total += n
		c.Closest = max(c.Closest, n)
	}
	return c
}

// better reports whether c ranks above d.
func (c candidate) better(d candidate) bool {
	if a, b := c.Matched+c.InSection, d.Matched+d.InSection; a != b {
		return a > b
	}
	if c.ForStage != d.ForStage {
		return c.ForStage
	}
	if c.InTitle != d.InTitle {
		return c.InTitle > d.InTitle
	}
	if c.Closest != d.Closest {
		return c.Closest > d.Closest
	}
	// When the page title holds every matched word ("what is Hearthly Plus?"), the page's introduction answers.
	if c.InTitle == c.Matched && d.InTitle == d.Matched && c.intro() != d.intro() {
		return c.intro()
	}
	return c.Total > d.Total
}

// intro reports whether the passage is a page's introduction, before any section heading but the title.
func (c candidate) intro() bool {
	return c.Passage.Heading == "" || c.Passage.Heading == c.Passage.Title
}

// untitled returns the terms that do not occur in the title or heading of the passage a is: those the quoted
// sentences must supply.
func untitled(a *analysis, terms []word) []word {
	var out []word
	for _, t := range terms {
		if !a.section.has(t.Stem) {
			out = append(out, t)
		}
	}
	return out
}
