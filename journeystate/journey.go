package journeystate

// The journey map: the customer journey a company designed, as config.yaml's journey section describes it. Checks
// are in journey_check.go, stage derivation from the journey log in journey_derive.go.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Event types the journey map reads besides business events.
const (
	// EventStageChanged is recorded by Store.SetStage; its payload is {"from": "...", "to": "..."}.
	EventStageChanged = "stage_changed"
	// EventIntentDetected records an intent the model (or the offline responder) found in what the customer said;
	// its payload is {"intent": "..."} and may hold more keys, which the map ignores.
	EventIntentDetected = "intent_detected"
)

// JourneyMap is the designed journey: the stages a customer goes through, what moves a customer into each, the
// paths the company wants customers to take and the goals it counts. The zero JourneyMap (no stages) is valid and
// means journeys are off: nothing moves anyone and CanMove allows nothing.
//
// A JourneyMap is a value read from config and never changed afterwards: its methods are safe for concurrent use as
// long as nobody modifies it. Call Validate before using it; the other methods assume a valid map.
type JourneyMap struct {
	Stages []Stage `yaml:"stages"`
	// Paths are the journeys the company designed, each an ordered list of stages. The model may move a customer
	// only along them (CanMove).
	Paths []Path `yaml:"paths"`
	Goals []Goal `yaml:"goals"`
	// Intents are what the model is asked to recognise in a customer's words; a stage's enter_on.intents names them.
	Intents []Intent `yaml:"intents"`
}

// Stage is one step of the journey.
type Stage struct {
	// Name is a lower_snake identifier, e.g. "onboarding"; knowledge pages name it in their front matter.
	Name string `yaml:"name"`
	// Description says where the customer is, for the model and for people reading the dashboard.
	Description string `yaml:"description"`
	// Guidance says what the bot should do for a customer in this stage; it goes into the system prompt.
	Guidance string `yaml:"guidance"`
	// Greeting is the offline responder's first line to a customer in this stage.
	Greeting string  `yaml:"greeting"`
	EnterOn  EnterOn `yaml:"enter_on"`
}

// EnterOn is what moves a customer into a stage: any one of its events, intents or rules.
type EnterOn struct {
	// Events are business event names (as the company's systems send them, e.g. "order_placed"): one such event
	// moves the customer into the stage. An event name moves into one stage at most.
	Events []string `yaml:"events"`
	// Intents are names from JourneyMap.Intents: an "intent_detected" event for one of them moves the customer into
	// the stage. An intent moves into one stage at most.
	Intents []string `yaml:"intents"`
	// Rules move the customer into the stage when an event happened often enough (see Rule).
	Rules []Rule `yaml:"rules"`
	// From, when not empty, limits all of the above to customers currently in one of these stages; "" stands for a
	// customer with no stage yet. It keeps, say, a page view from pulling a long-time owner back to awareness.
	// Empty means from any stage.
	From []string `yaml:"from"`
}

// Rule moves a customer into its stage when Event has happened Count times within Within, counting the event being
// looked at (which must itself match) and the ones before it, and only events whose fields match every condition
// in Where.
type Rule struct {
	Event  string      `yaml:"event"`
	Count  int         `yaml:"count"`
	Within Duration    `yaml:"within"`
	Where  []Condition `yaml:"where"`
}

// Condition tests one field of an event. Field is "properties.<name>" (the business event's property <name>, at
// the top level of its properties object; the rest of the field is the name, dots included), "channel" or "actor".
// Exactly one of Equals, NotEquals and Exists is set.
//
// Values compare as text: a string property by its value, a number by its numeric value when the wanted value is a
// number too ("49" equals 49 and 49.0), true, false and objects by their JSON text. A null property counts as absent.
type Condition struct {
	Field string `yaml:"field"`
	// Equals matches a field present with this value.
	Equals *string `yaml:"equals"`
	// NotEquals matches a field that is absent or has another value.
	NotEquals *string `yaml:"not_equals"`
	// Exists true matches a field that is present; false one that is absent.
	Exists *bool `yaml:"exists"`
}

// Path is a journey the company designed: stages in the order it wants customers to go through them.
type Path struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Stages      []string `yaml:"stages"`
}

// Goal is an outcome the company counts: reaching a stage, or a business event happening. Exactly one of Stage and
// Event is set.
type Goal struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Stage       string `yaml:"stage"`
	Event       string `yaml:"event"`
}

// Intent is something a customer may want that the model is asked to recognise.
type Intent struct {
	Name string `yaml:"name"`
	// Description tells the model when the intent applies.
	Description string `yaml:"description"`
	// Phrases are optional examples of the customer's words; the offline responder matches them without a model.
	Phrases []string `yaml:"phrases"`
}

// Stage returns the stage named name, and whether there is one.
func (m JourneyMap) Stage(name string) (Stage, bool) {
	for _, s := range m.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return Stage{}, false
}

// StageNames returns the stages' names in map order.
func (m JourneyMap) StageNames() []string {
	out := make([]string, len(m.Stages))
	for i, s := range m.Stages {
		out[i] = s.Name
	}
	return out
}

// IntentNames returns the intents' names in map order.
func (m JourneyMap) IntentNames() []string {
	out := make([]string, len(m.Intents))
	for i, in := range m.Intents {
		out[i] = in.Name
	}
	return out
}

// CanMove reports whether a customer in stage from may be moved to stage to "along the map", the only moves the
// model may make: to must be a stage of the map, and either to is from, or to directly follows from in some path,
// or from is "" (no stage yet) and some path starts with to. Moves by the map's own triggers (Next) are not limited
// by it.
func (m JourneyMap) CanMove(from, to string) bool {
	if _, ok := m.Stage(to); !ok {
		return false
	}
	if from == to {
		return true
	}
	for _, p := range m.Paths {
		if len(p.Stages) == 0 {
			continue
		}
		if from == "" && p.Stages[0] == to {
			return true
		}
		for i := 1; i < len(p.Stages); i++ {
			if p.Stages[i-1] == from && p.Stages[i] == to {
				return true
			}
		}
	}
	return false
}

// MaxWindow returns the longest Within of the map's rules, 0 when there are none: the stretch of history before
// an event that Next needs to see.
func (m JourneyMap) MaxWindow() time.Duration {
	var longest time.Duration
	for _, s := range m.Stages {
		for _, r := range s.EnterOn.Rules {
			longest = max(longest, time.Duration(r.Within))
		}
	}
	return longest
}

// Duration is a length of time in config: a Go duration ("90m", "168h", "1h30m") or a whole number of days with a
// "d" suffix, optionally followed by a Go duration ("7d", "1d12h"). Negative durations are refused. It decodes from
// YAML, JSON or any text format through UnmarshalText.
type Duration time.Duration

const day = 24 * time.Hour

// ParseDuration parses s as a Duration (see Duration for the forms), refusing an empty string, a negative
// duration, an unknown unit and a duration too long to represent (about 290 years).
func ParseDuration(s string) (Duration, error) {
	const want = `want a Go duration like "168h" or days like "7d"`
	switch {
	case s == "":
		return 0, fmt.Errorf("empty duration: %s", want)
	case s[0] == '-':
		return 0, fmt.Errorf("bad duration %q: must not be negative", s)
	}
	rest := s
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		if i == 0 || strings.ContainsFunc(s[:i], func(r rune) bool { return r < '0' || r > '9' }) {
			return 0, fmt.Errorf("bad duration %q: want a whole number of days before \"d\", like \"7d\"", s)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/day) {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		days, rest = time.Duration(n)*day, s[i+1:]
		if rest == "" {
			return Duration(days), nil
		}
		if rest[0] < '0' || rest[0] > '9' {
			return 0, fmt.Errorf("bad duration %q: want days then a Go duration, like \"1d12h\"", s)
		}
	}
	d, err := time.ParseDuration(rest)
	switch {
	case err != nil:
		return 0, fmt.Errorf("bad duration %q: %s", s, want)
	case d < 0:
		return 0, fmt.Errorf("bad duration %q: must not be negative", s)
	case d > math.MaxInt64-days:
		return 0, fmt.Errorf("bad duration %q: too long", s)
	}
	return Duration(days + d), nil
}

// UnmarshalText parses text with ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText returns String's form, which ParseDuration reads back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String returns the duration in whole days when it is a whole number of days ("7d"), otherwise as days and a Go
// duration without zero units ("1d12h", "90m" as "1h30m", "0s").
func (d Duration) String() string {
	v := time.Duration(d)
	if v < 0 {
		return v.String() // never parsed; shown as Go does
	}
	days, rest := v/day, v%day
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if rest > 0 || days == 0 {
		s := rest.String()
		// "2h0m0s" -> "2h", "1h30m0s" -> "1h30m"; "0s" and sub-second values stay as they are.
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		b.WriteString(s)
	}
	return b.String()
}

// lowerSnake reports whether s is a lower_snake identifier: a lower-case letter, then lower-case letters, digits and
// single underscores, not ending with one.
func lowerSnake(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	return !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')
	})
}

// NormalizeEventName returns the form business event names are stored and matched in: lower_snake, words split at
// spaces, punctuation and camelCase humps ("Order Completed", "orderCompleted" and "order-completed" are all
// "order_completed"); "" when name has no letter or digit.
func NormalizeEventName(name string) string {
	runes := []rune(name)
	var b strings.Builder
	sep := false
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			sep = true
			continue
		}
		if unicode.IsUpper(r) && i > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower {
				sep = true
			}
		}
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
