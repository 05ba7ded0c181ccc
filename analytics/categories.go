package analytics

// Categories: journeys grouped by what customers wanted.

import (
	"cmp"
	"slices"
)

// CategoryBy says which of a case's intents names its category.
type CategoryBy int

// Ways to pick a case's intent.
const (
	// ByMostFrequentIntent picks the intent detected most often in the case, ties to the one detected first.
	ByMostFrequentIntent CategoryBy = iota
	// ByFirstIntent picks the first intent detected.
	ByFirstIntent
)

// CategoryOptions says how cases are grouped.
type CategoryOptions struct {
	By CategoryBy
	// Topics, when not nil, groups cases by the topic it gives their case id instead of by intent (a topic model's
	// or a tagger's); a case missing from it has no category.
	Topics map[string]string
}

// Category is a group of journeys.
type Category struct {
	// Name is the intent or topic; "" gathers the cases with none.
	Name     string
	Count    int
	Share    float64 // Count over all the traces given
	Examples []string
}

// Categories groups traces by intent (Trace.Intents) or by the topics given, most cases first, then by name.
func Categories(traces []Trace, opts CategoryOptions) []Category {
	at := map[string]int{}
	var out []Category
	counts := map[string]int{}
	for _, t := range traces {
		var name string
		switch {
		case opts.Topics != nil:
			name = opts.Topics[t.CaseID]
		case opts.By == ByFirstIntent:
			if len(t.Intents) > 0 {
				name = t.Intents[0]
			}
		default:
			name = mostFrequent(t.Intents, counts)
		}
		i, ok := at[name]
		if !ok {
			i = len(out)
			at[name] = i
			out = append(out, Category{Name: name})
		}
		out[i].Count++
		if len(out[i].Examples) < MaxExamples {
			out[i].Examples = append(out[i].Examples, t.CaseID)
		}
	}
	for i := range out {
		out[i].Share = share(out[i].Count, len(traces))
	}
	slices.SortFunc(out, func(x, y Category) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return out
}

// mostFrequent returns the most frequent of names, ties to the earliest; counts is scratch space.
func mostFrequent(names []string, counts map[string]int) string {
	if len(names) <= 1 {
		if len(names) == 1 {
			return names[0]
		}
		return ""
	}
	clear(counts)
	best, bestN := "", 0
	for _, n := range names {
		counts[n]++
	}
	for _, n := range names {
		if counts[n] > bestN {
			best, bestN = n, counts[n]
		}
	}
	return best
}
