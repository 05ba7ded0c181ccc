//go:build sqlite_fts5

package console_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/journeystate/sqlite"
)

// The dashboard's benchmark (issue 6): the manager dashboard's first page in under a second with 100,000
// conversations, on the real SQLite store and the console's real handler.

const (
	// benchConversations is how many conversations the seeded store holds, over the 30 days before benchNow.
	benchConversations = 100_000
	// benchSeedVersion names the cached database: change it whenever the seed changes.
	benchSeedVersion = 1
	// benchBatch is how many conversations share one stretch of the seed's clock (see seedDashboard).
	benchBatch = 500
	// benchWriters is how many goroutines write at once: enough that the store's group commit fills its batches.
	benchWriters = 64
	benchAgents  = 12
	benchManager = "manager@bench.example.com"
)

// benchNow is the console's clock in the benchmark: the seed's conversations are from the 30 days before it, so
// that a cached database serves every later run the same dashboard.
var benchNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// BenchmarkDashboard measures GET /console/manager?period=30d as a signed-in manager over 100,000 conversations:
// cold (the dashboard cache expired, so the facts are read and the KPIs computed again) and warm (served from the
// cache: the template alone).
func BenchmarkDashboard(b *testing.B) {
	path := seededDashboardDB(b)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	var now atomic.Int64
	now.Store(benchNow.UnixMicro())
	clock := func() time.Time { return time.UnixMicro(now.Load()).UTC() }
	c, err := console.New(store, console.Options{Now: clock, Logger: slog.New(slog.DiscardHandler), SessionTTL: 24 * time.Hour,
		Desk: newFakeDesk(newMemRecords()), Records: store, Reports: store})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	mux := http.NewServeMux()
	c.Routes(mux)
	session := benchSession(b, mux, benchManager)
	get := func(b *testing.B) int {
		req := httptest.NewRequest("GET", "/console/manager?period=30d", nil)
		req.AddCookie(session)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<span class="label">Conversations</span> <span class="value">100000</span>`) {
			b.Fatalf("GET /console/manager = %d: %.500s", rec.Code, rec.Body.String())
		}
		return rec.Body.Len()
	}
	b.Run("cold", func(b *testing.B) {
		size := 0
		for b.Loop() {
			b.StopTimer()
			now.Add((31 * time.Second).Microseconds()) // past the dashboard cache's 30 s
			b.StartTimer()
			size = get(b)
		}
		b.ReportMetric(float64(size)/1024, "KiB/page")
	})
	b.Run("warm", func(b *testing.B) {
		get(b)
		size := 0
		for b.Loop() {
			size = get(b)
		}
		b.ReportMetric(float64(size)/1024, "KiB/page")
	})
}

// benchSession signs email in through the login form and returns the session cookie.
func benchSession(b *testing.B, mux *http.ServeMux, email string) *http.Cookie {
	b.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/console/login", nil))
	form := rec.Result()
	m := csrfRE.FindStringSubmatch(rec.Body.String())
	if m == nil {
		b.Fatal("login form has no csrf field")
	}
	v := url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}}
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie(form, "jb_login"))
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	s := cookie(rec.Result(), console.CookieName)
	if rec.Code != http.StatusSeeOther || s == nil {
		b.Fatalf("sign-in of %s = %d", email, rec.Code)
	}
	return s
}

// seededDashboardDB returns the path of a database seeded by seedDashboard, kept in os.TempDir() by
// benchSeedVersion so that later runs reuse it (remove the file to seed again).
func seededDashboardDB(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("journeybot-dashboard-bench-v%d-%d.db", benchSeedVersion, benchConversations))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	// Seed under another name and rename when done, so that an interrupted seed is never taken for a finished one.
	tmp := path + ".seeding"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	start := time.Now()
	if err := seedDashboard(context.Background(), tmp, benchConversations); err != nil {
		b.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} { // Close checkpoints the WAL; rename what is left with the file
		if err := os.Rename(tmp+suffix, path+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.Fatal(err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d conversations in %v: %s", benchConversations, time.Since(start).Round(time.Second), path)
	return path
}

// seedClock is the store's clock while seeding: the store stamps conversations, owner changes and ratings with
// it, so the seed moves it to when each step happens.
type seedClock struct{ us atomic.Int64 }

func (c *seedClock) now() time.Time  { return time.UnixMicro(c.us.Load()).UTC() }
func (c *seedClock) set(t time.Time) { c.us.Store(t.UnixMicro()) }

// benchConv is the plan of one seeded conversation.
type benchConv struct {
	n              int
	channel, stage string
	handoff        bool
	trigger, team  string
	agent          int // index into the agents' ids
	wait           int // which of the queue waits
	closed         bool
	outcome        string
	rating         int
	created        time.Time
	conv           journeystate.Conversation
}

var (
	benchStages   = []string{"awareness", "consideration", "purchase", "onboarding", "support"}
	benchTeams    = []string{"billing", "support", "sales"}
	benchTriggers = []string{journeystate.TriggerCustomerRequest, journeystate.TriggerCustomerRequest, journeystate.TriggerModel,
		"rule:vip", "rule:could_not_answer"}
	benchWaits = []time.Duration{20 * time.Second, 90 * time.Second, 4 * time.Minute, 12 * time.Minute}
	benchWords = []string{"invoice", "refund", "thermostat", "delivery", "password", "upgrade", "battery", "warranty"}
)

// plan decides conversation n: web 60%, SMS 25%, Slack 15%; 22% handed off (to a team's queue, taken by one of
// twelve agents after one of four waits, closed by the agent); of the others 70% closed by the bot, the rest left
// open; a third of the closed ones rated.
func plan(n int) benchConv {
	r := rand.New(rand.NewPCG(benchSeedVersion, uint64(n)))
	c := benchConv{n: n, stage: benchStages[r.IntN(len(benchStages))]}
	switch p := r.IntN(100); {
	case p < 60:
		c.channel = journeystate.ChannelWeb
	case p < 85:
		c.channel = journeystate.ChannelSMS
	default:
		c.channel = journeystate.ChannelSlack
	}
	if r.IntN(100) < 22 {
		c.handoff, c.closed = true, true
		c.trigger = benchTriggers[r.IntN(len(benchTriggers))]
		c.team, c.agent = benchTeams[r.IntN(len(benchTeams))], r.IntN(benchAgents)
		c.wait = r.IntN(len(benchWaits))
		c.outcome = []string{journeystate.OutcomeResolved, journeystate.OutcomeResolved, journeystate.OutcomeFollowUp}[r.IntN(3)]
	} else if r.IntN(100) < 70 {
		c.closed = true
		c.outcome = []string{journeystate.OutcomeResolved, journeystate.OutcomeResolved, journeystate.OutcomeAbandoned}[r.IntN(3)]
	}
	if c.closed && r.IntN(3) == 0 {
		c.rating = []int{1, 2, 3, 4, 4, 5, 5, 5}[r.IntN(8)]
	}
	return c
}

// seedDashboard writes n conversations into a new store at path through the store's public API, as the bot and
// the console would: customer, conversation and stage; messages (the bot answers in 1 to 30 s); for a hand-off
// the queue with a valid packet, an agent's take and replies; closes and ratings. The store stamps creation,
// owner changes and ratings with its clock, so the conversations go in batches of benchBatch: the clock is set
// for each step of a batch, and the batch's conversations take the step at once, benchWriters at a time. The
// batches start evenly over the 30 days before benchNow.
func seedDashboard(ctx context.Context, path string, n int) error {
	clock := &seedClock{}
	s, err := sqlite.Open(ctx, path, sqlite.WithNow(clock.now))
	if err != nil {
		return err
	}
	err = seedAll(ctx, s, clock, n)
	return errors.Join(err, s.Close())
}

func seedAll(ctx context.Context, s *sqlite.Store, clock *seedClock, n int) error {
	agents, err := seedUsers(ctx, s)
	if err != nil {
		return err
	}
	first := benchNow.Truncate(24*time.Hour).AddDate(0, 0, -29) // the 30d dashboard's first day
	batches := (n + benchBatch - 1) / benchBatch
	spacing := benchNow.Add(-time.Hour).Sub(first) / time.Duration(batches)
	for bi := range batches {
		convs := make([]benchConv, 0, benchBatch)
		for i := bi * benchBatch; i < min(n, (bi+1)*benchBatch); i++ {
			convs = append(convs, plan(i))
		}
		if err := seedBatch(ctx, s, clock, agents, first.Add(time.Duration(bi)*spacing), convs); err != nil {
			return err
		}
	}
	return nil
}

// seedUsers creates the manager and the agents, and returns the agents' ids.
func seedUsers(ctx context.Context, s *sqlite.Store) ([]string, error) {
	hash, err := console.HashPassword(password)
	if err != nil {
		return nil, err
	}
	users := []journeystate.User{{Email: benchManager, Name: "Manager", Role: journeystate.RoleManager, PasswordHash: hash}}
	for i := range benchAgents {
		users = append(users, journeystate.User{Email: fmt.Sprintf("agent%02d@bench.example.com", i),
			Name: fmt.Sprintf("Agent %02d", i), Role: journeystate.RoleAgent, PasswordHash: hash})
	}
	var agents []string
	for _, u := range users {
		u, err := s.CreateUser(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("create user %s: %w", u.Email, err)
		}
		if u.Role == journeystate.RoleAgent {
			agents = append(agents, u.ID)
		}
	}
	return agents, nil
}

// seedBatch runs the steps of convs from start: creation over five minutes, messages, hand-offs at +7 min, takes
// after their waits, agent replies, closes at +45 min and ratings at +46 min.
func seedBatch(ctx context.Context, s *sqlite.Store, clock *seedClock, agents []string, start time.Time, convs []benchConv) error {
	step := func(at time.Time, keep func(c *benchConv) bool, fn func(c *benchConv) error) error {
		clock.set(at)
		return inParallel(convs, keep, fn)
	}
	all := func(*benchConv) bool { return true }
	// Five creation minutes, a fifth of the batch each.
	for minute := range 5 {
		err := step(start.Add(time.Duration(minute)*time.Minute), func(c *benchConv) bool { return c.n%5 == minute }, func(c *benchConv) error {
			ext := fmt.Sprintf("bench-%d", c.n)
			cust, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: c.channel, ExternalID: ext,
				Profile: journeystate.Profile{Name: fmt.Sprintf("Customer %d", c.n), Email: fmt.Sprintf("c%d@example.com", c.n)}})
			if err != nil {
				return err
			}
			if c.conv, _, err = s.OpenConversation(ctx, cust.ID, c.channel, ext); err != nil {
				return err
			}
			c.created = c.conv.CreatedAt
			_, _, err = s.SetStage(ctx, cust.ID, journeystate.StageChange{To: c.stage, Actor: journeystate.ActorBot,
				Cause: "bench", Channel: c.channel, ConversationID: c.conv.ID})
			return err
		})
		if err != nil {
			return err
		}
	}
	// Messages, at their own times: the customer asks, the bot answers in 1 to 30 s, the customer writes again
	// within a minute; the bot answers that too unless the conversation is handed off.
	err := inParallel(convs, all, func(c *benchConv) error {
		r := rand.New(rand.NewPCG(benchSeedVersion+1, uint64(c.n)))
		w := benchWords[c.n%len(benchWords)]
		t := c.created.Add(time.Duration(1+r.IntN(20)) * time.Second)
		msgs := []struct {
			author journeystate.Actor
			text   string
			after  time.Duration
		}{
			{journeystate.ActorCustomer, fmt.Sprintf("hello, a question about my %s number %d", w, c.n), 0},
			{journeystate.ActorBot, "Here is what I found about " + w, time.Duration(1+r.IntN(30)) * time.Second},
			{journeystate.ActorCustomer, "that did not help, I need a person", time.Duration(10+r.IntN(50)) * time.Second},
		}
		if !c.handoff {
			msgs[2].text = "thanks, and how long does it take?"
			msgs = append(msgs, struct {
				author journeystate.Actor
				text   string
				after  time.Duration
			}{journeystate.ActorBot, "Usually two days.", time.Duration(1+r.IntN(30)) * time.Second})
		}
		for i, m := range msgs {
			t = t.Add(m.after)
			if _, _, err := s.AppendMessage(ctx, journeystate.Message{ConversationID: c.conv.ID, CustomerID: c.conv.CustomerID,
				Author: m.author, ClientID: fmt.Sprintf("m%d", i), Text: m.text, CreatedAt: t}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	handedOff := func(c *benchConv) bool { return c.handoff }
	handoffAt := start.Add(7 * time.Minute)
	err = step(handoffAt, handedOff, func(c *benchConv) error {
		h := &journeystate.Handoff{ID: "h-" + c.conv.ID, ConversationID: c.conv.ID, CustomerID: c.conv.CustomerID,
			Channel: c.channel, Summary: "The customer asked about their order and wants a person.",
			SummarySource: journeystate.SummaryExtractive, Stage: c.stage, Reason: "asked for a person",
			Trigger: c.trigger, Urgency: journeystate.UrgencyNormal, Confidence: 1, WaitingSince: c.created,
			Team: c.team, CreatedAt: clock.now()}
		_, err := s.SetOwner(ctx, c.conv.ID, journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerQueue,
			Actor: journeystate.ActorBot, Cause: c.trigger, Team: c.team, Handoff: h})
		return err
	})
	if err != nil {
		return err
	}
	for wi, wait := range benchWaits {
		err := step(handoffAt.Add(wait), func(c *benchConv) bool { return c.handoff && c.wait == wi }, func(c *benchConv) error {
			_, err := s.SetOwner(ctx, c.conv.ID, journeystate.OwnerChange{From: journeystate.OwnerQueue, Owner: journeystate.OwnerAgent,
				AgentID: agents[c.agent], Actor: journeystate.ActorAgent, Cause: "take"})
			if err != nil {
				return err
			}
			// The agent answers 20 s to 4 min after the take, the customer a minute later, the agent again.
			r := rand.New(rand.NewPCG(benchSeedVersion+2, uint64(c.n)))
			t := clock.now().Add(time.Duration(20+r.IntN(220)) * time.Second)
			for i, m := range []struct {
				author journeystate.Actor
				text   string
			}{{journeystate.ActorAgent, "Hi, I'm looking at your account now."}, {journeystate.ActorCustomer, "thank you"},
				{journeystate.ActorAgent, "Done: it is sorted."}} {
				if i > 0 {
					t = t.Add(time.Duration(30+r.IntN(90)) * time.Second)
				}
				if _, _, err := s.AppendMessage(ctx, journeystate.Message{ConversationID: c.conv.ID, CustomerID: c.conv.CustomerID,
					Author: m.author, ClientID: fmt.Sprintf("a%d", i), Text: m.text, CreatedAt: t,
					Meta: journeystate.MessageMeta{AgentID: agents[c.agent], AgentName: "Agent"}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	err = step(start.Add(45*time.Minute), func(c *benchConv) bool { return c.closed }, func(c *benchConv) error {
		change := journeystate.OwnerChange{From: journeystate.OwnerBot, Owner: journeystate.OwnerClosed,
			Actor: journeystate.ActorBot, Cause: c.outcome}
		if c.handoff {
			change.From, change.FromAgentID, change.Actor = journeystate.OwnerAgent, agents[c.agent], journeystate.ActorAgent
		}
		_, err := s.SetOwner(ctx, c.conv.ID, change)
		return err
	})
	if err != nil {
		return err
	}
	return step(start.Add(46*time.Minute), func(c *benchConv) bool { return c.rating > 0 }, func(c *benchConv) error {
		_, err := s.RecordRating(ctx, c.conv.ID, c.rating, c.channel, "")
		return err
	})
}

// inParallel runs fn on the conversations keep keeps, benchWriters at a time, and returns the first error.
func inParallel(convs []benchConv, keep func(c *benchConv) bool, fn func(c *benchConv) error) error {
	work := make(chan *benchConv)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range benchWriters {
		wg.Go(func() {
			for c := range work {
				if err := fn(c); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("seed conversation %d: %w", c.n, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range convs {
		if keep(&convs[i]) {
			work <- &convs[i]
		}
	}
	close(work)
	wg.Wait()
	return first
}
