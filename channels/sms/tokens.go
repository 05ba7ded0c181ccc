package sms

import "sync"

// tokenSet remembers the last n I-Twilio-Idempotency-Token values of webhooks handled, so that a retry is answered
// without touching the engine. It is only a shortcut, local to one server: MessageSid and the event keys are what
// make retries harmless across replicas and restarts.
type tokenSet struct {
	mu    sync.Mutex
	seen  map[string]struct{}
	order []string // ring of the tokens in seen, oldest at next
	next  int
}

func newTokenSet(n int) *tokenSet {
	return &tokenSet{seen: make(map[string]struct{}, n), order: make([]string, n)}
}

// has reports whether token was added.
func (s *tokenSet) has(token string) bool {
	if token == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.seen[token]
	return ok
}

// add remembers token, forgetting the oldest one when full.
func (s *tokenSet) add(token string) {
	if token == "" || len(token) > 200 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[token]; ok {
		return
	}
	if old := s.order[s.next]; old != "" {
		delete(s.seen, old)
	}
	s.order[s.next] = token
	s.seen[token] = struct{}{}
	s.next = (s.next + 1) % len(s.order)
}
