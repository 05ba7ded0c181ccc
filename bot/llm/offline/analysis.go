package offline

import "github.com/journeybot/journeybot/journeystate"

// analysis is a passage taken apart for judging and quoting: everything about it that does not depend on the
// question, worked out once per passage (see analyses) rather than once per question. It is never modified once
// made, so goroutines share it freely.
type analysis struct {
	units []unit
	// sentences[i] is units[i] analysed.
	sentences []sentence
	// all is the stems of the passage's title, heading and text; section those of its title and heading; title
	// those of its title.
	all, section, title stemSet
}

// sentence is what unitScore needs of a unit.
type sentence struct {
	stems stemSet
	facts facts
}

// analyse takes p apart.
func analyse(p journeystate.Passage) *analysis {
	a := analyseUnits(units(p.Text))
	a.all = newStemSet(p.Title, p.Heading, p.Text)
	a.section = newStemSet(p.Title, p.Heading)
	a.title = newStemSet(p.Title)
	return a
}

// analyseUnits returns the analysis of a passage made of us, with no title or heading.
func analyseUnits(us []unit) *analysis {
	a := &analysis{units: us, sentences: make([]sentence, len(us))}
	for i, u := range us {
		a.sentences[i] = sentence{stems: newStemSet(u.Text), facts: factsOf(u.Text)}
	}
	return a
}

// unitScore is two points for each term the sentence contains, and one more when it states the kind of fact the
// question asks for (see hint).
func (s sentence) unitScore(terms []word, h hint) int {
	n := 0
	for _, t := range terms {
		if s.stems.has(t.Stem) {
			n += 2
		}
	}
	if s.facts.satisfy(h) {
		n++
	}
	return n
}
