// Package redact removes private data from text before it reaches a language model, and, when the operator wants it,
// before it is stored: payment card numbers (checked with Luhn, so order and phone numbers stay), national id
// numbers of a few countries (each checked as its issuer defines it), and the operator's own regular expressions.
// Each match is replaced by a placeholder that says what was there ("[card number removed]"), so the model and the
// agent still understand the sentence.
//
// Redaction is a privacy measure, not a guarantee: it finds numbers written the usual ways (digits, with single
// spaces or dashes between groups), not ones spelt out in words or hidden on purpose. Every pass is one linear scan
// (hand-written for digits, RE2 for patterns), so hostile input (huge, invalid UTF-8, full of near-matches) costs
// time proportional to its length. This package must not log or keep the text it is given.
package redact

import (
	"fmt"
	"slices"
	"strings"
)

// Rule is an operator's own redaction: every match of Pattern is replaced by Replacement. Its fields are named as in
// config.yaml, so a list of rules decodes straight into []Rule.
type Rule struct {
	// Name says what the rule removes ("order email", "iban"); required, unique among the rules.
	Name string `yaml:"name" koanf:"name"`
	// Pattern is a regular expression in Go's RE2 syntax (https://pkg.go.dev/regexp/syntax); it must not be able to
	// match the empty string.
	Pattern string `yaml:"pattern" koanf:"pattern"`
	// Replacement is the literal text put in place of each match ("$1" is not expanded); "" means "[<Name>
	// removed]".
	Replacement string `yaml:"replacement" koanf:"replacement"`
}

// Options choose what a Redactor removes. The zero Options removes nothing.
type Options struct {
	// Cards removes payment card numbers: 13 to 19 digits, in a row or in groups joined by single spaces or
	// dashes, passing the Luhn check, and not cut out of a longer sequence of digits. Numbers failing Luhn (most
	// order and phone numbers) and a number right after a '+' (a phone number's country code) are kept.
	Cards bool
	// NationalIDs names the built-in national id numbers to remove, without regard to case: "us_ssn" (US Social
	// Security number, AAA-GG-SSSS or AAA GG SSSS, never-issued numbers kept), "uk_nino" (UK National Insurance
	// number), "ca_sin" (Canadian Social Insurance Number, AAA-AAA-AAA or AAA AAA AAA, Luhn-checked) and
	// "de_steuer_id" (German tax id, with its check digit); see KnownNationalIDs.
	NationalIDs []string
	// Rules are the operator's own patterns, applied after the built-in ones, in order.
	Rules []Rule
}

// Redactor removes what its Options name. It is immutable once made and safe for concurrent use. A nil *Redactor
// is valid and removes nothing, so that callers need not check whether redaction is configured.
type Redactor struct {
	passes []pass
}

// pass is one kind of data to remove: one scan of the text.
type pass struct {
	name        string // for errors: "cards", a national id's name, a rule's name
	replacement string
	// find returns the byte spans of s to replace, in order and not overlapping.
	find func(s string) []span
}

// span is the byte range s[start:end].
type span struct{ start, end int }

// New returns a Redactor for o. It returns an error, naming the rule or id at fault, when a national id name is
// unknown, a rule has no name or shares one with another rule, a pattern does not compile or can match the empty
// string, or a replacement would itself be redacted (which would make redacting twice differ from redacting once).
func New(o Options) (*Redactor, error) {
	r := &Redactor{}
	if o.Cards {
		r.passes = append(r.passes, pass{name: "cards", replacement: cardPlaceholder, find: findCards})
	}
	seen := make(map[string]bool)
	for _, name := range o.NationalIDs {
		key := strings.ToLower(strings.TrimSpace(name))
		id, ok := nationalIDs()[key]
		if !ok {
			return nil, fmt.Errorf("redact: unknown national id %q (known: %s)", name, strings.Join(KnownNationalIDs(), ", "))
		}
		if seen[key] {
			continue // naming one twice is harmless
		}
		seen[key] = true
		r.passes = append(r.passes, id.pass(key))
	}
	names := make(map[string]bool)
	for i, rule := range o.Rules {
		if strings.TrimSpace(rule.Name) == "" {
			return nil, fmt.Errorf("redact: rule %d has no name", i+1)
		}
		if names[rule.Name] {
			return nil, fmt.Errorf("redact: two rules are named %q", rule.Name)
		}
		names[rule.Name] = true
		p, err := rule.pass()
		if err != nil {
			return nil, fmt.Errorf("redact: rule %q: %w", rule.Name, err)
		}
		r.passes = append(r.passes, p)
	}
	for _, p := range r.passes {
		if _, n := r.Redact(p.replacement); n > 0 {
			return nil, fmt.Errorf("redact: %s: replacement %q would itself be redacted", p.name, p.replacement)
		}
	}
	return r, nil
}

// Redact returns s with every match of r's passes replaced by its placeholder, and how many matches it replaced.
// The passes run in order (cards, national ids, rules), each over the output of the one before. Bytes that are not
// replaced are returned as they were, invalid UTF-8 included. A nil r returns s and 0.
func (r *Redactor) Redact(s string) (string, int) {
	if r == nil {
		return s, 0
	}
	total := 0
	for _, p := range r.passes {
		spans := p.find(s)
		if len(spans) == 0 {
			continue
		}
		s = replace(s, spans, p.replacement)
		total += len(spans)
	}
	return s, total
}

// replace returns s with each of spans replaced by with.
func replace(s string, spans []span, with string) string {
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.start])
		b.WriteString(with)
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// KnownNationalIDs returns the names Options.NationalIDs accepts, sorted.
func KnownNationalIDs() []string {
	var out []string
	for name := range nationalIDs() {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
