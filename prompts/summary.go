package prompts

import (
	"errors"
	"fmt"
)

// summaryTemplate is the template Summary renders.
const summaryTemplate = "summary.tmpl"

// SummaryData is what the prompt that updates a customer's running summary shows.
type SummaryData struct {
	Company  string
	Previous string // the summary so far; may be empty
	Channel  string
	Date     string // the conversation's date, formatted by the caller
	// Transcript is the conversation's new messages, oldest first.
	Transcript []Line
	MaxChars   int
}

// Line is one message of a transcript.
type Line struct {
	Author string // "customer", "assistant", "agent"
	Text   string
}

// Summary renders the instructions for updating a customer's running summary. It returns an error when there is
// no transcript or MaxChars is not positive; untrusted text is cleaned and quoted as data.
func (r *Renderer) Summary(d SummaryData) (string, error) {
	if len(d.Transcript) == 0 {
		return "", errors.New("prompts: a summary needs a transcript")
	}
	if d.MaxChars <= 0 {
		return "", errors.New("prompts: a summary needs a length bound")
	}
	v := d
	v.Company = oneline(d.Company)
	v.Previous = block(d.Previous)
	v.Channel = oneline(d.Channel)
	v.Date = oneline(d.Date)
	v.Transcript = make([]Line, len(d.Transcript))
	for i, l := range d.Transcript {
		v.Transcript[i] = Line{Author: oneline(l.Author), Text: oneline(l.Text)}
	}
	out, err := r.render(summaryTemplate, v)
	if err != nil {
		return "", fmt.Errorf("prompts: render %s: %w", summaryTemplate, err)
	}
	return out, nil
}

// sampleSummaryData is data that takes every branch of summary.tmpl, rendered by New to check an override.
func sampleSummaryData() []SummaryData {
	d := SummaryData{Company: "Example", Channel: "sms", Date: "2 January 2026", MaxChars: 1000,
		Transcript: []Line{{Author: "customer", Text: "Hi"}, {Author: "assistant", Text: "Hello"}}}
	withPrevious := d
	withPrevious.Previous = "The customer asked about shipping."
	return []SummaryData{d, withPrevious}
}
