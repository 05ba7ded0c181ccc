package offline

import (
	"regexp"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// deltaWords is how many words each streamed piece holds.
const deltaWords = 3

// whoAmI is the assistant introducing itself: "I'm Sunny, Hearthly's automated assistant".
func (r *Responder) whoAmI() string {
	var b strings.Builder
	b.WriteString("I'm ")
	if r.opts.Assistant != "" {
		b.WriteString(r.opts.Assistant + ", ")
	}
	switch {
	case r.opts.Company != "":
		b.WriteString(possessive(r.opts.Company))
	default:
		b.WriteString("an")
	}
	b.WriteString(" automated assistant")
	return b.String()
}

func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "'"
	}
	return name + "'s"
}

// topics is what the assistant can help with, as a phrase.
func (r *Responder) topics() string {
	t := r.opts.Topics
	switch len(t) {
	case 0:
		return "questions about our products, orders, your account and troubleshooting"
	case 1:
		return t[0]
	default:
		return strings.Join(t[:len(t)-1], ", ") + " and " + t[len(t)-1]
	}
}

func (r *Responder) introReply() string {
	return r.whoAmI() + ". I can help with " + r.topics() + ". What would you like to know?"
}

// greetingReply answers a greeting from a customer at stage: the stage's greeting from Options.Greetings, after
// "Hi! I'm ..., an automated assistant." unless it already says what it is, or else the general greeting.
func (r *Responder) greetingReply(stage string) string {
	text, ok := r.opts.Greetings[stage]
	switch {
	case !ok || stage == "":
		return "Hi! " + r.introReply()
	case strings.Contains(strings.ToLower(text), "automated assistant"):
		return text
	default:
		return "Hi! " + r.whoAmI() + ". " + text
	}
}

func (r *Responder) thanksReply() string {
	return "You're welcome! If there's anything else, just ask. " + r.whoAmI() +
		", so you can also ask for a person at any time."
}

func (r *Responder) unknownReply() string {
	return "Sorry, I don't know the answer to that. " + r.whoAmI() +
		" and can only answer from our help pages. Could you rephrase your question, or ask to talk to a person?"
}

// answerReply quotes a passage: "From our help page “Shipping and delivery”: ...", the page's address when known,
// and a light note that this is an automated answer.
func (r *Responder) answerReply(p journeystate.Passage, quote string) string {
	var b strings.Builder
	b.WriteString("From our help page “" + p.Title + "”:")
	if listMarker.MatchString(quote) {
		b.WriteString("\n")
	} else {
		b.WriteString(" ")
	}
	b.WriteString(quote)
	// Only a full address is worth writing out: a bare path (knowledge.base_url unset) means nothing in a chat.
	if strings.HasPrefix(p.URL, "https://") || strings.HasPrefix(p.URL, "http://") {
		b.WriteString("\n\nMore on that page: " + p.URL)
	}
	b.WriteString("\n\n(" + r.whoAmI() + ": if this doesn't answer your question, just ask for a person.)")
	return b.String()
}

var wordAndSpace = regexp.MustCompile(`\S+\s*`)

// pieces cuts text into pieces of n words each (with the whitespace after them, and the first with any whitespace
// before it), whose concatenation is text.
func pieces(text string, n int) []string {
	var out []string
	locs := wordAndSpace.FindAllStringIndex(text, -1)
	for i := 0; i < len(locs); i += n {
		start := locs[i][0]
		if i == 0 {
			start = 0
		}
		end := locs[min(i+n, len(locs))-1][1]
		out = append(out, text[start:end])
	}
	return out
}
