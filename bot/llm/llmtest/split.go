package llmtest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sashabaranov/go-openai"
)

// splitWords cuts s into pieces of n words each, every piece carrying the spaces that follow its words, so that the
// pieces joined are s. An empty s gives no pieces.
func splitWords(s string, n int) []string {
	var pieces []string
	words, start, inWord := 0, 0, false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			if words == n {
				pieces = append(pieces, s[start:i])
				start, words = i, 0
			}
			words++
		}
		inWord = !space
	}
	if start < len(s) {
		pieces = append(pieces, s[start:])
	}
	return pieces
}

// splitRunes cuts s into at most n pieces of about equal length on rune boundaries, so that each piece is valid
// UTF-8 and the pieces joined are s. An empty s gives one empty piece (a tool call's first chunk carries its name).
func splitRunes(s string, n int) []string {
	size := (len(s) + n - 1) / n
	if size == 0 {
		return []string{""}
	}
	var pieces []string
	for len(s) > 0 {
		end := min(size, len(s))
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		pieces = append(pieces, s[:end])
		s = s[end:]
	}
	return pieces
}

// countUsage stands word counts in for token counts: the prompt's message words, and the answer's text and
// tool-call argument words plus one per call.
func countUsage(req openai.ChatCompletionRequest, reply Reply) wireUsage {
	var u wireUsage
	for _, m := range req.Messages {
		u.PromptTokens += len(strings.Fields(m.Content))
	}
	u.CompletionTokens = len(strings.Fields(reply.Text))
	for _, c := range reply.ToolCalls {
		u.CompletionTokens += 1 + len(strings.Fields(c.Arguments))
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}
