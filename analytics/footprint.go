package analytics

// The footprint of the journey map: the directly-follows pairs its desired paths allow (van der Aalst 2016,
// conformance checking by comparing footprints).

import "github.com/journeybot/journeybot/journeystate"

// footprint is the journey map's allowed moves, over dense stage ids: 0..k-1 are the map's stages (its Stages,
// then any stage a path names that Stages lacks), in map order. noStage (-1) is a customer with no stage yet.
type footprint struct {
	names     []string
	ids       map[string]int32
	allowed   []bool // k×k: allowed[from*k+to]
	starts    []bool // a path starts with the stage
	terminal  []bool // a path ends with the stage
	paths     [][]int32
	pathNames []string
}

const noStage int32 = -1

func newFootprint(m journeystate.JourneyMap) *footprint {
	f := &footprint{ids: map[string]int32{}}
	add := func(name string) int32 {
		if id, ok := f.ids[name]; ok {
			return id
		}
		id := int32(len(f.names))
		f.ids[name] = id
		f.names = append(f.names, name)
		return id
	}
	for _, s := range m.Stages {
		add(s.Name)
	}
	for _, p := range m.Paths {
		ids := make([]int32, len(p.Stages))
		for i, s := range p.Stages {
			ids[i] = add(s)
		}
		f.paths = append(f.paths, ids)
		f.pathNames = append(f.pathNames, p.Name)
	}
	k := len(f.names)
	f.allowed, f.starts, f.terminal = make([]bool, k*k), make([]bool, k), make([]bool, k)
	for _, p := range f.paths {
		if len(p) == 0 {
			continue
		}
		f.starts[p[0]], f.terminal[p[len(p)-1]] = true, true
		for i := 1; i < len(p); i++ {
			f.allowed[int(p[i-1])*k+int(p[i])] = true
		}
	}
	return f
}

// allows reports whether the map allows the move from → to: to directly follows from in some path, or from is
// noStage and some path starts with to. Ids at or past len(names) are stages the map does not know: never allowed.
func (f *footprint) allows(from, to int32) bool {
	k := int32(len(f.names))
	switch {
	case to < 0 || to >= k || from >= k:
		return false
	case from == noStage:
		return f.starts[to]
	}
	return f.allowed[from*k+to]
}

func (f *footprint) id(name string) int32 {
	if name == "" {
		return noStage
	}
	if id, ok := f.ids[name]; ok {
		return id
	}
	return int32(len(f.names)) // unknown
}

func (f *footprint) allowsNames(from, to string) bool { return f.allows(f.id(from), f.id(to)) }

// between returns the stages the map passes through on its shortest way from → to (breadth first over the
// allowed moves, ties to the stage first in map order), nil when to follows from directly, or when no way leads
// there (ok false).
func (f *footprint) between(from, to int32) (stages []string, ok bool) {
	k := int32(len(f.names))
	if to < 0 || to >= k || from >= k {
		return nil, false
	}
	const unseen = -2
	prev := make([]int32, k)
	for i := range prev {
		prev[i] = unseen
	}
	var queue []int32
	for s := range k {
		if f.allows(from, s) {
			prev[s] = from
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 && prev[to] == unseen {
		cur := queue[0]
		queue = queue[1:]
		for s := range k {
			if prev[s] == unseen && f.allows(cur, s) {
				prev[s] = cur
				queue = append(queue, s)
			}
		}
	}
	if prev[to] == unseen {
		return nil, false
	}
	for s := prev[to]; s != from; s = prev[s] {
		stages = append([]string{f.names[s]}, stages...)
	}
	return stages, true
}

// nearest returns the index of the desired path closest to the stage sequence ids: the one with the longest
// common subsequence, ties to the first in map order; -1 when the map has no paths.
func (f *footprint) nearest(ids []int32) int {
	best, bestLen := -1, -1
	row := []int{}
	for pi, p := range f.paths {
		if n := lcs(ids, p, &row); n > bestLen {
			best, bestLen = pi, n
		}
	}
	return best
}

// lcs returns the length of the longest common subsequence of a and b, in O(len(b)) memory.
func lcs(a, b []int32, row *[]int) int {
	r := (*row)[:0]
	for range len(b) + 1 {
		r = append(r, 0)
	}
	*row = r
	for _, x := range a {
		diag := 0 // r[j-1] of the previous row
		for j := 1; j <= len(b); j++ {
			up := r[j]
			if x == b[j-1] {
				r[j] = diag + 1
			} else if r[j-1] > r[j] {
				r[j] = r[j-1]
			}
			diag = up
		}
	}
	return r[len(b)]
}
