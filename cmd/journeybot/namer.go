package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/bot/llm"
)

// modelNamer names the journeys the journey map does not describe with the configured model, for the manager's
// journeys page. It sends the model stage names and counts only: no customer's data.
type modelNamer struct {
	model   llm.Model
	company string
}

// maxJourneyName bounds a name the model gives, in characters.
const maxJourneyName = 60

// Name asks the model for a short name of j.
func (n modelNamer) Name(ctx context.Context, j analytics.UnknownJourney) (string, error) {
	prompt := fmt.Sprintf("Customers of %s took this journey through the stages of the customer journey: %s. "+
		"%d customers (%.0f%% of all) took it, and the company's designed journey map does not describe it. "+
		"Give it a short descriptive name of at most six words that says who these customers are or what happened "+
		"to them, such as \"Gift recipients needing setup help\". Answer with the name only.",
		n.company, strings.Join(j.Stages, " → "), j.Count, 100*j.Share)
	resp, err := n.model.Complete(ctx, llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: prompt}},
		MaxTokens: 24, Temperature: 0.2}, nil)
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(strings.SplitN(strings.TrimSpace(resp.Content), "\n", 2)[0])
	name = strings.Trim(name, "\"'“”.* ")
	if name == "" {
		return "", errors.New("the model gave no name")
	}
	if utf8.RuneCountInString(name) > maxJourneyName {
		name = string([]rune(name)[:maxJourneyName]) + "…"
	}
	return name, nil
}
