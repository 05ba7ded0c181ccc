package journeystate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/journeytest"
)

// shippedConfig is the repository's config.yaml, which holds the demo company's journey map.
const shippedConfig = "../config.yaml"

// shippedMap decodes config.yaml's journey section strictly, as cmd does, and returns it.
func shippedMap(t *testing.T) journeystate.JourneyMap {
	t.Helper()
	return journeytest.ShippedMap(t, shippedConfig)
}

// TestShippedJourneyMap checks that the journey map config.yaml ships is valid and complete enough to demo.
func TestShippedJourneyMap(t *testing.T) {
	m := shippedMap(t)
	if err := m.Validate(); err != nil {
		t.Fatalf("%s's journey map is not valid:\n%v", shippedConfig, err)
	}
	if len(m.Stages) == 0 || len(m.Paths) == 0 || len(m.Goals) == 0 || len(m.Intents) == 0 {
		t.Fatalf("the shipped map has %d stages, %d paths, %d goals, %d intents; want some of each",
			len(m.Stages), len(m.Paths), len(m.Goals), len(m.Intents))
	}
	for _, s := range m.Stages {
		if s.Description == "" || s.Guidance == "" || s.Greeting == "" {
			t.Errorf("stage %q lacks a description, guidance or greeting", s.Name)
		}
	}
}

// TestKnowledgeStagesAreInTheShippedMap checks that every stage a knowledge page is tagged with (its "stages" front
// matter) is a stage of the shipped map, so that no page's tag silently ranks nothing.
func TestKnowledgeStagesAreInTheShippedMap(t *testing.T) {
	stages := shippedMap(t).StageNames()
	pages, err := filepath.Glob(filepath.Join("..", "knowledge", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no knowledge pages found (%v)", err)
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		front, ok := bytes.CutPrefix(data, []byte("---\n"))
		if !ok {
			t.Fatalf("%s has no front matter", page)
		}
		front, _, ok = bytes.Cut(front, []byte("\n---"))
		if !ok {
			t.Fatalf("%s: front matter does not end", page)
		}
		var fm struct {
			Stages []string `yaml:"stages"`
		}
		if err := yaml.Unmarshal(front, &fm); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		for _, s := range fm.Stages {
			if !slices.Contains(stages, s) {
				t.Errorf("%s is tagged with stage %q, which the shipped map does not have", page, s)
			}
		}
	}
}

// TestShippedJourneyMapMovesACustomer follows a Hearthly customer through the demo map, checking that its
// triggers move them as config.yaml's comments say.
func TestShippedJourneyMapMovesACustomer(t *testing.T) {
	m := shippedMap(t)
	thermostat := map[string]any{"device_type": "thermostat"}
	steps := []struct {
		e         journeystate.Event
		wantStage string
	}{
		{biz("page_viewed", 0, map[string]any{"path": "/"}), "awareness"},
		{biz("viewed_pricing", day, nil), "awareness"},
		{biz("viewed_pricing", 2*day, nil), "awareness"},
		{biz("page_viewed", 2*day+hour, nil), "awareness"},
		{biz("viewed_pricing", 3*day, nil), "consideration"},
		{intent("product_question", 3*day+hour), "consideration"}, // awareness admits newcomers only
		{biz("order_placed", 4*day, map[string]any{"total": 229}), "purchase"},
		{intent("order_status", 5*day), "purchase"},
		{biz("order_delivered", 7*day, nil), "onboarding"},
		{intent("installation_help", 7*day+hour), "onboarding"},
		{biz("device_activated", 7*day+2*hour, nil), "onboarding"},
		{biz("device_offline", 20*day, map[string]any{"device_type": "room_sensor"}), "onboarding"},
		{biz("device_offline", 20*day+hour, thermostat), "onboarding"},
		{biz("device_offline", 20*day+2*hour, thermostat), "support"},
		{biz("viewed_pricing", 21*day, nil), "support"},
		{biz("viewed_pricing", 21*day+hour, nil), "support"},
		{biz("viewed_pricing", 21*day+2*hour, nil), "support"}, // an owner is not pulled back to consideration
		{biz("page_viewed", 22*day, nil), "support"},
		{biz("trial_ending", 34*day, nil), "renewal"},
		{intent("cancel_subscription", 35*day), "renewal"},
		{intent("troubleshooting", 40*day), "support"},
		{biz("subscription_renewal_due", 358*day, map[string]any{"plan": "yearly"}), "renewal"},
		{biz("order_placed", 360*day, nil), "purchase"},
	}
	var log []journeystate.Event
	var got, want []string
	for _, s := range steps {
		log = append(log, s.e)
		stage, _ := m.Derive(log)
		got = append(got, s.e.Type+" -> "+stage)
		want = append(want, s.e.Type+" -> "+s.wantStage)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stage after each event (-want +got):\n%s", diff)
	}
	for _, p := range m.Paths {
		for i := 1; i < len(p.Stages); i++ {
			if !m.CanMove(p.Stages[i-1], p.Stages[i]) {
				t.Errorf("path %q: CanMove(%q, %q) is false", p.Name, p.Stages[i-1], p.Stages[i])
			}
		}
	}
	if m.MaxWindow() != 7*day {
		t.Errorf("MaxWindow = %s, want 7d (the viewed_pricing rule)", m.MaxWindow())
	}
}
