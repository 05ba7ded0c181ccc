package analytics

// The event log: journeystate events turned into cases (traces) of activities.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/journeybot/journeybot/journeystate"
)

// Kind says what a Step records.
type Kind string

// Step kinds.
const (
	KindStage   Kind = "stage"   // the customer entered the stage named by the activity
	KindEvent   Kind = "event"   // a business event, named by the activity ("order_placed")
	KindHandoff Kind = "handoff" // a conversation was handed to people; the activity is "handoff"
)

// HandoffActivity is the activity name of a KindHandoff step.
const HandoffActivity = "handoff"

// EventHandoff is the event type of a hand-off in the journey log (bot.EventHandoff; its payload is a
// journeystate.Handoff).
const EventHandoff = "handoff"

// Step is one activity of a case.
type Step struct {
	Activity       string
	Kind           Kind
	Time           time.Time
	Channel        string // where it happened; "" for events outside any channel
	ConversationID string // "" for events outside a conversation
	Seq            int64  // the event's position in the whole journey log
}

// Trace is one customer's journey: their steps in order of time, then of Seq.
type Trace struct {
	CaseID string // the customer id
	Steps  []Step
	// Intents are the intents detected in the customer's words ("intent_detected" events), oldest first. They are
	// not steps: Categories groups journeys by them.
	Intents []string
	// Handoffs counts the customer's hand-offs, whether or not LogOptions.Handoffs made them steps.
	Handoffs int
}

// Start returns the time of the first step, zero when there is none.
func (t Trace) Start() time.Time {
	if len(t.Steps) == 0 {
		return time.Time{}
	}
	return t.Steps[0].Time
}

// Duration returns the time from the first step to the last, 0 for fewer than two steps.
func (t Trace) Duration() time.Duration {
	if len(t.Steps) < 2 {
		return 0
	}
	return t.Steps[len(t.Steps)-1].Time.Sub(t.Steps[0].Time)
}

// LogOptions says which events become activities.
type LogOptions struct {
	// Events lists the business events that become KindEvent steps. nil means every event that is not one of
	// journeybot's own bookkeeping events (messages, bot turns, tool calls, owner changes, customer updates, merges,
	// claims, summaries, model errors); an empty, non-nil slice means none, for a log of stages only. Stage changes,
	// intents and hand-offs are read whatever Events says.
	Events []string
	// Handoffs makes every hand-off a KindHandoff step named HandoffActivity.
	Handoffs bool
}

// bookkeeping are journeybot's own event types, which are not business events (bot's internalEvents, plus the
// types the builder reads for themselves). Never written.
var bookkeeping = map[string]bool{
	"bot_turn": true, "tool_call": true, "model_error": true, "conversation_opened": true, "owner_changed": true,
	"customer_updated": true, "summary_updated": true, "identity_claimed": true, "customers_merged": true,
	"customers_unmerged": true, "merge_refused": true, "identity_detached": true, "message": true,
	journeystate.EventStageChanged: true, journeystate.EventIntentDetected: true, EventHandoff: true,
}

// FromEvents builds the log of events in any order: one trace per customer with at least one step, intent or
// hand-off, sorted by CaseID. It is LogBuilder's Add for every event, then Traces.
func FromEvents(events []journeystate.Event, opts LogOptions) []Trace {
	b := NewLogBuilder(opts)
	b.steps, b.owner = make([]Step, 0, len(events)), make([]int32, 0, len(events))
	for i := range events {
		b.Add(events[i])
	}
	return b.Traces()
}

// eventRole is what the builder does with an event type.
type eventRole uint8

const (
	roleSkip eventRole = iota
	roleBusiness
	roleStage
	roleIntent
	roleHandoff
)

// LogBuilder builds the log one event at a time, in any order, keeping only steps (never the events), so that a
// large log can be streamed from the store. A LogBuilder is not safe for concurrent use.
type LogBuilder struct {
	opts    LogOptions
	allowed map[string]bool // opts.Events as a set; nil means every non-bookkeeping event
	roles   map[string]eventRole
	strs    map[string]string // interned activity, channel and intent names
	index   map[string]int
	cases   []Trace
	// steps holds every case's steps in the order added, owner[i] the index in cases of steps[i]'s case: one growing
	// slice instead of one per customer, sorted out into the cases by Traces.
	steps   []Step
	owner   []int32
	lastID  string
	lastIdx int
}

// NewLogBuilder returns an empty builder.
func NewLogBuilder(opts LogOptions) *LogBuilder {
	b := &LogBuilder{opts: opts, lastIdx: -1}
	if opts.Events != nil {
		b.allowed = make(map[string]bool, len(opts.Events))
		for _, e := range opts.Events {
			b.allowed[e] = true
		}
	}
	b.reset()
	return b
}

func (b *LogBuilder) reset() {
	b.roles = map[string]eventRole{}
	b.strs = map[string]string{}
	b.index = map[string]int{}
	b.cases, b.steps, b.owner = nil, nil, nil
	b.lastID, b.lastIdx = "", -1
}

// Add takes one event into the log. Events without a customer, stage changes without a "to" stage, intents
// without a name and events the options leave out are ignored.
func (b *LogBuilder) Add(ev journeystate.Event) {
	if ev.CustomerID == "" {
		return
	}
	role, ok := b.roles[ev.Type]
	if !ok {
		role = b.role(ev.Type)
		b.roles[b.intern(ev.Type)] = role
	}
	var step Step
	switch role {
	case roleSkip:
		return
	case roleBusiness:
		step = Step{Activity: b.intern(ev.Type), Kind: KindEvent}
	case roleStage:
		to := stageTo(ev.Payload) // a piece of the payload: internBytes copies it only the first time
		if len(to) == 0 {
			return
		}
		step = Step{Activity: b.internBytes(to), Kind: KindStage}
	case roleIntent:
		name := intentOf(ev.Payload)
		if len(name) == 0 {
			return
		}
		c := b.caseOf(ev.CustomerID)
		c.Intents = append(c.Intents, b.internBytes(name))
		return
	case roleHandoff:
		c := b.caseOf(ev.CustomerID)
		c.Handoffs++
		if !b.opts.Handoffs {
			return
		}
		step = Step{Activity: HandoffActivity, Kind: KindHandoff}
	}
	step.Time, step.Seq, step.ConversationID = ev.Time, ev.Seq, ev.ConversationID
	step.Channel = b.intern(ev.Channel)
	b.caseOf(ev.CustomerID)
	b.steps = append(b.steps, step)
	b.owner = append(b.owner, int32(b.lastIdx))
}

func (b *LogBuilder) role(typ string) eventRole {
	switch typ {
	case journeystate.EventStageChanged:
		return roleStage
	case journeystate.EventIntentDetected:
		return roleIntent
	case EventHandoff:
		return roleHandoff
	}
	if b.allowed != nil {
		if b.allowed[typ] {
			return roleBusiness
		}
		return roleSkip
	}
	if bookkeeping[typ] || typ == "" {
		return roleSkip
	}
	return roleBusiness
}

// intern returns the builder's copy of s, so that a million steps share a few strings and keep no event's memory
// alive.
func (b *LogBuilder) intern(s string) string {
	if v, ok := b.strs[s]; ok {
		return v
	}
	b.strs[s] = s
	return s
}

// internBytes is intern for a name read from a payload; it allocates only for a name it has not seen.
func (b *LogBuilder) internBytes(name []byte) string {
	if v, ok := b.strs[string(name)]; ok { // the compiler does not copy name for the lookup
		return v
	}
	s := string(name)
	b.strs[s] = s
	return s
}

func (b *LogBuilder) caseOf(id string) *Trace {
	// Events often come customer by customer: skip the map for a run of one customer's events.
	if b.lastIdx >= 0 && id == b.lastID {
		return &b.cases[b.lastIdx]
	}
	i, ok := b.index[id]
	if !ok {
		i = len(b.cases)
		b.index[id] = i
		b.cases = append(b.cases, Trace{CaseID: id})
	}
	b.lastID, b.lastIdx = id, i
	return &b.cases[i]
}

// Traces returns the log built so far, one trace per customer sorted by CaseID, each trace's steps in order of
// Time then Seq (events equal in both keep the order they were added in). The builder hands the traces over and
// starts again empty.
func (b *LogBuilder) Traces() []Trace {
	out, steps, owner := b.cases, b.steps, b.owner
	b.reset()
	// A counting sort by case into one array; each case's steps keep the order they were added in.
	offset := make([]int, len(out)+1)
	for _, o := range owner {
		offset[o+1]++
	}
	for i := 1; i < len(offset); i++ {
		offset[i] += offset[i-1]
	}
	all := make([]Step, len(steps))
	next := slices.Clone(offset[:len(out)])
	for i, o := range owner {
		all[next[o]] = steps[i]
		next[o]++
	}
	steps, owner = nil, nil
	for i := range out {
		// The capacity stops at the case's own steps, so that appending to one trace never overwrites the next.
		s := all[offset[i]:offset[i+1]:offset[i+1]]
		if len(s) == 0 {
			s = nil
		}
		if !slices.IsSortedFunc(s, compareSteps) {
			slices.SortStableFunc(s, compareSteps)
		}
		out[i].Steps = s
	}
	slices.SortFunc(out, func(x, y Trace) int { return cmp.Compare(x.CaseID, y.CaseID) })
	return out
}

func compareSteps(x, y Step) int {
	if c := x.Time.Compare(y.Time); c != 0 {
		return c
	}
	return cmp.Compare(x.Seq, y.Seq)
}

// stageTo returns the "to" of a stage_changed payload, nil when it has none. The payload the store writes,
// {"from":"...","to":"..."} without escapes, is read without encoding/json (decoding it took a third of the time
// of building a million-event log); any other form goes through encoding/json.
func stageTo(payload json.RawMessage) []byte {
	if _, rest, ok := plainString(payload, `{"from":"`); ok {
		if to, rest, ok := plainString(rest, `,"to":"`); ok && string(rest) == "}" {
			return to
		}
	}
	var p journeystate.StageChangedPayload
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	return []byte(p.To)
}

// intentOf returns the "intent" of an intent_detected payload, nil when it has none; {"intent":"..."} and
// {"intent":"...","confidence":NUMBER} without escapes are read without encoding/json, any other form with it.
func intentOf(payload json.RawMessage) []byte {
	const conf = `,"confidence":`
	if name, rest, ok := plainString(payload, `{"intent":"`); ok {
		if string(rest) == "}" {
			return name
		}
		if n, ok := bytes.CutPrefix(rest, []byte(conf)); ok && bytes.HasSuffix(n, []byte("}")) {
			if _, err := strconv.ParseFloat(string(n[:len(n)-1]), 64); err == nil {
				return name
			}
		}
	}
	var p journeystate.IntentPayload
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	return []byte(p.Intent)
}

// plainString reads prefix, which ends with an opening quote, then a JSON string without escapes and its closing
// quote; it returns the string's bytes (pointing into b), what follows, and ok.
func plainString(b []byte, prefix string) (s, rest []byte, ok bool) {
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return nil, nil, false
	}
	b = b[len(prefix):]
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return nil, nil, false
	}
	for _, c := range b[:end] {
		if c < 0x20 || c == '\\' {
			return nil, nil, false // an escape, or not valid JSON: encoding/json decides
		}
	}
	if !utf8.Valid(b[:end]) {
		return nil, nil, false // encoding/json replaces invalid UTF-8 with U+FFFD
	}
	return b[:end], b[end+1:], true
}
