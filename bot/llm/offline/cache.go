package offline

import (
	"sync"

	"github.com/journeybot/journeybot/journeystate"
)

// cachedPassages bounds the analyses a Responder keeps: far more passages than a help centre's knowledge base has.
// An analysis holds about 12 bytes per byte of passage text (4 KB for the shipped knowledge base's ~320-byte
// passages; see BenchmarkAnalyse for an upper bound), so a full cache of the knowledge loader's passages of at most
// about 700 characters stays under about 40 MB.
const cachedPassages = 4096

// analyses remembers the analysis of each passage it is asked about, so that a passage is taken apart once and not
// on every question that finds it. An analysis depends on the passage's title, heading and text alone, and those are
// the key: a re-indexed knowledge base brings new keys, and the old ones age out.
//
// When full it forgets the oldest entry (first in, first out) rather than everything: a knowledge base larger than
// the bound keeps most of its analyses instead of starting cold all at once, and stale passages of an earlier index
// leave first. Least-recently-used would keep a hot passage longer, but would make every hit a write under the
// lock; here a hit only reads. It is safe for concurrent use.
type analyses struct {
	limit int // at most this many entries; 0 keeps none

	mu    sync.RWMutex
	byKey map[passageKey]*analysis
	order []passageKey // the keys in order of arrival, a ring once full: order[next] is the oldest
	next  int
}

// passageKey is what an analysis is made from.
type passageKey struct {
	title, heading, text string
}

// newAnalyses returns a cache of at most limit analyses; with limit 0 it keeps none.
func newAnalyses(limit int) *analyses {
	return &analyses{limit: limit, byKey: make(map[passageKey]*analysis)}
}

// get returns the analysis of p, from the cache or made now and remembered.
func (c *analyses) get(p journeystate.Passage) *analysis {
	k := passageKey{title: p.Title, heading: p.Heading, text: p.Text}
	c.mu.RLock()
	a, ok := c.byKey[k]
	c.mu.RUnlock()
	if ok {
		return a
	}
	a = analyse(p) // outside the lock: two goroutines may both make it, and both results are the same
	if c.limit <= 0 {
		return a
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[k]; ok {
		return a
	}
	if len(c.order) < c.limit {
		c.order = append(c.order, k)
	} else {
		delete(c.byKey, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.limit
	}
	c.byKey[k] = a
	return a
}

// len returns how many analyses c holds.
func (c *analyses) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byKey)
}
