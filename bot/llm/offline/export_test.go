package offline

// NewUncached returns a Responder like New's that keeps no analyses: every question takes the passages it finds
// apart again, as the Responder did before it had a cache.
func NewUncached(search Searcher, opts Options) *Responder {
	r := New(search, opts)
	r.analyses = newAnalyses(0)
	return r
}

// CachedPassages returns how many passage analyses r holds.
func (r *Responder) CachedPassages() int { return r.analyses.len() }
