// Package analytics mines the journey log: it discovers the journeys customers really take, compares them with the
// journeys the company designed (the journey map's paths), finds frequent journeys nobody designed, and groups
// journeys by what customers wanted.
//
// It implements the process-mining algorithms of the literature, as W. M. P. van der Aalst describes them in
// Process Mining: Data Science in Action (2nd ed., Springer, 2016): an event log as a multiset of traces and its
// variants; the directly-follows relation and the directly-follows graph (DFG) with frequencies and times; and
// conformance checking by comparing footprints (the directly-follows pairs a model allows) and by a token-replay
// style fitness (the share of a trace's moves the model can replay). It is written from those descriptions; no code
// was taken from PM4Py or any other GPL implementation.
//
// The package is pure: it reads no store, no clock, no file and no network. Callers hand it journeystate.Event
// values (FromEvents, or a LogBuilder fed one event at a time) or Traces they built themselves, and get plain values
// back. The one hook that may do I/O, a Namer that names unknown journeys with a model, is the caller's. Every
// function is safe for concurrent use on inputs nobody modifies, and none changes its inputs (but NameJourneys,
// which sets the names); results may share strings and slices with the inputs.
//
// One case is one customer (Trace.CaseID is the customer id); one activity is a journey stage entered, a business
// event, or a hand-off. Activity names share one namespace: a stage and a business event of the same name are one
// activity in the graph and the variants (conformance reads only the stages, by their kind).
package analytics

// Start and End are the artificial activities the directly-follows graph puts before the first and after the last
// step of every case. The brackets keep them apart from stage and event names, which are lower_snake.
const (
	Start = "[start]"
	End   = "[end]"
)

// MaxExamples is how many example case ids a variant, unknown journey or category carries.
const MaxExamples = 3

// alphabet interns activity names to dense ids, so that the inner loops count in slices instead of maps.
type alphabet struct {
	ids   map[string]int32
	names []string
}

func newAlphabet() *alphabet { return &alphabet{ids: make(map[string]int32, 32)} }

func (a *alphabet) id(name string) int32 {
	if id, ok := a.ids[name]; ok {
		return id
	}
	id := int32(len(a.names))
	a.ids[name] = id
	a.names = append(a.names, name)
	return id
}

// share returns n/total, 0 when total is 0.
func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}
