package journeystate

// Checking a journey map before the server uses it.

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// maxEventNameLen bounds a business event name; Segment allows any text, so the bound is generous.
const maxEventNameLen = 200

// Validate reports every problem of the map at once (errors.Join), each naming the item it is about, e.g.
// `path "first_purchase": unknown stage "purchse"`. It refuses: empty names and names that are not lower_snake
// identifiers (stages, paths, goals, intents); duplicate names; an unknown stage in a path, a goal or an enter_on.from;
// a path of fewer than 2 stages or with one stage twice in a row; an unknown intent in a stage's enter_on; an event
// or intent that moves into two different stages; a rule with no event, a count below 1, a within of 0 or a
// condition on a field other than properties.<name>, channel and actor, or without exactly one test; a goal with
// neither or both of stage and event; an intent with no description; event names that are empty, too long, hold
// control characters or are the map's own event types. An empty map is valid: journeys are off.
func (m JourneyMap) Validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	stages := names(m.Stages, func(s Stage) string { return s.Name }, "stage", fail)
	intents := names(m.Intents, func(in Intent) string { return in.Name }, "intent", fail)
	names(m.Paths, func(p Path) string { return p.Name }, "path", fail)
	names(m.Goals, func(g Goal) string { return g.Name }, "goal", fail)

	for i, in := range m.Intents {
		what := label("intent", i, in.Name)
		if strings.TrimSpace(in.Description) == "" {
			fail("%s: description is empty: the model needs it to recognise the intent", what)
		}
		for j, p := range in.Phrases {
			if strings.TrimSpace(p) == "" {
				fail("%s: phrase %d is empty", what, j+1)
			}
		}
	}

	eventStage := map[string]string{}  // business event -> the stage it moves into
	intentStage := map[string]string{} // intent -> the stage it moves into
	for i, s := range m.Stages {
		what := label("stage", i, s.Name)
		for _, ev := range s.EnterOn.Events {
			if err := checkEventName(ev); err != nil {
				fail("%s: enter_on.events: %w", what, err)
				continue
			}
			if other, ok := eventStage[ev]; ok && other != s.Name {
				fail("%s: enter_on.events: event %q moves into stage %q already", what, ev, other)
				continue
			}
			eventStage[ev] = s.Name
		}
		for _, in := range s.EnterOn.Intents {
			if !intents[in] {
				fail("%s: enter_on.intents: unknown intent %q", what, in)
				continue
			}
			if other, ok := intentStage[in]; ok && other != s.Name {
				fail("%s: enter_on.intents: intent %q moves into stage %q already", what, in, other)
				continue
			}
			intentStage[in] = s.Name
		}
		for j, r := range s.EnterOn.Rules {
			for _, err := range checkRule(r) {
				fail("%s: enter_on.rules: %s: %w", what, label("rule", j, r.Event), err)
			}
		}
		for _, from := range s.EnterOn.From {
			if from != "" && !stages[from] {
				fail("%s: enter_on.from: unknown stage %q", what, from)
			}
		}
	}

	for i, p := range m.Paths {
		what := label("path", i, p.Name)
		if len(p.Stages) < 2 {
			fail("%s: has %d stages, a path needs at least 2", what, len(p.Stages))
		}
		for j, st := range p.Stages {
			switch {
			case !stages[st]:
				fail("%s: unknown stage %q", what, st)
			case j > 0 && p.Stages[j-1] == st:
				fail("%s: stage %q twice in a row", what, st)
			}
		}
	}

	for i, g := range m.Goals {
		what := label("goal", i, g.Name)
		switch {
		case g.Stage == "" && g.Event == "":
			fail("%s: set stage or event", what)
		case g.Stage != "" && g.Event != "":
			fail("%s: set stage or event, not both", what)
		case g.Stage != "" && !stages[g.Stage]:
			fail("%s: unknown stage %q", what, g.Stage)
		case g.Event != "":
			if err := checkEventName(g.Event); err != nil {
				fail("%s: %w", what, err)
			}
		}
	}
	return errors.Join(errs...)
}

// names checks the items' names (present, lower_snake, unique) and returns the set of the valid ones.
func names[T any](items []T, name func(T) string, kind string, fail func(string, ...any)) map[string]bool {
	seen := map[string]bool{}
	for i, item := range items {
		n := name(item)
		switch {
		case n == "":
			fail("%s %d: name is empty", kind, i+1)
		case !lowerSnake(n):
			fail("%s %q: name must be a lower_snake identifier (a-z, 0-9 and _, starting with a letter)", kind, n)
		case seen[n]:
			fail("%s %q: name used twice", kind, n)
		default:
			seen[n] = true
		}
	}
	return seen
}

// label names the i-th item of a kind: by its name when it has one, by its position otherwise.
func label(kind string, i int, name string) string {
	if name == "" {
		return fmt.Sprintf("%s %d", kind, i+1)
	}
	return fmt.Sprintf("%s %q", kind, name)
}

// checkEventName refuses names no business event can have: empty, too long, with control characters, journeybot's
// own types, and names not in the lower_snake form the events API stores them in (see NormalizeEventName), which
// would never match.
func checkEventName(ev string) error {
	switch {
	case strings.TrimSpace(ev) == "":
		return errors.New("event name is empty")
	case len(ev) > maxEventNameLen:
		return fmt.Errorf("event name %.20q... is longer than %d bytes", ev, maxEventNameLen)
	case strings.ContainsFunc(ev, unicode.IsControl):
		return fmt.Errorf("event name %q holds a control character", ev)
	case ev == EventStageChanged || ev == EventIntentDetected:
		return fmt.Errorf("event %q is journeybot's own, not a business event", ev)
	case NormalizeEventName(ev) != ev:
		return fmt.Errorf("event %q never matches: the events API stores it as %q, so write that", ev, NormalizeEventName(ev))
	}
	return nil
}

// checkRule returns the rule's problems.
func checkRule(r Rule) []error {
	var errs []error
	if r.Event == "" {
		errs = append(errs, errors.New("event is empty"))
	} else if err := checkEventName(r.Event); err != nil {
		errs = append(errs, err)
	}
	if r.Count < 1 {
		errs = append(errs, fmt.Errorf("count is %d, must be at least 1", r.Count))
	}
	if r.Within <= 0 {
		errs = append(errs, fmt.Errorf("within is %s, must be more than 0 (e.g. \"7d\")", r.Within))
	}
	for i, c := range r.Where {
		what := fmt.Sprintf("where %d", i+1)
		if c.Field != "" {
			what = fmt.Sprintf("where %q", c.Field)
		}
		if !knownField(c.Field) {
			errs = append(errs, fmt.Errorf("%s: unknown field %q: want properties.<name>, channel or actor", what, c.Field))
		}
		tests := 0
		for _, set := range []bool{c.Equals != nil, c.NotEquals != nil, c.Exists != nil} {
			if set {
				tests++
			}
		}
		if tests != 1 {
			errs = append(errs, fmt.Errorf("%s: set exactly one of equals, not_equals and exists", what))
		}
	}
	return errs
}

// knownField reports whether a condition can test field.
func knownField(field string) bool {
	name, ok := strings.CutPrefix(field, "properties.")
	return field == "channel" || field == "actor" || ok && name != ""
}
