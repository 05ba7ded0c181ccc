package slack

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// profile is what users.info told about a Slack user. A lookup that failed (no users:read scope, Slack down) is
// cached as an empty profile too, so that a missing scope costs one call per user and TTL, not one per message.
type profile struct {
	Name, Email string
	// Confirmed is Slack's is_email_confirmed: only a confirmed email is a verified identity (one that may join
	// customers); an unconfirmed one is handed on as a claim.
	Confirmed bool
	// identified is set once the email was handed to Engine.IdentifyUser.
	identified bool
}

// userCache is a bounded LRU of profiles by user key, each trusted for ttl. It is safe for concurrent use.
type userCache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // of *userEntry, most recently used first
	byKey map[string]*list.Element
}

type userEntry struct {
	key     string
	fetched time.Time
	profile profile
}

func newUserCache(size int, ttl time.Duration, now func() time.Time) *userCache {
	return &userCache{size: size, ttl: ttl, now: now, order: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns the cached profile of key when it is younger than the TTL.
func (c *userCache) get(key string) (profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return profile{}, false
	}
	e := el.Value.(*userEntry)
	if c.now().Sub(e.fetched) >= c.ttl {
		c.order.Remove(el)
		delete(c.byKey, key)
		return profile{}, false
	}
	c.order.MoveToFront(el)
	return e.profile, true
}

// put stores p for key, evicting the least recently used entry past the bound.
func (c *userCache) put(key string, p profile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*userEntry)
		e.profile, e.fetched = p, c.now()
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&userEntry{key: key, fetched: c.now(), profile: p})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*userEntry).key)
	}
}

// markIdentified records that key's email was handed to the engine, keeping the entry's age.
func (c *userCache) markIdentified(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		el.Value.(*userEntry).profile.identified = true
	}
}

func (c *userCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// identify looks the author of ev up (users.info, cached) and, the first time their profile shows an email, hands
// it to the engine as a verified identity, so that the message that follows is already the joined customer's. It
// returns the profile; failures are logged and leave it empty: the message is answered all the same.
func (a *Adapter) identify(ctx context.Context, ev event) profile {
	key := ev.userKey()
	p, ok := a.users.get(key)
	if !ok {
		var keep bool
		p, keep = a.lookupUser(ctx, ev.User)
		if keep {
			a.users.put(key, p)
		}
	}
	if p.Email == "" || p.identified {
		return p
	}
	_, err := a.engine.IdentifyUser(ctx, journeystate.ChannelSlack, key, bot.Identification{
		Email: p.Email, Name: p.Name, EmailVerified: p.Confirmed, ChannelVerified: true, Evidence: "Slack profile email (users.info)",
	})
	switch {
	case err == nil:
		a.users.markIdentified(key)
	case errors.Is(err, bot.ErrBadReference):
		a.users.markIdentified(key) // it will not get better by asking again
		a.log.Warn("slack: the profile's email was refused", "err", err)
	default:
		a.log.Error("slack: identify user", "err", err)
	}
	return p
}

// lookupUser asks users.info for a user's name and email. Without the users:read.email scope the email is simply
// absent; without users:read the call fails, and the user stays nameless.
// A failure is kept (keep true) only when asking again would fail again, the app lacking the scope: a timeout or a
// Slack hiccup is asked about again with the user's next message, so that it does not cost them an hour unjoined.
func (a *Adapter) lookupUser(ctx context.Context, userID string) (p profile, keep bool) {
	ctx, cancel := context.WithTimeout(ctx, userLookupWait)
	defer cancel()
	var u *slackapi.User
	err := a.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = a.api.GetUserInfoContext(ctx, userID)
		return err
	})
	if err != nil {
		a.log.Warn("slack: users.info failed; going on without the profile (scope users:read?)", "err", err)
		var se slackapi.SlackErrorResponse
		permanent := errors.As(err, &se) && (se.Err == "missing_scope" || se.Err == "user_not_found" || se.Err == "not_allowed_token_type")
		permanent = permanent || strings.Contains(err.Error(), "missing_scope")
		return profile{}, permanent
	}
	if u.IsBot {
		return profile{}, true
	}
	name := strings.TrimSpace(u.Profile.RealName)
	if name == "" {
		name = strings.TrimSpace(cmp.Or(u.RealName, u.Profile.DisplayName))
	}
	return profile{Name: truncate(name, 200), Email: strings.TrimSpace(u.Profile.Email), Confirmed: u.IsEmailConfirmed}, true
}
