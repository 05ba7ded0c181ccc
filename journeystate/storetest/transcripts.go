package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// transcriptFixture is four conversations, oldest first:
//   - a: web, Ann (ann@example.com, stage "purchase"), "my thermostat is broken", a bot reply, closed resolved;
//     contained
//   - b: sms, handed off (customer_request), taken by agent-1, answered, closed follow_up; tags billing and vip,
//     rated 2, marked needs_work
//   - c: web, handed off (rule:vip), agent-2 then agent-1, closed resolved; tag billing, rated 5
//   - d: web, one customer message, open with the bot
type transcriptFixture struct {
	a, b, c, d journeystate.Conversation
}

func newTranscriptFixture(t *testing.T, s journeystate.Store) transcriptFixture {
	t.Helper()
	ctx := t.Context()
	var f transcriptFixture
	ann := newCustomer(t, s, "v_ann")
	if _, err := s.UpdateCustomer(ctx, ann.ID, journeystate.CustomerUpdate{
		Profile: journeystate.Profile{Name: "Ann Lee", Email: "ann@example.com"}, Actor: journeystate.ActorSystem}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SetStage(ctx, ann.ID, journeystate.StageChange{To: "purchase", Actor: journeystate.ActorRule, Cause: "test"}); err != nil {
		t.Fatal(err)
	}
	f.a = newConversation(t, s, ann.ID, "v_ann")
	say(t, s, f.a, journeystate.ActorCustomer, "my thermostat is broken")
	say(t, s, f.a, journeystate.ActorBot, "Sorry to hear that, let us reset it.")
	move(t, s, f.a, journeystate.OwnerBot, "", journeystate.OwnerClosed, "", journeystate.OutcomeResolved)

	bob, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS, ExternalID: "+15550001"})
	if err != nil {
		t.Fatal(err)
	}
	f.b, _, err = s.OpenConversation(ctx, bob.ID, journeystate.ChannelSMS, "+15550001")
	if err != nil {
		t.Fatal(err)
	}
	say(t, s, f.b, journeystate.ActorCustomer, "I want a refund please")
	move(t, s, f.b, journeystate.OwnerBot, "", journeystate.OwnerQueue, "", journeystate.TriggerCustomerRequest)
	move(t, s, f.b, journeystate.OwnerQueue, "", journeystate.OwnerAgent, "agent-1", "take")
	say(t, s, f.b, journeystate.ActorAgent, "I can help with the refund")
	move(t, s, f.b, journeystate.OwnerAgent, "agent-1", journeystate.OwnerClosed, "", journeystate.OutcomeFollowUp)
	setTags(t, s, f.b, "billing", "vip")
	if _, err := s.RecordRating(ctx, f.b.ID, 2, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReview(ctx, f.b.ID, journeystate.ReviewNeedsWork, "manager-1", "slow"); err != nil {
		t.Fatal(err)
	}

	cat := newCustomer(t, s, "v_cat")
	f.c = newConversation(t, s, cat.ID, "v_cat")
	say(t, s, f.c, journeystate.ActorCustomer, "my invoice is wrong")
	move(t, s, f.c, journeystate.OwnerBot, "", journeystate.OwnerQueue, "", "rule:vip")
	move(t, s, f.c, journeystate.OwnerQueue, "", journeystate.OwnerAgent, "agent-2", "take")
	move(t, s, f.c, journeystate.OwnerAgent, "agent-2", journeystate.OwnerAgent, "agent-1", "transfer")
	move(t, s, f.c, journeystate.OwnerAgent, "agent-1", journeystate.OwnerClosed, "", journeystate.OutcomeResolved)
	setTags(t, s, f.c, "billing")
	if _, err := s.RecordRating(ctx, f.c.ID, 5, "", "great"); err != nil {
		t.Fatal(err)
	}

	dan := newCustomer(t, s, "v_dan")
	f.d = newConversation(t, s, dan.ID, "v_dan")
	say(t, s, f.d, journeystate.ActorCustomer, "hello there")
	return f
}

// say appends a message by author to conv, failing the test on an error.
func say(t *testing.T, s journeystate.Store, conv journeystate.Conversation, author journeystate.Actor, text string) journeystate.Message {
	t.Helper()
	m, _, err := s.AppendMessage(t.Context(), journeystate.Message{ConversationID: conv.ID, Author: author, Text: text})
	if err != nil {
		t.Fatalf("AppendMessage(%q) = %v", text, err)
	}
	return m
}

// move changes conv's owner, failing the test on an error; the actor is one the switchboard allows for the move.
func move(t *testing.T, s journeystate.Store, conv journeystate.Conversation, from journeystate.Owner, fromAgent string, to journeystate.Owner, agent, cause string) journeystate.Conversation {
	t.Helper()
	actor := journeystate.ActorAgent
	if to == journeystate.OwnerQueue {
		actor = journeystate.ActorBot
	}
	got, err := s.SetOwner(t.Context(), conv.ID, journeystate.OwnerChange{From: from, FromAgentID: fromAgent,
		Owner: to, AgentID: agent, Actor: actor, Cause: cause})
	if err != nil {
		t.Fatalf("SetOwner(%s → %s) = %v", from, to, err)
	}
	return got
}

func setTags(t *testing.T, s journeystate.Store, conv journeystate.Conversation, tags ...string) {
	t.Helper()
	if _, err := s.SetTags(t.Context(), conv.ID, tags, journeystate.ActorAgent, "manager-1"); err != nil {
		t.Fatalf("SetTags(%v) = %v", tags, err)
	}
}

// transcriptIDs runs q and returns the ids of its first page, in order.
func transcriptIDs(t *testing.T, s journeystate.Store, q journeystate.TranscriptQuery) []string {
	t.Helper()
	page, err := s.Transcripts(t.Context(), q)
	if err != nil {
		t.Fatalf("Transcripts(%+v) = %v", q, err)
	}
	var ids []string
	for _, r := range page.Rows {
		ids = append(ids, r.Conversation.ID)
	}
	return ids
}

func testTranscriptsFilters(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	f := newTranscriptFixture(t, s)
	a, b, c, d := f.a.ID, f.b.ID, f.c.ID, f.d.ID
	name := map[string]string{a: "a", b: "b", c: "c", d: "d"}
	tests := []struct {
		name string
		q    journeystate.TranscriptQuery
		want []string
	}{
		{"all, newest first", journeystate.TranscriptQuery{}, []string{d, c, b, a}},
		{"channel", journeystate.TranscriptQuery{Channel: journeystate.ChannelSMS}, []string{b}},
		{"stage", journeystate.TranscriptQuery{Stage: "purchase"}, []string{a}},
		{"contained", journeystate.TranscriptQuery{Handling: journeystate.HandlingContained}, []string{a}},
		{"contained or idle", journeystate.TranscriptQuery{Handling: journeystate.HandlingContained,
			IdleBefore: time.Now().Add(time.Hour)}, []string{d, a}},
		{"handed off", journeystate.TranscriptQuery{Handling: journeystate.HandlingHandedOff}, []string{c, b}},
		{"agent who owned it once", journeystate.TranscriptQuery{AgentID: "agent-2"}, []string{c}},
		{"agent", journeystate.TranscriptQuery{AgentID: "agent-1"}, []string{c, b}},
		{"outcome", journeystate.TranscriptQuery{Outcome: journeystate.OutcomeFollowUp}, []string{b}},
		{"from", journeystate.TranscriptQuery{From: f.c.CreatedAt}, []string{d, c}},
		{"to", journeystate.TranscriptQuery{To: f.b.CreatedAt}, []string{a}},
		{"tag", journeystate.TranscriptQuery{Tags: []string{"Billing"}}, []string{c, b}},
		{"all tags", journeystate.TranscriptQuery{Tags: []string{"billing", "vip"}}, []string{b}},
		{"min rating", journeystate.TranscriptQuery{MinRating: 4}, []string{c}},
		{"max rating", journeystate.TranscriptQuery{MaxRating: 3}, []string{b}},
		{"review", journeystate.TranscriptQuery{Review: journeystate.ReviewNeedsWork}, []string{b}},
		{"ids", journeystate.TranscriptQuery{IDs: []string{a, d}}, []string{d, a}},
		{"combined: web and handed off", journeystate.TranscriptQuery{Channel: journeystate.ChannelWeb,
			Handling: journeystate.HandlingHandedOff}, []string{c}},
		{"combined: tag, agent and rating", journeystate.TranscriptQuery{Tags: []string{"billing"}, AgentID: "agent-1",
			MaxRating: 5, MinRating: 1}, []string{c, b}},
		{"combined: nothing fits", journeystate.TranscriptQuery{Channel: journeystate.ChannelSMS,
			Outcome: journeystate.OutcomeResolved}, nil},
		{"search a word said", journeystate.TranscriptQuery{Text: "thermostat"}, []string{a}},
		{"search a stemmed word", journeystate.TranscriptQuery{Text: "Refunds"}, []string{b}},
		{"search every word", journeystate.TranscriptQuery{Text: "refund please"}, []string{b}},
		{"search the email", journeystate.TranscriptQuery{Text: "ann@example.com"}, []string{a}},
		{"search the name", journeystate.TranscriptQuery{Text: "lee"}, []string{a}},
		{"search and filter", journeystate.TranscriptQuery{Text: "refund", Channel: journeystate.ChannelWeb}, nil},
		{"quote is a word boundary", journeystate.TranscriptQuery{Text: `"thermostat`}, []string{a}},
		{"star is no prefix", journeystate.TranscriptQuery{Text: `thermo*`}, nil},
		{"minus is no NOT", journeystate.TranscriptQuery{Text: `-thermostat`}, []string{a}},
		{"OR is a word", journeystate.TranscriptQuery{Text: `thermostat OR refund`}, nil},
		{"NEAR is a word", journeystate.TranscriptQuery{Text: `NEAR(thermostat broken)`}, nil},
		{"column filter is no filter", journeystate.TranscriptQuery{Text: `text:thermostat`}, nil},
		{"only syntax", journeystate.TranscriptQuery{Text: `" * - ( )`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := transcriptIDs(t, s, tt.q)
			if !slices.Equal(got, tt.want) {
				names := func(ids []string) (out []string) {
					for _, id := range ids {
						out = append(out, name[id])
					}
					return out
				}
				t.Errorf("Transcripts(%+v) = %v, want %v", tt.q, names(got), names(tt.want))
			}
		})
	}

	// What a row shows.
	page, err := s.Transcripts(t.Context(), journeystate.TranscriptQuery{IDs: []string{b}})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("Transcripts(b) = %v, %v", page, err)
	}
	r := page.Rows[0]
	if r.Messages != 2 || !r.HandedOff || r.Trigger != journeystate.TriggerCustomerRequest ||
		!slices.Equal(r.Agents, []string{"agent-1"}) || r.Outcome != journeystate.OutcomeFollowUp || r.Rating != 2 ||
		!slices.Equal(r.Tags, []string{"billing", "vip"}) || r.Review != journeystate.ReviewNeedsWork ||
		r.Conversation.Channel != journeystate.ChannelSMS || r.FirstMessageAt.IsZero() ||
		r.LastMessageAt.Before(r.FirstMessageAt) || r.Snippet != "" {
		t.Errorf("row b = %+v", r)
	}
	page, err = s.Transcripts(t.Context(), journeystate.TranscriptQuery{IDs: []string{c}})
	if err != nil || len(page.Rows) != 1 || !slices.Equal(page.Rows[0].Agents, []string{"agent-2", "agent-1"}) ||
		page.Rows[0].Trigger != "rule:vip" {
		t.Errorf("row c = %+v, %v; want agents agent-2, agent-1 and trigger rule:vip", page, err)
	}
	page, err = s.Transcripts(t.Context(), journeystate.TranscriptQuery{Text: "broken thermostat"})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("Transcripts(broken thermostat) = %+v, %v", page, err)
	}
	r = page.Rows[0]
	wantSnippet := "my " + journeystate.SnippetOpen + "thermostat" + journeystate.SnippetClose + " is " +
		journeystate.SnippetOpen + "broken" + journeystate.SnippetClose
	if r.Snippet != wantSnippet || r.CustomerName != "Ann Lee" || r.CustomerEmail != "ann@example.com" || r.Stage != "purchase" {
		t.Errorf("search row = snippet %q name %q email %q stage %q; want %q, Ann Lee, ann@example.com, purchase",
			r.Snippet, r.CustomerName, r.CustomerEmail, r.Stage, wantSnippet)
	}
	page, err = s.Transcripts(t.Context(), journeystate.TranscriptQuery{Text: "ann@example.com"})
	if err != nil || len(page.Rows) != 1 || !strings.Contains(page.Rows[0].Snippet, journeystate.SnippetOpen+"ann") {
		t.Errorf("Transcripts(email) = %+v, %v; want a snippet of the email", page, err)
	}

	long := strings.Repeat("x", journeystate.MaxFilterValue+1)
	for _, q := range []journeystate.TranscriptQuery{
		{Handling: "maybe"}, {MinRating: 6}, {MaxRating: -1}, {Review: "meh"}, {Tags: []string{"no spaces?"}},
		{Cursor: "not a cursor"}, {Limit: -1}, {IDs: make([]string, journeystate.MaxTranscriptIDs+1)},
		{Trigger: long}, {Team: long},
	} {
		if _, err := s.Transcripts(t.Context(), q); err == nil {
			t.Errorf("Transcripts(%+v) = nil error, want one", q)
		}
	}

	// The hand-off trigger and team filters need conversations handed off more than once and to teams; they get a
	// store of their own so that the fixture above stays as its comment says.
	t.Run("trigger and team", func(t *testing.T) { testTranscriptsTriggerTeam(t, open) })
}

// handOff moves conv from the bot to the queue of team with trigger as the cause, failing the test on an error.
func handOff(t *testing.T, s journeystate.Store, conv journeystate.Conversation, from journeystate.Owner, trigger, team string) {
	t.Helper()
	if _, err := s.SetOwner(t.Context(), conv.ID, journeystate.OwnerChange{From: from, Owner: journeystate.OwnerQueue,
		Actor: journeystate.ActorBot, Cause: trigger, Team: team}); err != nil {
		t.Fatalf("SetOwner(%s → queue of %s) = %v", from, team, err)
	}
}

// testTranscriptsTriggerTeam checks TranscriptQuery.Trigger (any hand-off's trigger, not only the first's) and Team
// (the newest team, kept when the conversation went back to the bot), alone, with other filters, with a search and
// across pages.
func testTranscriptsTriggerTeam(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	conv := func(visitor string) journeystate.Conversation {
		return newConversation(t, s, newCustomer(t, s, visitor).ID, visitor)
	}
	// e: customer_request to support, agent-1 hands it back, then rule:vip to billing: triggers
	// [customer_request, rule:vip], team billing.
	e := conv("v_e")
	say(t, s, e, journeystate.ActorCustomer, "a person please")
	handOff(t, s, e, journeystate.OwnerBot, journeystate.TriggerCustomerRequest, "support")
	move(t, s, e, journeystate.OwnerQueue, "", journeystate.OwnerAgent, "agent-1", "take")
	move(t, s, e, journeystate.OwnerAgent, "agent-1", journeystate.OwnerBot, "", "hand back")
	handOff(t, s, e, journeystate.OwnerBot, "rule:vip", "billing")
	// f: rule:vip to support, closed resolved.
	f := conv("v_f")
	say(t, s, f, journeystate.ActorCustomer, "my invoice please")
	handOff(t, s, f, journeystate.OwnerBot, "rule:vip", "support")
	move(t, s, f, journeystate.OwnerQueue, "", journeystate.OwnerAgent, "agent-2", "take")
	move(t, s, f, journeystate.OwnerAgent, "agent-2", journeystate.OwnerClosed, "", journeystate.OutcomeResolved)
	// g: customer_request to support, and back to the bot: it keeps team support.
	g := conv("v_g")
	handOff(t, s, g, journeystate.OwnerBot, journeystate.TriggerCustomerRequest, "support")
	move(t, s, g, journeystate.OwnerQueue, "", journeystate.OwnerBot, "", "fall back")
	// h: never handed off, no team.
	h := conv("v_h")
	say(t, s, h, journeystate.ActorCustomer, "my invoice is fine")

	name := map[string]string{e.ID: "e", f.ID: "f", g.ID: "g", h.ID: "h"}
	names := func(ids []string) (out []string) {
		for _, id := range ids {
			out = append(out, cmp.Or(name[id], id))
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    journeystate.TranscriptQuery
		want []string
	}{
		{"first trigger", journeystate.TranscriptQuery{Trigger: journeystate.TriggerCustomerRequest}, []string{g.ID, e.ID}},
		{"a later trigger", journeystate.TranscriptQuery{Trigger: "rule:vip"}, []string{f.ID, e.ID}},
		{"no such trigger", journeystate.TranscriptQuery{Trigger: "rule:vi"}, nil},
		{"team", journeystate.TranscriptQuery{Team: "support"}, []string{g.ID, f.ID}},
		{"newest team only", journeystate.TranscriptQuery{Team: "billing"}, []string{e.ID}},
		{"no such team", journeystate.TranscriptQuery{Team: "Support"}, nil},
		{"trigger and team", journeystate.TranscriptQuery{Trigger: "rule:vip", Team: "support"}, []string{f.ID}},
		{"trigger and agent", journeystate.TranscriptQuery{Trigger: journeystate.TriggerCustomerRequest, AgentID: "agent-1"},
			[]string{e.ID}},
		{"team and outcome", journeystate.TranscriptQuery{Team: "support", Outcome: journeystate.OutcomeResolved}, []string{f.ID}},
		{"team and ids", journeystate.TranscriptQuery{Team: "support", IDs: []string{e.ID, g.ID}}, []string{g.ID}},
		{"trigger and search", journeystate.TranscriptQuery{Trigger: "rule:vip", Text: "invoice"}, []string{f.ID}},
		{"team and search, nothing fits", journeystate.TranscriptQuery{Team: "billing", Text: "invoice"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := transcriptIDs(t, s, tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("Transcripts(%+v) = %v, want %v", tt.q, names(got), names(tt.want))
			}
		})
	}

	// Pages: the filters hold on every page and the cursor continues where the last page ended.
	want := []string{f.ID}
	for i := range 7 {
		c := conv(fmt.Sprintf("v_vip_%d", i))
		say(t, s, c, journeystate.ActorCustomer, "invoice question")
		handOff(t, s, c, journeystate.OwnerBot, "rule:vip", "support")
		other := conv(fmt.Sprintf("v_other_%d", i)) // between them: one the filters leave out
		handOff(t, s, other, journeystate.OwnerBot, "rule:vip", "sales")
		want = append(want, c.ID)
	}
	slices.Reverse(want)
	for _, tt := range []struct {
		name string
		q    journeystate.TranscriptQuery
	}{
		{"newest first", journeystate.TranscriptQuery{Trigger: "rule:vip", Team: "support", Limit: 3}},
		{"search", journeystate.TranscriptQuery{Trigger: "rule:vip", Team: "support", Text: "invoice", Limit: 3}},
	} {
		t.Run("pages, "+tt.name, func(t *testing.T) {
			var got []string
			q := tt.q
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatal("more pages than rows")
				}
				page, err := s.Transcripts(t.Context(), q)
				if err != nil {
					t.Fatalf("Transcripts(%+v) = %v", q, err)
				}
				if len(page.Rows) > q.Limit {
					t.Fatalf("page of %d rows, limit %d", len(page.Rows), q.Limit)
				}
				for _, r := range page.Rows {
					got = append(got, r.Conversation.ID)
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			if tt.q.Text != "" { // best match first: the order is the ranking's, the set must be exact
				slices.Sort(got)
				want := slices.Sorted(slices.Values(want))
				if !slices.Equal(got, want) {
					t.Errorf("pages = %v, want %v in any order", names(got), names(want))
				}
				return
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages = %v, want %v", names(got), names(want))
			}
		})
	}
}

func testTranscriptsPagination(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	var want []string
	for i := range 23 {
		c := newCustomer(t, s, fmt.Sprintf("v_page_%d", i))
		conv := newConversation(t, s, c.ID, "t")
		say(t, s, conv, journeystate.ActorCustomer, strings.Repeat("invoice ", 1+i%4)+"question")
		want = append(want, conv.ID)
	}
	slices.Reverse(want) // newest first
	for _, tt := range []struct {
		name string
		q    journeystate.TranscriptQuery
	}{
		{"newest first", journeystate.TranscriptQuery{Limit: 5}},
		{"search", journeystate.TranscriptQuery{Text: "invoice", Limit: 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			q := tt.q
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("more pages than rows")
				}
				page, err := s.Transcripts(t.Context(), q)
				if err != nil {
					t.Fatalf("Transcripts(%+v) = %v", q, err)
				}
				if len(page.Rows) > q.Limit {
					t.Fatalf("page of %d rows, limit %d", len(page.Rows), q.Limit)
				}
				for _, r := range page.Rows {
					got = append(got, r.Conversation.ID)
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			if tt.q.Text == "" {
				if !slices.Equal(got, want) {
					t.Errorf("pages = %v, want %v", got, want)
				}
				return
			}
			sorted, all := slices.Clone(got), slices.Clone(want)
			slices.Sort(sorted)
			slices.Sort(all)
			if !slices.Equal(sorted, all) {
				t.Errorf("search pages hold %d conversations (%d distinct), want each of the %d once",
					len(got), len(slices.Compact(sorted)), len(want))
			}
		})
	}
	// A cursor of one order is refused by the other.
	page, err := s.Transcripts(t.Context(), journeystate.TranscriptQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transcripts(t.Context(), journeystate.TranscriptQuery{Text: "invoice", Cursor: page.Next}); err == nil {
		t.Error("a newest-first cursor was taken by a search")
	}
}
