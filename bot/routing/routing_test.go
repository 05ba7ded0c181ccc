package routing_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/journeybot/journeybot/bot/routing"
)

var base = time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC) // a Friday

func teams() []routing.Team {
	return []routing.Team{
		{Name: "sales", Skills: []string{"consideration", "purchase", "buying"}, TimeZone: "America/New_York",
			Label: "Eastern", Hours: []string{"Mon-Fri 09:00-17:00"}, Holidays: []string{"2026-12-25"},
			SLA: 5 * time.Minute, Fallback: routing.FallbackBot},
		{Name: "support", Default: true, Skills: []string{"support", "troubleshooting", "fr"},
			TimeZone: "America/Toronto", Hours: []string{"Mon-Fri 08:00-20:00", "Sat 10:00-16:00"},
			SLA: 10 * time.Minute, Fallback: routing.FallbackFollowUp},
		{Name: "vip", Skills: []string{"vip"}, Fallback: routing.FallbackFollowUp},
	}
}

func TestValidate(t *testing.T) {
	if err := routing.Validate(teams()); err != nil {
		t.Fatalf("Validate(shipped) = %v", err)
	}
	for _, tc := range []struct {
		name string
		team routing.Team
	}{
		{"zone", routing.Team{Name: "a", TimeZone: "Mars/Olympus", Fallback: "bot"}},
		{"day", routing.Team{Name: "a", TimeZone: "UTC", Hours: []string{"Mon-Fry 09:00-17:00"}, Fallback: "bot"}},
		{"clock", routing.Team{Name: "a", TimeZone: "UTC", Hours: []string{"Mon 9:00-17:00"}, Fallback: "bot"}},
		{"overlap", routing.Team{Name: "a", TimeZone: "UTC", Hours: []string{"Mon-Fri 09:00-12:00", "Wed 11:00-13:00"}, Fallback: "bot"}},
		{"fallback", routing.Team{Name: "a", Fallback: "pray"}},
		{"holiday", routing.Team{Name: "a", TimeZone: "UTC", Holidays: []string{"12/25"}, Fallback: "bot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := routing.Validate([]routing.Team{tc.team}); err == nil {
				t.Errorf("Validate(%+v) = nil, want error", tc.team)
			}
		})
	}
	dup := append(teams(), teams()[0])
	if err := routing.Validate(dup); err == nil {
		t.Error("duplicate team accepted")
	}
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		name string
		item routing.Item
		want string
	}{
		{"intent", routing.Item{Intent: "buying"}, "sales"},
		{"stage", routing.Item{Stage: "support"}, "support"},
		{"vip wins", routing.Item{VIP: true, Intent: "buying"}, "vip"},
		{"language", routing.Item{Language: "fr"}, "support"},
		{"explicit team", routing.Item{Team: "sales", Stage: "support"}, "sales"},
		{"default", routing.Item{Intent: "weather"}, "support"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := routing.Route(tc.item, teams())
			if !ok || got.Name != tc.want {
				t.Errorf("Route(%+v) = %q, %v; want %q", tc.item, got.Name, ok, tc.want)
			}
		})
	}
}

func TestAssign(t *testing.T) {
	q := []routing.Item{
		{ConversationID: "old", Team: "support", EnqueuedAt: base.Add(-3 * time.Minute)},
		{ConversationID: "new", Team: "support", EnqueuedAt: base.Add(-1 * time.Minute)},
		{ConversationID: "urgent", Team: "support", Priority: 2, EnqueuedAt: base},
		{ConversationID: "sale", Team: "sales", EnqueuedAt: base},
	}
	agents := []routing.Agent{
		{ID: "ann", Teams: []string{"support"}, Status: routing.StatusOnline, Capacity: 2, Active: 1},
		{ID: "bob", Teams: []string{"support", "sales"}, Status: routing.StatusAway, Capacity: 5},
		{ID: "cy", Teams: []string{"sales"}, Status: routing.StatusOffline, Capacity: 5},
		{ID: "dee", Teams: []string{"support"}, Status: routing.StatusOnline, Capacity: 1},
	}
	got := routing.Assign(q, agents, base)
	want := []routing.Assignment{
		{ConversationID: "urgent", AgentID: "dee", Team: "support"},
		{ConversationID: "old", AgentID: "ann", Team: "support", Waited: 3 * time.Minute},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Assign (-want +got):\n%s", d)
	}
}

func TestHours(t *testing.T) {
	sales, support := teams()[0], teams()[1]
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		name string
		team routing.Team
		at   time.Time
		open bool
		next time.Time
	}{
		{"fri 10 eastern", sales, time.Date(2026, 3, 6, 10, 0, 0, 0, ny), true, time.Date(2026, 3, 6, 10, 0, 0, 0, ny)},
		{"fri 17 eastern closes", sales, time.Date(2026, 3, 6, 17, 0, 0, 0, ny), false, time.Date(2026, 3, 9, 9, 0, 0, 0, ny)},
		// The weekend of the 2026 spring DST change (Mar 8): Monday 9:00 EDT is 13:00 UTC, not 14:00.
		{"weekend over dst", sales, time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), false, time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)},
		{"utc instant in toronto sat", support, time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC), true, time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC)},
		{"holiday", sales, time.Date(2026, 12, 25, 10, 0, 0, 0, ny), false, time.Date(2026, 12, 28, 9, 0, 0, 0, ny)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := routing.Open(tc.team, tc.at); got != tc.open {
				t.Errorf("Open(%v) = %v, want %v", tc.at, got, tc.open)
			}
			if got, ok := routing.NextOpen(tc.team, tc.at); !ok || !got.Equal(tc.next) {
				t.Errorf("NextOpen(%v) = %v, %v; want %v", tc.at, got, ok, tc.next)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	it := routing.Item{EnqueuedAt: base}
	sales := teams()[0]
	if routing.Expired(it, sales, base.Add(4*time.Minute)) {
		t.Error("expired before SLA")
	}
	if !routing.Expired(it, sales, base.Add(5*time.Minute)) {
		t.Error("not expired at SLA")
	}
	if routing.Expired(it, teams()[2], base.Add(100*time.Hour)) {
		t.Error("team without SLA expired")
	}
	if got, want := routing.ExpectedWait(3, 1, 2*time.Minute), 6*time.Minute; got != want {
		t.Errorf("ExpectedWait = %v, want %v", got, want)
	}
}

func TestPromise(t *testing.T) {
	sales := teams()[0]
	ny, _ := time.LoadLocation("America/New_York")
	fri := time.Date(2026, 3, 6, 18, 0, 0, 0, ny)
	for _, tc := range []struct {
		name string
		at   time.Time
		w    routing.Waiting
		want routing.Notice
	}{
		{"open", time.Date(2026, 3, 6, 10, 0, 0, 0, ny), routing.Waiting{Channel: "web", Position: 3, Wait: 6 * time.Minute},
			routing.Notice{Text: "You're number 3 in line; the expected wait is about 6 minutes.", Open: true}},
		{"closed sms", fri, routing.Waiting{Channel: "sms"}, routing.Notice{
			Text: "Our team is back on Monday at 9:00 (Eastern); we'll reply here on SMS.",
			Back: time.Date(2026, 3, 9, 9, 0, 0, 0, ny)}},
		{"closed web no contact", fri, routing.Waiting{Channel: "web"}, routing.Notice{
			Text: "Our team is back on Monday at 9:00 (Eastern). Leave your email or phone number and we'll get back to you.",
			Back: time.Date(2026, 3, 9, 9, 0, 0, 0, ny), NeedContact: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := routing.Promise(sales, tc.at, tc.w)
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
				t.Errorf("Promise (-want +got):\n%s", d)
			}
		})
	}
}
