package prompts

import (
	"errors"
	"fmt"
	"maps"
	"slices"
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

	// Stage is the customer's journey stage; zero when journeys are off or the customer is in none yet.
	Stage Stage
	// NextStages are the stages the model may move the customer to with set_journey_stage (along the journey map).
	NextStages []string
	// Intents are the intents the model may report with record_intent, with what each means.
	Intents []Intent
	// FactKeys are the keys remember_fact may store.
	FactKeys []string
	// Traits are what the company's systems say about the customer; shown as data.
	Traits map[string]string
	// Memory is what the bot remembers of the customer: facts learned and a summary of earlier conversations.
	Memory journeystate.Memory
	// Timeline is the customer's recent journey across channels, selected for this turn within a budget, most
	// relevant first: messages of other conversations, business events, stage changes.
	Timeline []TimelineEntry
}

// Stage is a journey stage as the prompt shows it.
type Stage struct {
	Name        string
	Description string
	Guidance    string // what the bot should do for a customer in this stage
}

// Intent is an intent the model may report.
type Intent struct {
	Name        string
	Description string
}

// TimelineEntry is one line of the customer's journey.
type TimelineEntry struct {
	Time    time.Time
	Channel string // "web", "slack", "sms", "api", ...; may be empty
	// Author is who wrote a message ("customer", "bot", "agent"); empty for an event.
	Author string
	// Text is the message's text, or the event's description ("order_placed (order_id: A-1, total: 249)").
	Text string
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

	Stage      Stage
	NextStages []string
	Intents    []Intent
	FactKeys   []string
	Traits     []keyValue
	Facts      []keyValue
	Summary    string
	Timeline   []timelineView
}

type keyValue struct{ Key, Value string }

type timelineView struct {
	When, Channel, Author, Text string
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
	v.Stage = Stage{Name: oneline(d.Stage.Name), Description: block(d.Stage.Description), Guidance: block(d.Stage.Guidance)}
	for _, n := range d.NextStages {
		v.NextStages = append(v.NextStages, oneline(n))
	}
	for _, in := range d.Intents {
		v.Intents = append(v.Intents, Intent{Name: oneline(in.Name), Description: oneline(in.Description)})
	}
	for _, k := range d.FactKeys {
		v.FactKeys = append(v.FactKeys, oneline(k))
	}
	v.Traits = sortedPairs(d.Traits, maxTraits)
	v.Facts = sortedPairs(d.Memory.Facts, maxTraits)
	v.Summary = block(d.Memory.Summary)
	for _, e := range d.Timeline {
		v.Timeline = append(v.Timeline, timelineView{
			When:    e.Time.In(d.Now.Location()).Format("2006-01-02 15:04"),
			Channel: oneline(e.Channel),
			Author:  oneline(e.Author),
			Text:    truncate(oneline(e.Text), maxTimelineRunes),
		})
	}
	out, err := r.render(systemTemplate, v)
	if err != nil {
		return "", fmt.Errorf("prompts: render %s: %w", systemTemplate, err)
	}
	return out, nil
}

// Bounds on the customer's data in a prompt.
const (
	maxTraits        = 50  // traits, and facts, shown
	maxTimelineRunes = 500 // one timeline line
)

// sortedPairs returns m's pairs sorted by key, each cleaned as a one-line field, at most n of them.
func sortedPairs(m map[string]string, n int) []keyValue {
	keys := slices.Sorted(maps.Keys(m))
	var out []keyValue
	for _, k := range keys[:min(n, len(keys))] {
		out = append(out, keyValue{Key: oneline(k), Value: oneline(m[k])})
	}
	return out
}

// sampleSystemData returns data that takes every branch of the default template (each channel, with and without
// customer, passages and tools); New renders each to check the templates before the server takes a customer.
func sampleSystemData() []SystemData {
	full := SystemData{
		Company:    Company{Name: "Example", Description: "Example sells examples.", Website: "https://example.com"},
		Persona:    Persona{Name: "Sam", Tone: "friendly", Instructions: "Be brief."},
		Now:        time.Date(2026, time.January, 2, 15, 4, 5, 0, time.UTC),
		Customer:   journeystate.Profile{Name: "Alex", Email: "alex@example.com", Phone: "+15550100"},
		Passages:   []journeystate.Passage{{Source: "a.md", Title: "A", Heading: "B", URL: "https://example.com/a", Text: "C"}},
		Tools:      []string{"search_knowledge", "set_journey_stage", "record_intent", "remember_fact"},
		Stage:      Stage{Name: "onboarding", Description: "Setting up.", Guidance: "Help with installation."},
		NextStages: []string{"support"},
		Intents:    []Intent{{Name: "installation_help", Description: "needs help installing"}},
		FactKeys:   []string{"thermostat_model"},
		Traits:     map[string]string{"plan": "pro"},
		Memory:     journeystate.Memory{Facts: map[string]string{"thermostat_model": "T2"}, Summary: "Asked about wiring."},
		Timeline: []TimelineEntry{
			{Time: time.Date(2026, time.January, 1, 9, 0, 0, 0, time.UTC), Channel: "sms", Author: "customer", Text: "Hi"},
			{Time: time.Date(2026, time.January, 1, 8, 0, 0, 0, time.UTC), Channel: "api", Text: "order_placed"},
		},
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
