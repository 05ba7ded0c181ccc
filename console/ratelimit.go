package console

import (
	"sync"
	"time"
)

// maxLimiterKeys bounds the limiter's memory. When it is full of live windows, the oldest window is dropped: an
// attacker who floods it with keys can free their own key sooner, but every one of those attempts costs them a
// request and the server a password hash, and the map never grows without bound.
const maxLimiterKeys = 10000

// limiter counts attempts per key in fixed windows: at most max attempts per window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	cap    int
	keys   map[string]*attempts
}

type attempts struct {
	n     int
	start time.Time
}

func newLimiter(max int, window time.Duration, capacity int) *limiter {
	return &limiter{max: max, window: window, cap: capacity, keys: make(map[string]*attempts)}
}

// allow counts one attempt for key at now and reports whether it is within the limit; when it is not, retry says
// when the window ends.
func (l *limiter) allow(key string, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.keys[key]
	if a == nil || now.Sub(a.start) >= l.window || now.Before(a.start) {
		if a == nil && len(l.keys) >= l.cap {
			l.evict(now)
		}
		a = &attempts{start: now}
		l.keys[key] = a
	}
	if a.n >= l.max {
		return false, a.start.Add(l.window).Sub(now)
	}
	a.n++
	return true, 0
}

// reset forgets key's attempts (after a successful sign-in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// evict drops the ended windows, or the oldest one when none has ended. The caller holds mu.
func (l *limiter) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, a := range l.keys {
		if now.Sub(a.start) >= l.window {
			delete(l.keys, k)
			continue
		}
		if oldestKey == "" || a.start.Before(oldest) {
			oldestKey, oldest = k, a.start
		}
	}
	if len(l.keys) >= l.cap {
		delete(l.keys, oldestKey)
	}
}
