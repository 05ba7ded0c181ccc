package slack

import (
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack text comes in Slack's encoding: &, < and > are escaped as &amp;, &lt; and &gt;, and <...> are control
// sequences (user and channel mentions, links, <!here>). Both directions are handled here.

// maxPostRunes bounds the text of one posted message; Slack truncates at 40,000 characters, with a margin here.
const maxPostRunes = 39000

var controlSeq = regexp.MustCompile(`<([^<>]*)>`)

// plainText turns Slack-encoded message text into what the customer wrote: the mention of the app (botUserID) is
// dropped, other mentions and links become readable text, and the escapes are undone.
func plainText(s, botUserID string) string {
	s = controlSeq.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, _ := strings.Cut(inner, "|")
		switch {
		case botUserID != "" && target == "@"+botUserID:
			return ""
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "!"):
			return "@" + cmpLabel(label, target[1:])
		case strings.HasPrefix(target, "#"):
			return "#" + cmpLabel(label, target[1:])
		}
		target = strings.TrimPrefix(target, "mailto:")
		switch {
		case label != "" && label != target:
			return label + " (" + target + ")"
		default:
			return target
		}
	})
	return strings.TrimSpace(unescape(s))
}

func cmpLabel(label, id string) string {
	if label != "" {
		return label
	}
	return id
}

func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// escape escapes text for Slack: &, < and > are the only characters Slack asks to escape.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var (
	// slackLink is a link the model wrote in Slack's own syntax, as the prompt asks: <https://x|title> or <https://x>.
	slackLink = regexp.MustCompile(`<((?:https?://|mailto:)[^\s<>|]+)(?:\|([^<>]*))?>`)
	// mdLink is a Markdown link [title](https://x), which models write out of habit.
	mdLink = regexp.MustCompile(`\[([^\[\]\n]+)\]\(((?:https?://|mailto:)[^\s()<>]+)\)`)
	mdBold = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	mdHead = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t]*#*$`)
)

// spoofs reports whether a link's title poses as another address than its target: it names a host (or an address
// at one) that is not the target's, as in [https://hearthly.com/account](https://evil.example/login). Such a link is
// shown as its bare target instead.
func spoofs(title, target string) bool {
	t, err := neturl.Parse(target)
	if err != nil {
		return true
	}
	host := strings.ToLower(t.Hostname())
	if t.Scheme == "mailto" {
		if at := strings.LastIndexByte(t.Opaque, '@'); at >= 0 {
			host = strings.ToLower(t.Opaque[at+1:])
		}
	}
	for _, word := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return r == ' ' || r == '/' || r == '@' || r == ':' || r == '(' || r == ')' || r == ',' || r == '<' || r == '>'
	}) {
		word = strings.Trim(word, ".")
		if !strings.Contains(word, ".") || !looksLikeHost(word) {
			continue
		}
		if word != host && !strings.HasSuffix(host, "."+word) && !strings.HasSuffix(word, "."+host) {
			return true
		}
	}
	return false
}

// looksLikeHost reports whether w reads as a host name: labels of letters, digits and hyphens, the last one
// alphabetic with two letters or more (so "3.5" or "e.g" are not hosts).
func looksLikeHost(w string) bool {
	labels := strings.Split(w, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for _, r := range tld {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// toMrkdwn turns a reply (the model's, in the Slack mrkdwn the prompt asks for, with Markdown habits mixed in) into
// text safe to post: links in Slack's or Markdown's syntax become Slack links, **bold** and headings become *bold*,
// and every other &, < and > is escaped, so that no reply can mention @channel, a user or a channel, or forge a link:
// the model's output is data. It is cut to maxPostRunes.
func toMrkdwn(s string) string {
	// Links first, kept aside as placeholders so that escaping does not touch them. \x00 cannot be in the reply's
	// text (it is dropped first), so the placeholders cannot be forged.
	s = strings.ReplaceAll(s, "\x00", "")
	var links []string
	keep := func(url, title string) string {
		link := "<" + url + ">"
		if title = strings.TrimSpace(title); title != "" && title != url && !spoofs(title, url) {
			link = "<" + url + "|" + escape(title) + ">"
		}
		links = append(links, link)
		return "\x00" + strconv.Itoa(len(links)-1) + "\x00"
	}
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		return keep(sub[2], sub[1])
	})
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackLink.FindStringSubmatch(m)
		return keep(sub[1], sub[2])
	})
	// An escape the model already wrote (&amp;) is kept as it is rather than escaped twice.
	s = escape(unescape(s))
	s = mdBold.ReplaceAllString(s, "*$1*")
	s = mdHead.ReplaceAllString(s, "*$1*")
	if len(links) > 0 {
		s = placeholder.ReplaceAllStringFunc(s, func(m string) string {
			i, err := strconv.Atoi(m[1 : len(m)-1])
			if err != nil || i >= len(links) {
				return ""
			}
			return links[i]
		})
	}
	return truncate(s, maxPostRunes)
}

var placeholder = regexp.MustCompile("\x00[0-9]+\x00")

// truncate cuts s to at most n runes, ending with "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
