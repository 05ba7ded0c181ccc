package knowledge

import (
	"regexp"
	"strings"
)

// sections cuts a Markdown body at its ATX headings ("## Returns"), ignoring lines inside fenced code blocks. Text
// before the first heading is a section with an empty heading.
func sections(body string) []section {
	var (
		out   []section
		cur   section
		buf   strings.Builder
		fence string // the opening fence while inside a fenced code block
	)
	flush := func() {
		cur.Body = buf.String()
		out = append(out, cur)
		buf.Reset()
	}
	for _, line := range strings.SplitAfter(body, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
		default:
			if h, ok := heading(line); ok {
				flush()
				cur = section{Heading: h}
				continue
			}
		}
		buf.WriteString(line)
	}
	flush()
	return out
}

// heading returns the text of an ATX heading line (up to three spaces of indent, 1–6 "#", a space), without the
// optional closing "#" run.
func heading(line string) (string, bool) {
	line = strings.TrimRight(line, " \t\n")
	indent := len(line) - len(strings.TrimLeft(line, " "))
	if indent > 3 {
		return "", false
	}
	line = line[indent:]
	level := len(line) - len(strings.TrimLeft(line, "#"))
	if level < 1 || level > 6 {
		return "", false
	}
	rest := line[level:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if trimmed := strings.TrimRight(rest, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		rest = strings.TrimSpace(trimmed)
	}
	return rest, true
}

// blockStart matches a line that starts a Markdown block of its own rather than continuing a paragraph: a list item,
// a quote, a heading, a fence, a table row.
var blockStart = regexp.MustCompile(`^\s*([-*+]\s|\d{1,9}[.)]\s|>|#|` + "```" + `|~~~|\|)`)

// unwrap joins the hard-wrapped lines of each paragraph and list item into one line, outside fenced code, so that
// passage text reads as sentences and a newline in it always ends a block.
func unwrap(body string) string {
	var (
		out   []string
		fence string
		open  bool // the last line of out is paragraph text that the next line may continue
	)
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			out = append(out, line)
			continue
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			out, open = append(out, line), false
			continue
		case trimmed == "":
			out, open = append(out, ""), false
			continue
		case open && !blockStart.MatchString(line):
			out[len(out)-1] += " " + trimmed
			continue
		}
		out = append(out, strings.TrimRight(line, " \t"))
		open = !strings.HasPrefix(trimmed, "#")
	}
	return strings.Join(out, "\n")
}
