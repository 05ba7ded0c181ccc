package sms

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// plainText turns a reply into what an SMS can show: Markdown emphasis and code marks dropped, links written as
// "text (url)", typographic characters replaced by GSM-7 ones, runs of blank lines and spaces collapsed.
func plainText(s string) string {
	s = mdLink.ReplaceAllString(s, "$1 ($2)")
	s = mdMarks.ReplaceAllString(s, "")
	s = mdHeading.ReplaceAllString(s, "")
	s = gsmFriendly.Replace(s)
	s = spaces.ReplaceAllString(s, " ")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// Patterns of plainText; compiled once, never changed.
var (
	mdLink     = regexp.MustCompile(`\[([^\]\n]{1,200})\]\((https?://[^)\s]+)\)`)
	mdMarks    = regexp.MustCompile("\\*\\*|__|`")
	mdHeading  = regexp.MustCompile(`(?m)^#{1,6}[ \t]+`)
	spaces     = regexp.MustCompile(`[ \t]+`)
	blankLines = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)
)

// splitter cuts a reply into SMS messages.
type splitter struct {
	maxSegments int // segments one message may take, its "(i/n) " label included
	maxParts    int // messages one reply may take; the rest is cut off with an ellipsis
}

// split returns text as at most maxParts messages, each within maxSegments segments and Twilio's 1600
// characters. Text that fits in one message is returned as it is; otherwise it is cut at the last sentence end that
// leaves a part at least half full, else at the last space, else between characters, and each part is labelled
// "(i/n) ". Text too long for maxParts messages is cut, the last part ending in "...".
func (sp splitter) split(text string) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if sp.fits(text, "") {
		return []string{text}
	}
	// The label's width depends on how many parts there are: reserve room for the widest one allowed.
	reserve := fmt.Sprintf("(%d/%d) ", sp.maxParts, sp.maxParts)
	var parts []string
	for rest := text; rest != ""; {
		if len(parts) == sp.maxParts-1 && !sp.fits(rest, reserve) {
			parts = append(parts, sp.cutWithEllipsis(rest, reserve))
			break
		}
		head, tail := sp.cut(rest, reserve)
		parts = append(parts, head)
		rest = tail
	}
	for i := range parts {
		parts[i] = fmt.Sprintf("(%d/%d) %s", i+1, len(parts), parts[i])
	}
	return parts
}

// fits reports whether label+s can go out as one message.
func (sp splitter) fits(s, label string) bool {
	full := label + s
	if utf8.RuneCountInString(full) > maxTwilioCh {
		return false
	}
	_, n := Segments(full)
	return n <= sp.maxSegments
}

// longestFit returns the byte length of the longest prefix of s (ending on a rune boundary) that fits with label;
// at least one rune, so that splitting always progresses.
func (sp splitter) longestFit(s, label string) int {
	// Prefixes only grow in segments as they grow in length: search the rune boundaries.
	bounds := make([]int, 0, len(s))
	for i := range s {
		if i > 0 {
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, len(s))
	lo, hi := 0, len(bounds)-1 // bounds[lo] is known to be taken (one rune at least)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sp.fits(s[:bounds[mid]], label) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return bounds[lo]
}

// cut splits s into a head that fits with label and the rest, at the best boundary.
func (sp splitter) cut(s, label string) (head, tail string) {
	end := sp.longestFit(s, label)
	if end >= len(s) {
		return strings.TrimSpace(s), ""
	}
	at := end
	if i := lastSentenceEnd(s[:end]); i >= end/2 {
		at = i
	} else if i := strings.LastIndexFunc(s[:end], unicode.IsSpace); i > 0 {
		at = i
	}
	return strings.TrimSpace(s[:at]), strings.TrimSpace(s[at:])
}

// cutWithEllipsis returns the longest head of s, cut at a space when it can be, that fits with label and "...".
func (sp splitter) cutWithEllipsis(s, label string) string {
	const ellipsis = "..."
	end := sp.longestFit(s, label+ellipsis) // label first: the ellipsis costs what it costs wherever it goes
	head := s[:end]
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 {
		head = head[:i]
	}
	return strings.TrimRightFunc(head, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + ellipsis
}

// lastSentenceEnd returns the byte offset just after the last sentence end in s (".", "!" or "?" followed by
// white space, or a line break), or -1.
func lastSentenceEnd(s string) int {
	for i := len(s) - 1; i > 0; i-- {
		switch {
		case s[i] == '\n':
			return i + 1
		case (s[i] == ' ' || s[i] == '\t') && strings.ContainsRune(".!?", rune(s[i-1])):
			return i
		}
	}
	return -1
}
