package bot

import (
	"sync"

	"github.com/journeybot/journeybot/channels"
)

// minUpdateBuffer is the smallest buffer a subscriber gets.
const minUpdateBuffer = 16

// updates fans the engine's Updates out to its subscribers (the agent console's live pages, Slack agent threads).
// Publishing never blocks: a subscriber whose buffer is full misses the update and reloads from the store.
type updates struct {
	mu   sync.Mutex
	next int
	subs map[int]chan channels.Update
}

func (u *updates) subscribe(buffer int) (<-chan channels.Update, func()) {
	ch := make(chan channels.Update, max(buffer, minUpdateBuffer))
	u.mu.Lock()
	if u.subs == nil {
		u.subs = make(map[int]chan channels.Update)
	}
	id := u.next
	u.next++
	u.subs[id] = ch
	u.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			u.mu.Lock()
			delete(u.subs, id)
			u.mu.Unlock()
			close(ch)
		})
	}
}

// publish hands up to every subscriber with room for it, and reports how many missed it.
func (u *updates) publish(up channels.Update) (missed int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, ch := range u.subs {
		select {
		case ch <- up:
		default:
			missed++
		}
	}
	return missed
}
