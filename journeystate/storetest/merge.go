package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/journeybot/journeybot/journeystate"
)

const sharedEmail = "ada@example.com"

// mergeFixture is two customers about to be found one person: an SMS customer holding a verified email, and a
// newer anonymous web visitor who is about to verify the same address, each with a conversation, messages, events
// in and out of it, traits and a stage.
type mergeFixture struct {
	sms, web         journeystate.Customer // as they are before the merge
	smsConv, webConv journeystate.Conversation
}

func newMergeFixture(t *testing.T, s journeystate.Store) mergeFixture {
	t.Helper()
	ctx := t.Context()
	var f mergeFixture
	var err error
	f.sms, err = s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelSMS,
		ExternalID: "+14155550100", Level: journeystate.LevelVerified, Profile: journeystate.Profile{Phone: "+14155550100"}})
	if err != nil {
		t.Fatal(err)
	}
	identify(t, s, f.sms.ID, verified(journeystate.IdentityEmail, sharedEmail))
	f.smsConv, _, err = s.OpenConversation(ctx, f.sms.ID, journeystate.ChannelSMS, "+14155550100")
	if err != nil {
		t.Fatal(err)
	}
	appendCustomerMessages(t, s, f.smsConv, "sms", 2)
	f.web = newCustomer(t, s, "v_merge_web")
	f.webConv = newConversation(t, s, f.web.ID, "v_merge_web")
	appendCustomerMessages(t, s, f.webConv, "web", 3)
	for _, e := range []journeystate.Event{
		{CustomerID: f.sms.ID, Type: "order_placed", Actor: journeystate.ActorSystem},
		{CustomerID: f.web.ID, Type: "viewed_pricing", Actor: journeystate.ActorCustomer},
		{CustomerID: f.web.ID, ConversationID: f.webConv.ID, Type: "bot_turn", Actor: journeystate.ActorBot},
	} {
		if _, _, err := s.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		id string
		u  journeystate.CustomerUpdate
	}{
		{f.sms.ID, journeystate.CustomerUpdate{Traits: map[string]string{"plan": "free", "region": "eu"},
			Actor: journeystate.ActorSystem}},
		{f.web.ID, journeystate.CustomerUpdate{Profile: journeystate.Profile{Name: "Ada"},
			Traits: map[string]string{"plan": "pro", "color": "red"}, Facts: map[string]string{"model": "T2"},
			Actor: journeystate.ActorBot}},
	} {
		if _, err := s.UpdateCustomer(ctx, u.id, u.u); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.SetStage(ctx, f.web.ID, journeystate.StageChange{To: "consideration", Actor: journeystate.ActorRule}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*journeystate.Customer{&f.sms, &f.web} {
		if *c, err = s.Customer(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// history is everything a customer holds, to compare before a merge and after its undoing.
type history struct {
	identities []journeystate.Identity
	messages   map[string][]journeystate.Message // by conversation
	events     []journeystate.Event
}

func historyOf(t *testing.T, s journeystate.Store, customerID string, convs ...journeystate.Conversation) history {
	t.Helper()
	h := history{identities: identities(t, s, customerID), messages: make(map[string][]journeystate.Message),
		events: events(t, s, journeystate.EventQuery{CustomerID: customerID})}
	for _, c := range convs {
		msgs, err := s.Messages(t.Context(), c.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		h.messages[c.ID] = msgs
	}
	return h
}

func testIdentifyMerge(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	f := newMergeFixture(t, s)
	webBefore := historyOf(t, s, f.web.ID, f.webConv)

	res := identify(t, s, f.web.ID, verified(journeystate.IdentityEmail, sharedEmail))
	if len(res.Merges) != 1 || len(res.Refused) != 0 {
		t.Fatalf("Identify() = %d merges, %d refusals; want 1 merge", len(res.Merges), len(res.Refused))
	}
	m := res.Merges[0]
	// The SMS customer is the older one: it survives.
	if m.SurvivorID != f.sms.ID || m.AbsorbedID != f.web.ID || m.ID == "" || !m.UndoneAt.IsZero() {
		t.Errorf("merge = %+v, want %s surviving %s", m, f.sms.ID, f.web.ID)
	}
	if m.Claim.Channel != journeystate.IdentityEmail || m.Claim.ExternalID != sharedEmail || m.Evidence != "test evidence" {
		t.Errorf("merge claim, evidence = %+v, %q; want the email claim and its evidence", m.Claim, m.Evidence)
	}
	checkUTCNow(t, "merge CreatedAt", m.CreatedAt)
	if res.Customer.ID != f.sms.ID {
		t.Errorf("Identify().Customer = %s, want the survivor %s", res.Customer.ID, f.sms.ID)
	}
	// The survivor's empty fields are filled from the absorbed, its traits win, it takes the absorbed's stage.
	want := f.sms
	want.Profile.Name = "Ada"
	want.Traits = map[string]string{"plan": "free", "region": "eu", "color": "red"}
	want.Memory.Facts = map[string]string{"model": "T2"}
	want.Stage = "consideration"
	want.UpdatedAt = res.Customer.UpdatedAt
	if diff := cmp.Diff(want, res.Customer, cmpOpts); diff != "" {
		t.Errorf("survivor mismatch (-want +got):\n%s", diff)
	}

	absorbed, err := s.Customer(ctx, f.web.ID)
	if err != nil || absorbed.MergedInto != f.sms.ID {
		t.Errorf("Customer(absorbed) = MergedInto %q, %v; want %s", absorbed.MergedInto, err, f.sms.ID)
	}
	if n := len(identities(t, s, f.web.ID)); n != 0 {
		t.Errorf("absorbed customer holds %d identities, want none", n)
	}
	if n := len(events(t, s, journeystate.EventQuery{CustomerID: f.web.ID})); n != 0 {
		t.Errorf("absorbed customer holds %d events, want none", n)
	}
	resolved, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "v_merge_web"})
	if err != nil || resolved.ID != f.sms.ID {
		t.Errorf("ResolveIdentity(absorbed's visitor id) = %s, %v; want the survivor %s", resolved.ID, err, f.sms.ID)
	}
	conv, err := s.Conversation(ctx, f.webConv.ID)
	if err != nil || conv.CustomerID != f.sms.ID {
		t.Errorf("absorbed's conversation belongs to %q (%v), want %s", conv.CustomerID, err, f.sms.ID)
	}
	if again, _, err := s.OpenConversation(ctx, f.sms.ID, journeystate.ChannelWeb, "v_merge_web"); err != nil || again.ID != f.webConv.ID {
		t.Errorf("OpenConversation(survivor, absorbed's thread) = %s, %v; want the absorbed's conversation %s", again.ID, err, f.webConv.ID)
	}
	for _, msg := range historyOf(t, s, f.sms.ID, f.webConv).messages[f.webConv.ID] {
		if msg.CustomerID != f.sms.ID {
			t.Errorf("message %d belongs to %s, want the survivor", msg.Seq, msg.CustomerID)
		}
	}
	if got, err := s.MessageByClientID(ctx, f.sms.ID, "web-1"); err != nil || got.ConversationID != f.webConv.ID {
		t.Errorf("MessageByClientID(survivor, absorbed's client id) = %+v, %v", got, err)
	}
	// Every event of the absorbed is the survivor's now, unchanged but for the customer.
	survivorEvents := events(t, s, journeystate.EventQuery{CustomerID: f.sms.ID})
	bySeq := make(map[int64]journeystate.Event)
	for _, e := range survivorEvents {
		bySeq[e.Seq] = e
	}
	for _, e := range webBefore.events {
		e.CustomerID = f.sms.ID
		if diff := cmp.Diff(e, bySeq[e.Seq], cmpOpts); diff != "" {
			t.Errorf("absorbed's event %d (%s) mismatch (-want +got):\n%s", e.Seq, e.Type, diff)
		}
	}
	merged := ofType(survivorEvents, "customers_merged")
	if len(merged) != 1 {
		t.Fatalf("customers_merged events = %d, want 1", len(merged))
	}
	var payload struct {
		MergeID    string `json:"merge_id"`
		AbsorbedID string `json:"absorbed_id"`
		Evidence   string `json:"evidence"`
	}
	if err := json.Unmarshal(merged[0].Payload, &payload); err != nil || payload.MergeID != m.ID ||
		payload.AbsorbedID != f.web.ID || payload.Evidence != "test evidence" {
		t.Errorf("customers_merged payload = %s (%v), want merge %s, absorbed %s and the evidence", merged[0].Payload, err, m.ID, f.web.ID)
	}

	for _, id := range []string{f.sms.ID, f.web.ID} {
		got, err := s.Merges(ctx, id)
		if err != nil {
			t.Fatalf("Merges(%s) = %v", id, err)
		}
		if diff := cmp.Diff([]journeystate.Merge{m}, got, cmpOpts); diff != "" {
			t.Errorf("Merges(%s) mismatch (-want +got):\n%s", id, diff)
		}
	}
	if _, err := s.Merges(ctx, "no-such-customer"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Merges(unknown) = %v, want ErrNotFound", err)
	}

	// The absorbed customer is read-only now, and Identify follows it to the survivor.
	if _, err := s.UpdateCustomer(ctx, f.web.ID, journeystate.CustomerUpdate{Traits: map[string]string{"a": "b"},
		Actor: journeystate.ActorBot}); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("UpdateCustomer(absorbed) = %v, want ErrConflict", err)
	}
	if _, _, err := s.SetStage(ctx, f.web.ID, journeystate.StageChange{From: "consideration", To: "purchase",
		Actor: journeystate.ActorBot}); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("SetStage(absorbed) = %v, want ErrConflict", err)
	}
	followed := identify(t, s, f.web.ID, verified(journeystate.IdentityUser, "u-ada"))
	if followed.Customer.ID != f.sms.ID || len(followed.Added) != 1 || followed.Added[0].CustomerID != f.sms.ID {
		t.Errorf("Identify(absorbed) = customer %s, added %+v; want the survivor %s to get the identity", followed.Customer.ID, followed.Added, f.sms.ID)
	}
}

func testUnmerge(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	f := newMergeFixture(t, s)
	smsBefore := historyOf(t, s, f.sms.ID, f.smsConv)
	webBefore := historyOf(t, s, f.web.ID, f.webConv)
	m := identify(t, s, f.web.ID, verified(journeystate.IdentityEmail, sharedEmail)).Merges[0]

	// After the merge the visitor writes again in their (now the survivor's) conversation, and the survivor gains
	// a trait of its own: the message goes back with the conversation, the trait stays.
	movedConv := f.webConv
	movedConv.CustomerID = f.sms.ID
	late := appendCustomerMessages(t, s, movedConv, "late", 1)[0]
	if _, err := s.UpdateCustomer(ctx, f.sms.ID, journeystate.CustomerUpdate{Traits: map[string]string{"seats": "3"},
		Actor: journeystate.ActorAgent}); err != nil {
		t.Fatal(err)
	}

	survivor, restored, err := s.Unmerge(ctx, m.ID, journeystate.ActorAgent, "two people")
	if err != nil {
		t.Fatalf("Unmerge() = %v", err)
	}
	ignoreUpdated := cmpopts.IgnoreFields(journeystate.Customer{}, "UpdatedAt")
	if diff := cmp.Diff(f.web, restored, cmpOpts, ignoreUpdated); diff != "" {
		t.Errorf("restored customer differs from before the merge (-before +restored):\n%s", diff)
	}
	wantSurvivor := f.sms
	wantSurvivor.Traits = map[string]string{"plan": "free", "region": "eu", "seats": "3"}
	if diff := cmp.Diff(wantSurvivor, survivor, cmpOpts, ignoreUpdated); diff != "" {
		t.Errorf("survivor mismatch (-want +got):\n%s", diff)
	}
	for _, c := range []journeystate.Customer{survivor, restored} {
		stored, err := s.Customer(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, stored, cmpOpts); diff != "" {
			t.Errorf("Unmerge() returned another customer than stored (-returned +stored):\n%s", diff)
		}
	}

	smsAfter := historyOf(t, s, f.sms.ID, f.smsConv)
	webAfter := historyOf(t, s, f.web.ID, f.webConv)
	if diff := cmp.Diff(smsBefore.identities, smsAfter.identities, cmpOpts); diff != "" {
		t.Errorf("survivor's identities (-before merge +after unmerge):\n%s", diff)
	}
	if diff := cmp.Diff(webBefore.identities, webAfter.identities, cmpOpts); diff != "" {
		t.Errorf("restored customer's identities (-before merge +after unmerge):\n%s", diff)
	}
	if diff := cmp.Diff(smsBefore.messages, smsAfter.messages, cmpOpts); diff != "" {
		t.Errorf("survivor's messages (-before merge +after unmerge):\n%s", diff)
	}
	late.CustomerID = f.web.ID
	wantMessages := map[string][]journeystate.Message{f.webConv.ID: append(webBefore.messages[f.webConv.ID], late)}
	if diff := cmp.Diff(wantMessages, webAfter.messages, cmpOpts); diff != "" {
		t.Errorf("restored customer's messages (-want +got):\n%s", diff)
	}
	// The restored customer's log: what it had, the late message, the unmerge.
	if n := len(webBefore.events); len(webAfter.events) != n+2 {
		t.Fatalf("restored customer has %d events, want %d (before) + 2", len(webAfter.events), n)
	}
	if diff := cmp.Diff(webBefore.events, webAfter.events[:len(webBefore.events)], cmpOpts); diff != "" {
		t.Errorf("restored customer's events (-before merge +after unmerge):\n%s", diff)
	}
	if got := typesOf(webAfter.events[len(webBefore.events):]); got != "message customers_unmerged" {
		t.Errorf("restored customer's new events = %s, want message customers_unmerged", got)
	}
	// The survivor's log: what it had, then the merge, its own update and the unmerge.
	if diff := cmp.Diff(smsBefore.events, smsAfter.events[:min(len(smsBefore.events), len(smsAfter.events))], cmpOpts); diff != "" {
		t.Errorf("survivor's events (-before merge +after unmerge):\n%s", diff)
	}
	if got := typesOf(smsAfter.events[len(smsBefore.events):]); got != "customers_merged customer_updated customers_unmerged" {
		t.Errorf("survivor's new events = %s, want customers_merged customer_updated customers_unmerged", got)
	}
	resolved, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: "v_merge_web"})
	if err != nil || resolved.ID != f.web.ID {
		t.Errorf("ResolveIdentity(visitor) after unmerge = %s, %v; want %s", resolved.ID, err, f.web.ID)
	}

	merges, err := s.Merges(ctx, f.web.ID)
	if err != nil || len(merges) != 1 {
		t.Fatalf("Merges() = %d, %v; want 1", len(merges), err)
	}
	checkUTCNow(t, "UndoneAt", merges[0].UndoneAt)
	if merges[0].UndoneCause != "two people" {
		t.Errorf("UndoneCause = %q, want the cause", merges[0].UndoneCause)
	}
	if _, _, err := s.Unmerge(ctx, m.ID, journeystate.ActorAgent, "again"); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("Unmerge(undone) = %v, want ErrConflict", err)
	}
	if _, _, err := s.Unmerge(ctx, "no-such-merge", journeystate.ActorAgent, ""); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("Unmerge(unknown) = %v, want ErrNotFound", err)
	}

	// The two are never merged automatically again.
	res := identify(t, s, f.web.ID, verified(journeystate.IdentityEmail, sharedEmail))
	if len(res.Merges) != 0 || len(res.Refused) != 1 || res.Refused[0].OtherCustomerID != f.sms.ID {
		t.Errorf("Identify(after unmerge) = %d merges, refusals %+v; want a refusal naming %s", len(res.Merges), res.Refused, f.sms.ID)
	}
}

func testUnmergeChain(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	oldest := newCustomer(t, s, "v_chain_1")
	identify(t, s, oldest.ID, verified(journeystate.IdentityUser, "u-chain"))
	middle := newCustomer(t, s, "v_chain_2")
	identify(t, s, middle.ID, verified(journeystate.IdentityEmail, "chain@example.com"))
	newest := newCustomer(t, s, "v_chain_3")
	// newest joins middle (middle survives), then the survivor joins oldest.
	first := identify(t, s, newest.ID, verified(journeystate.IdentityEmail, "chain@example.com")).Merges[0]
	second := identify(t, s, newest.ID, verified(journeystate.IdentityUser, "u-chain"))
	if len(second.Merges) != 1 || second.Customer.ID != oldest.ID || second.Merges[0].AbsorbedID != middle.ID {
		t.Fatalf("second Identify = %+v, want %s absorbed into %s", second.Merges, middle.ID, oldest.ID)
	}
	if _, _, err := s.Unmerge(ctx, first.ID, journeystate.ActorAgent, ""); !errors.Is(err, journeystate.ErrConflict) {
		t.Errorf("Unmerge(first, its survivor merged since) = %v, want ErrConflict", err)
	}
	if _, _, err := s.Unmerge(ctx, second.Merges[0].ID, journeystate.ActorAgent, ""); err != nil {
		t.Fatalf("Unmerge(second) = %v", err)
	}
	if _, _, err := s.Unmerge(ctx, first.ID, journeystate.ActorAgent, ""); err != nil {
		t.Errorf("Unmerge(first, after the second) = %v", err)
	}
	// Each stands alone again with its own identities; the user id newest claimed went to oldest with the merge.
	tests := []struct {
		c    journeystate.Customer
		want []string
	}{
		{oldest, []string{"web/v_chain_1", "user/u-chain"}},
		{middle, []string{"web/v_chain_2", "email/chain@example.com"}},
		{newest, []string{"web/v_chain_3"}},
	}
	for _, tt := range tests {
		var got []string
		for _, id := range identities(t, s, tt.c.ID) {
			got = append(got, id.Channel+"/"+id.ExternalID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("identities of %s (-want +got):\n%s", tt.c.ID, diff)
		}
		if c, err := s.Customer(ctx, tt.c.ID); err != nil || c.MergedInto != "" {
			t.Errorf("Customer(%s) = MergedInto %q, %v; want none", tt.c.ID, c.MergedInto, err)
		}
	}
}

func testIdentifyClientIDClash(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	a := newCustomer(t, s, "v_clash_a")
	identify(t, s, a.ID, verified(journeystate.IdentityEmail, "clash@example.com"))
	appendCustomerMessages(t, s, newConversation(t, s, a.ID, "t"), "same", 1)
	b := newCustomer(t, s, "v_clash_b")
	appendCustomerMessages(t, s, newConversation(t, s, b.ID, "t"), "same", 1)
	before := historyOf(t, s, b.ID)

	res := identify(t, s, b.ID, verified(journeystate.IdentityEmail, "clash@example.com"))
	if len(res.Merges) != 0 || len(res.Refused) != 1 || !strings.Contains(res.Refused[0].Reason, "client id") {
		t.Fatalf("Identify(clashing client ids) = %d merges, refusals %+v; want a refusal about the client id", len(res.Merges), res.Refused)
	}
	after := historyOf(t, s, b.ID)
	if diff := cmp.Diff(before.identities, after.identities, cmpOpts); diff != "" {
		t.Errorf("identities changed (-before +after):\n%s", diff)
	}
	if got := typesOf(after.events[len(before.events):]); got != "merge_refused" {
		t.Errorf("new events = %s, want merge_refused", got)
	}
}

func testIdentifyConcurrent(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	holder := newCustomer(t, s, "v_race_holder")
	identify(t, s, holder.ID, verified(journeystate.IdentityEmail, "race@example.com"))
	visitors := []journeystate.Customer{newCustomer(t, s, "v_race_1"), newCustomer(t, s, "v_race_2")}
	const n = 8
	results := make([]journeystate.IdentifyResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Half the calls for one visitor, half for the other: every call merges its visitor or finds it merged.
			results[i], errs[i] = s.Identify(t.Context(), visitors[i%2].ID,
				[]journeystate.IdentityClaim{verified(journeystate.IdentityEmail, "race@example.com")}, fmt.Sprint("call ", i))
		})
	}
	wg.Wait()
	merges := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Identify #%d = %v", i, errs[i])
		}
		merges += len(results[i].Merges)
		if results[i].Customer.ID != holder.ID {
			t.Errorf("Identify #%d customer = %s, want the holder %s", i, results[i].Customer.ID, holder.ID)
		}
	}
	if merges != 2 {
		t.Errorf("racing Identify calls merged %d times, want 2 (once per visitor)", merges)
	}
	got, err := s.Merges(t.Context(), holder.ID)
	if err != nil || len(got) != 2 {
		t.Errorf("Merges(holder) = %d, %v; want 2", len(got), err)
	}
	if n := len(ofType(events(t, s, journeystate.EventQuery{CustomerID: holder.ID}), "customers_merged")); n != 2 {
		t.Errorf("customers_merged events = %d, want 2", n)
	}
}

// typesOf lists the events' types, space-separated.
func typesOf(evs []journeystate.Event) string {
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
	}
	return strings.Join(types, " ")
}
