package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

// row returns the transcript row of conversation id.
func row(t *testing.T, s journeystate.Store, id string) journeystate.TranscriptRow {
	t.Helper()
	page, err := s.Transcripts(t.Context(), journeystate.TranscriptQuery{IDs: []string{id}})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("Transcripts(%s) = %+v, %v; want its row", id, page, err)
	}
	return page.Rows[0]
}

func testSetTags(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_tags")
	conv := newConversation(t, s, c.ID, "t")
	got, err := s.SetTags(ctx, conv.ID, []string{"  VIP ", "Billing  Issue", "vip", ""}, journeystate.ActorAgent, "manager-1")
	want := []string{"billing-issue", "vip"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("SetTags() = %v, %v; want %v", got, err, want)
	}
	if r := row(t, s, conv.ID); !slices.Equal(r.Tags, want) {
		t.Errorf("row tags = %v, want %v", r.Tags, want)
	}
	// The same tags again record nothing; new tags record the change.
	if _, err := s.SetTags(ctx, conv.ID, []string{"vip", "billing-issue"}, journeystate.ActorAgent, "manager-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetTags(ctx, conv.ID, []string{"vip"}, journeystate.ActorAgent, "manager-2"); err != nil {
		t.Fatal(err)
	}
	evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), journeystate.EventTagsChanged)
	if len(evs) != 2 {
		t.Fatalf("tags_changed events = %d, want 2", len(evs))
	}
	var p struct {
		From, To []string
		By       string
	}
	if err := json.Unmarshal(evs[1].Payload, &p); err != nil || !slices.Equal(p.From, want) ||
		!slices.Equal(p.To, []string{"vip"}) || p.By != "manager-2" || evs[1].Actor != journeystate.ActorAgent {
		t.Errorf("second tags_changed = %s by %q (%v), want from %v to [vip] by manager-2", evs[1].Payload, evs[1].Actor, err, want)
	}
	if ids := transcriptIDs(t, s, journeystate.TranscriptQuery{Tags: []string{"billing-issue"}}); ids != nil {
		t.Errorf("a removed tag still selects %v", ids)
	}

	many := make([]string, journeystate.MaxTags+1)
	for i := range many {
		many[i] = strings.Repeat("t", i+1)
	}
	for _, bad := range [][]string{{"a<b"}, {"semi;colon"}, {strings.Repeat("x", journeystate.MaxTagLen+1)}, many} {
		if _, err := s.SetTags(ctx, conv.ID, bad, journeystate.ActorAgent, "m"); err == nil {
			t.Errorf("SetTags(%.40q) = nil error, want a refusal", bad)
		}
	}
	if _, err := s.SetTags(ctx, conv.ID, []string{"x"}, "nobody", "m"); err == nil {
		t.Error("SetTags(unknown actor) = nil error")
	}
	if r := row(t, s, conv.ID); !slices.Equal(r.Tags, []string{"vip"}) {
		t.Errorf("refused SetTags changed the tags to %v", r.Tags)
	}
	if _, err := s.SetTags(ctx, "no-such-conversation", []string{"x"}, journeystate.ActorAgent, "m"); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("SetTags(unknown conversation) = %v, want ErrNotFound", err)
	}
}

func testSetReview(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_review")
	conv := newConversation(t, s, c.ID, "t")
	if err := s.SetReview(ctx, conv.ID, journeystate.ReviewEscalate, "manager-1", "rude reply"); err != nil {
		t.Fatalf("SetReview() = %v", err)
	}
	if r := row(t, s, conv.ID); r.Review != journeystate.ReviewEscalate {
		t.Errorf("row review = %q, want escalate", r.Review)
	}
	evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), journeystate.EventReviewMarked)
	var p struct{ From, To, By, Note string }
	if len(evs) != 1 || json.Unmarshal(evs[0].Payload, &p) != nil || p.To != "escalate" || p.From != "" ||
		p.By != "manager-1" || p.Note != "rude reply" {
		t.Fatalf("review_marked events = %+v, want one from none to escalate by manager-1 with the note", evs)
	}
	for _, tt := range []struct {
		mark journeystate.ReviewMark
		note string
	}{{"great", ""}, {journeystate.ReviewGood, strings.Repeat("n", journeystate.MaxReviewNote+1)}} {
		if err := s.SetReview(ctx, conv.ID, tt.mark, "m", tt.note); err == nil {
			t.Errorf("SetReview(%q, %d bytes) = nil error, want a refusal", tt.mark, len(tt.note))
		}
	}
	if err := s.SetReview(ctx, conv.ID, journeystate.ReviewNone, "manager-1", ""); err != nil {
		t.Fatal(err)
	}
	if r := row(t, s, conv.ID); r.Review != journeystate.ReviewNone {
		t.Errorf("cleared review = %q", r.Review)
	}
	if err := s.SetReview(ctx, "no-such-conversation", journeystate.ReviewGood, "m", ""); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("SetReview(unknown conversation) = %v, want ErrNotFound", err)
	}
}

func testRecordRating(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	c := newCustomer(t, s, "v_rating")
	conv := newConversation(t, s, c.ID, "t")
	say(t, s, conv, journeystate.ActorCustomer, "hi")
	move(t, s, conv, journeystate.OwnerBot, "", journeystate.OwnerClosed, "", journeystate.OutcomeResolved)
	for _, bad := range []int{0, 6, -1} {
		if _, err := s.RecordRating(ctx, conv.ID, bad, "", ""); err == nil {
			t.Errorf("RecordRating(%d) = nil error, want a refusal", bad)
		}
	}
	if _, err := s.RecordRating(ctx, conv.ID, 3, "", strings.Repeat("c", journeystate.MaxComment+1)); err == nil {
		t.Error("RecordRating(long comment) = nil error")
	}
	dup, err := s.RecordRating(ctx, conv.ID, 4, journeystate.ChannelSMS, "thanks")
	if err != nil || dup {
		t.Fatalf("RecordRating(4) = %v, %v; want stored", dup, err)
	}
	if dup, err := s.RecordRating(ctx, conv.ID, 4, journeystate.ChannelSMS, "thanks"); err != nil || !dup {
		t.Errorf("RecordRating(4) again = %v, %v; want a duplicate", dup, err)
	}
	if r := row(t, s, conv.ID); r.Rating != 4 {
		t.Errorf("rating = %d, want 4", r.Rating)
	}
	if dup, err := s.RecordRating(ctx, conv.ID, 2, "", ""); err != nil || dup {
		t.Errorf("RecordRating(2) = %v, %v; want stored", dup, err)
	}
	if r := row(t, s, conv.ID); r.Rating != 2 {
		t.Errorf("rating = %d, want 2 (the newest counts)", r.Rating)
	}
	evs := ofType(events(t, s, journeystate.EventQuery{ConversationID: conv.ID}), journeystate.EventRating)
	var p struct {
		Rating   int    `json:"rating"`
		Comment  string `json:"comment"`
		CloseSeq int64  `json:"close_seq"`
	}
	if len(evs) != 2 || json.Unmarshal(evs[0].Payload, &p) != nil || p.Rating != 4 || p.Comment != "thanks" ||
		p.CloseSeq == 0 || evs[0].Channel != journeystate.ChannelSMS || evs[0].Actor != journeystate.ActorCustomer {
		t.Errorf("rating events = %+v, want two, the first 4 \"thanks\" on sms by the customer with the close's seq", evs)
	}
	if evs[1].Channel != conv.Channel {
		t.Errorf("rating on channel %q, want the conversation's %q", evs[1].Channel, conv.Channel)
	}
	if _, err := s.RecordRating(ctx, "no-such-conversation", 3, "", ""); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("RecordRating(unknown conversation) = %v, want ErrNotFound", err)
	}
}

func testScanEvents(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	for _, v := range []string{"v_scan1", "v_scan2"} {
		c := newCustomer(t, s, v)
		conv := newConversation(t, s, c.ID, "t")
		say(t, s, conv, journeystate.ActorCustomer, "hi")
	}
	all, err := s.ScanEvents(ctx, 0, 0)
	if err != nil || len(all) < 4 {
		t.Fatalf("ScanEvents(0, 0) = %d events, %v; want the two conversations' events", len(all), err)
	}
	var got []journeystate.Event
	for after := int64(0); ; {
		page, err := s.ScanEvents(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 {
			t.Fatalf("ScanEvents(limit 3) = %d events", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Seq
	}
	if len(got) != len(all) {
		t.Fatalf("pages of 3 = %d events, want %d", len(got), len(all))
	}
	for i := range got {
		if got[i].ID != all[i].ID || (i > 0 && got[i].Seq <= got[i-1].Seq) {
			t.Fatalf("event %d = seq %d (%s), want seq order", i, got[i].Seq, got[i].Type)
		}
	}
	if _, err := s.ScanEvents(ctx, 0, -1); err == nil {
		t.Error("ScanEvents(limit -1) = nil error")
	}
}

// testTranscriptsMerge: stats and search follow conversations when customers merge and unmerge.
func testTranscriptsMerge(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	f := newMergeFixture(t, s)
	say(t, s, f.webConv, journeystate.ActorCustomer, "zebra pattern wallpaper")
	before := row(t, s, f.webConv.ID)
	m := identify(t, s, f.web.ID, verified(journeystate.IdentityEmail, sharedEmail)).Merges[0]
	check := func(when, customerID string) {
		t.Helper()
		r := row(t, s, f.webConv.ID)
		if r.Conversation.CustomerID != customerID || r.Messages != before.Messages {
			t.Errorf("%s: row = customer %s, %d messages; want %s, %d", when, r.Conversation.CustomerID, r.Messages,
				customerID, before.Messages)
		}
		if ids := transcriptIDs(t, s, journeystate.TranscriptQuery{Text: "zebra"}); !slices.Equal(ids, []string{f.webConv.ID}) {
			t.Errorf("%s: search zebra = %v, want the web conversation", when, ids)
		}
		facts, err := s.ConversationFacts(ctx, journeystate.FactsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, fa := range facts {
			if fa.ConversationID == f.webConv.ID && (fa.CustomerID != customerID || fa.Messages != before.Messages) {
				t.Errorf("%s: facts = customer %s, %d messages; want %s, %d", when, fa.CustomerID, fa.Messages,
					customerID, before.Messages)
			}
		}
	}
	check("merged", f.sms.ID)
	// The survivor's email finds the conversation it absorbed.
	if _, err := s.UpdateCustomer(ctx, f.sms.ID, journeystate.CustomerUpdate{
		Profile: journeystate.Profile{Email: sharedEmail}, Actor: journeystate.ActorSystem}); err != nil {
		t.Fatal(err)
	}
	if ids := transcriptIDs(t, s, journeystate.TranscriptQuery{Text: sharedEmail}); !slices.Contains(ids, f.webConv.ID) {
		t.Errorf("merged: search %s = %v, want the absorbed conversation among them", sharedEmail, ids)
	}
	if _, _, err := s.Unmerge(ctx, m.ID, journeystate.ActorAgent, "two people"); err != nil {
		t.Fatal(err)
	}
	check("unmerged", f.web.ID)
}

func testScanCaseEvents(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	ctx := t.Context()
	// Two customers whose events interleave in the log.
	a, b := newCustomer(t, s, "v_case_a"), newCustomer(t, s, "v_case_b")
	ca, cb := newConversation(t, s, a.ID, "t"), newConversation(t, s, b.ID, "t")
	for range 2 {
		say(t, s, ca, journeystate.ActorCustomer, "hi")
		say(t, s, cb, journeystate.ActorCustomer, "hello")
	}
	all, err := s.ScanEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []journeystate.Event
	after, afterSeq := "", int64(0)
	for {
		page, err := s.ScanCaseEvents(ctx, after, afterSeq, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after, afterSeq = page[len(page)-1].CustomerID, page[len(page)-1].Seq
	}
	if len(got) != len(all) {
		t.Fatalf("by case: %d events, want all %d", len(got), len(all))
	}
	for i := 1; i < len(got); i++ {
		p, c := got[i-1], got[i]
		if c.CustomerID < p.CustomerID || (c.CustomerID == p.CustomerID && c.Seq <= p.Seq) {
			t.Fatalf("event %d (%s, %d) after (%s, %d): want customer then seq order", i, c.CustomerID, c.Seq, p.CustomerID, p.Seq)
		}
	}
	if _, err := s.ScanCaseEvents(ctx, "", 0, -1); err == nil {
		t.Error("ScanCaseEvents(limit -1) = nil error")
	}
}
