package prompts

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// systemTemplate is the template System renders.
const systemTemplate = "system.tmpl"

// Company is the business the assistant speaks for, as the operator configured it.
type Company struct {
	Name        string
	Description string // one or two sentences on what the company does
	Website     string
}

// Persona is who the assistant is, as the operator configured it.
type Persona struct {
	Name         string
	Tone         string // e.g. "warm, brief and plain-spoken"
	Instructions string // extra house rules, one or more lines
}

// SystemData is everything the system prompt of one bot turn shows.
type SystemData struct {
	Company Company
	Persona Persona
	// Channel is journeystate.ChannelWeb, ChannelSlack or ChannelSMS; it picks the answer style.
	Channel string
	// Now is the current time; the prompt states the date and time in Now's location.
	Now time.Time
	// Customer is what is known about the customer; may be empty. Only the name is shown: whether an email address
	// or phone number is on file is stated, their values are not, so the model cannot repeat them to someone who
	// merely claims to be this customer.
	Customer journeystate.Profile
	// Passages are the knowledge passages found for the customer's message, best first.
	Passages []journeystate.Passage
	// Tools are the names of the tools the model may call in this turn, e.g. "search_knowledge".
	Tools []string
}

// systemView is what system.tmpl sees: SystemData with every text field cleaned for the prompt.
type systemView struct {
	Company   Company
	Persona   Persona
	Channel   string
	Now       string
	Customer  customerView
	Passages  []passageView
	Tools     []string
	CanSearch bool // "search_knowledge" is among Tools
}

type customerView struct {
	Name     string
	HasEmail bool
	HasPhone bool
}

type passageView struct {
	N                           int
	Title, Heading, Source, URL string
	Text                        string
}

// System renders the system prompt for one bot turn. It returns an error when d.Channel is not a known channel, d.Now
// is zero or the company has no name (the persona's name may be empty). Untrusted text in d (profile, passages)
// never causes an error: it is cleaned, bounded and quoted as data.
func (r *Renderer) System(d SystemData) (string, error) {
	switch d.Channel {
	case journeystate.ChannelWeb, journeystate.ChannelSlack, journeystate.ChannelSMS:
	default:
		return "", fmt.Errorf("prompts: unknown channel %q", d.Channel)
	}
	if d.Now.IsZero() {
		return "", errors.New("prompts: the current time is not set")
	}
	if d.Company.Name == "" {
		return "", errors.New("prompts: the company needs a name")
	}
	v := systemView{
		Company: Company{
			Name:        oneline(d.Company.Name),
			Description: block(d.Company.Description),
			Website:     oneline(d.Company.Website),
		},
		Persona: Persona{
			Name:         oneline(d.Persona.Name),
			Tone:         strings.TrimRight(oneline(d.Persona.Tone), "."), // the template ends the sentence
			Instructions: block(d.Persona.Instructions),
		},
		Channel: d.Channel,
		Now:     d.Now.Format("Monday, 2 January 2006, 15:04 MST"),
		Customer: customerView{
			Name:     oneline(d.Customer.Name),
			HasEmail: d.Customer.Email != "",
			HasPhone: d.Customer.Phone != "",
		},
	}
	for i, p := range d.Passages {
		v.Passages = append(v.Passages, passageView{
			N:       i + 1,
			Title:   oneline(p.Title),
			Heading: oneline(p.Heading),
			Source:  oneline(p.Source),
			URL:     oneline(p.URL),
			Text:    block(p.Text),
		})
	}
	for _, t := range d.Tools {
		v.Tools = append(v.Tools, oneline(t))
		v.CanSearch = v.CanSearch || t == "search_knowledge"
	}
	out, err := r.render(systemTemplate, v)
	if err != nil {
		return "", fmt.Errorf("prompts: render %s: %w", systemTemplate, err)
	}
	return out, nil
}

// sampleSystemData returns data that takes every branch of the default template (each channel, with and without
// customer, passages and tools); New renders each to check the templates before the server takes a customer.
func sampleSystemData() []SystemData {
	full := SystemData{
		Company:  Company{Name: "Example", Description: "Example sells examples.", Website: "https://example.com"},
		Persona:  Persona{Name: "Sam", Tone: "friendly", Instructions: "Be brief."},
		Now:      time.Date(2026, time.January, 2, 15, 4, 5, 0, time.UTC),
		Customer: journeystate.Profile{Name: "Alex", Email: "alex@example.com", Phone: "+15550100"},
		Passages: []journeystate.Passage{{Source: "a.md", Title: "A", Heading: "B", URL: "https://example.com/a", Text: "C"}},
		Tools:    []string{"search_knowledge"},
	}
	var out []SystemData
	for _, ch := range []string{journeystate.ChannelWeb, journeystate.ChannelSlack, journeystate.ChannelSMS} {
		d := full
		d.Channel = ch
		out = append(out, d)
		out = append(out, SystemData{Company: Company{Name: "E"}, Channel: ch, Now: d.Now})
	}
	return out
}
