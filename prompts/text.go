package prompts

import (
	"regexp"
	"slices"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// Bounds on untrusted text in a prompt, in characters (runes). A knowledge chunk is normally far shorter; the bounds
// keep one odd page or profile from crowding out the rest of the prompt.
const (
	maxFieldRunes = 200  // one-line fields: names, titles, URLs
	maxBlockRunes = 4000 // a passage's text
)

// blockTag matches the opening or closing of the marked blocks the templates put data in, so that text inside a
// block cannot close it early and pose as instructions.
var blockTag = regexp.MustCompile(`(?i)<(\s*/?\s*)(knowledge|passage|customer|tool_result|timeline|transcript)`)

// templateFuncs returns the functions the templates may call: oneline and block clean text as data fields do, has
// reports whether a list holds a string, join is strings.Join.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"oneline": oneline,
		"block":   block,
		"has":     slices.Contains[[]string],
		"join":    strings.Join,
	}
}

// oneline returns s as data for a one-line field: control and format characters dropped, every run of white space
// one space, block tags defused, at most maxFieldRunes characters.
func oneline(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return truncate(defuse(b.String()), maxFieldRunes)
}

// block returns s as data for a multi-line block: line breaks kept (at most one blank line in a row), other control
// and format characters dropped, block tags defused, at most maxBlockRunes characters.
func block(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	newlines := 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			newlines++
			continue
		case r == '\t':
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		}
		if newlines > 0 && b.Len() > 0 {
			b.WriteString(strings.Repeat("\n", min(newlines, 2)))
		}
		newlines = 0
		b.WriteRune(r)
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return truncate(defuse(strings.TrimSpace(strings.Join(lines, "\n"))), maxBlockRunes)
}

// defuse replaces the "<" of anything that looks like a block tag with "‹", which reads the same to a person.
func defuse(s string) string {
	return blockTag.ReplaceAllString(s, "‹$1$2")
}

// truncate cuts s to at most n runes, marking a cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n-1 {
			return strings.TrimRightFunc(s[:pos], unicode.IsSpace) + "…"
		}
		i++
	}
	return s
}
