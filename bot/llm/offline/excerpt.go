package offline

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unit is one sentence of a passage, or one list item.
type unit struct {
	Text     string
	NewBlock bool // the first sentence of a line: a paragraph or a list item
}

var (
	listMarker = regexp.MustCompile(`^([-*+]|\d{1,9}[.)])\s+`)
	mdLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis = strings.NewReplacer("**", "", "__", "", "`", "")
)

// units splits passage text into sentences, keeping list markers ("- ", "1. ") and dropping Markdown emphasis and
// link targets.
func units(text string) []unit {
	var out []unit
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(mdEmphasis.Replace(mdLink.ReplaceAllString(line, "$1")))
		if line == "" || strings.HasPrefix(line, "```") || strings.HasPrefix(line, "#") {
			continue
		}
		marker := listMarker.FindString(line)
		for i, s := range sentences(line[len(marker):]) {
			if i == 0 {
				s = marker + s
			}
			out = append(out, unit{Text: s, NewBlock: i == 0})
		}
	}
	return out
}

// abbreviations end with a period that does not end a sentence.
var abbreviations = setOf("e.g", "i.e", "etc", "vs", "approx", "no", "mr", "mrs", "ms", "dr", "st", "inc", "a.m", "p.m")

// sentences splits a line after ".", "!" or "?" followed by a space and a capital, a digit or an opening quote or
// bracket, unless the period ends an abbreviation ("a.m.", "e.g.").
func sentences(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1 // past the run of closing punctuation: `?")`
		for j < len(line) && strings.IndexByte(`.!?"')`, line[j]) >= 0 {
			j++
		}
		end := i
		i = j - 1
		if j >= len(line) || line[j] != ' ' {
			continue
		}
		next, _ := utf8.DecodeRuneInString(strings.TrimLeft(line[j:], " "))
		if !unicode.IsUpper(next) && !unicode.IsDigit(next) && !strings.ContainsRune(`"“'‘(`, next) {
			continue
		}
		if c == '.' && abbreviations[strings.ToLower(lastWord(line[start:end]))] {
			continue
		}
		out = append(out, strings.TrimSpace(line[start:j]))
		start = j
	}
	if rest := strings.TrimSpace(line[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

func lastWord(s string) string {
	return s[strings.LastIndexAny(s, " (")+1:]
}

// excerpt picks the part of us that answers terms, as (*analysis).excerpt does for units that are not analysed yet.
// The Responder quotes from the analyses it keeps instead.
func excerpt(us []unit, terms []word, h hint, limit int) string {
	return analyseUnits(us).excerpt(terms, h, limit)
}

// excerpt picks the part of a's text that answers terms, in whole sentences and at most limit bytes: it starts at
// the best sentence (see bestUnit; the first such, or the first sentence when none scores), adds the sentences that
// follow while they fit, and then those before it. Only a single sentence longer than limit is cut, at a space, and
// marked with "…".
func (a *analysis) excerpt(terms []word, h hint, limit int) string {
	us := a.units
	if len(us) == 0 {
		return ""
	}
	first, _ := a.bestUnit(terms, h)
	if len(us[first].Text) > limit {
		return cut(us[first].Text, limit)
	}
	last, size := first, len(us[first].Text)
	for last+1 < len(us) && size+1+len(us[last+1].Text) <= limit {
		last++
		size += 1 + len(us[last].Text)
	}
	for first > 0 && size+1+len(us[first-1].Text) <= limit {
		first--
		size += 1 + len(us[first].Text)
	}
	var b strings.Builder
	for i := first; i <= last; i++ {
		if i > first {
			if us[i].NewBlock {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(us[i].Text)
	}
	return b.String()
}

// bestUnit returns the index of the first unit with the highest unitScore, and that score.
func (a *analysis) bestUnit(terms []word, h hint) (best, score int) {
	for i, s := range a.sentences {
		if n := s.unitScore(terms, h); n > score {
			best, score = i, n
		}
	}
	return best, score
}

// cut shortens s to at most limit bytes at a space, ending it with "…".
func cut(s string, limit int) string {
	const ellipsis = "…"
	if len(s) <= limit {
		return s
	}
	s = s[:limit-len(ellipsis)]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1] // a multi-byte character was cut
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, " ,;:") + ellipsis
}
