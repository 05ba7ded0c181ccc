package offline

import (
	"regexp"
	"strings"
)

// hint is the kind of fact a question asks for, read from its wording ("how long", "how much"). It only breaks ties
// between passages and sentences that contain as many of the question's words: it never makes a passage relevant.
type hint int

const (
	hintNone  hint = iota
	hintTime       // a duration: "3 to 5 business days"
	hintPrice      // an amount of money: "$179"
	hintSteps      // instructions: a numbered list item
)

var (
	timeQuestion  = regexp.MustCompile(`\b(how (long|soon|quickly|many (days|hours|weeks))|when (will|does|do|can|is|are))\b`)
	priceQuestion = regexp.MustCompile(`\b(how much|price|prices|pricing|cost|costs|fee|fees|expensive|cheap)\b`)
	durationFact  = regexp.MustCompile(`(?i)\b\d+(\s*(to|-|–)\s*\d+)?\s*(business |working )?(minutes?|hours?|days?|weeks?|months?|years?)\b`)
	stepsQuestion = regexp.MustCompile(`\b(how (do|can|should|would) (i|we|you)|how to|steps?)\b`)
	moneyFact     = regexp.MustCompile(`[$€£]\s?\d`)
	stepFact      = regexp.MustCompile(`^\d{1,3}[.)]\s`)
)

// hintOf reads the hint from a question's text.
func hintOf(text string) hint {
	text = strings.ToLower(text)
	switch {
	case timeQuestion.MatchString(text):
		return hintTime
	case priceQuestion.MatchString(text):
		return hintPrice
	case stepsQuestion.MatchString(text):
		return hintSteps
	}
	return hintNone
}

// satisfiedBy reports whether text states the kind of fact h asks for.
func (h hint) satisfiedBy(text string) bool {
	switch h {
	case hintTime:
		return durationFact.MatchString(text)
	case hintPrice:
		return moneyFact.MatchString(text)
	case hintSteps:
		return stepFact.MatchString(text)
	}
	return false
}

// facts is the set of hints a text satisfies (see satisfiedBy), bit 1<<h for hint h: worked out once per sentence
// of a passage, so that judging a question runs no regular expression over the passage.
type facts uint8

// factsOf returns the hints text satisfies.
func factsOf(text string) facts {
	var f facts
	if !strings.ContainsAny(text, "0123456789") {
		return f // every fact a hint asks for has a digit (\d is ASCII): most sentences need no regular expression
	}
	for _, h := range []hint{hintTime, hintPrice, hintSteps} {
		if h.satisfiedBy(text) {
			f |= 1 << h
		}
	}
	return f
}

// satisfy reports whether the text f was read from satisfies h; never for hintNone.
func (f facts) satisfy(h hint) bool { return h != hintNone && f&(1<<h) != 0 }
