// Package storetest is the conformance suite of journeystate.Store: every backend runs Run from its own tests and
// must pass it unchanged. It tests behaviour through the interface only: results, sentinel errors, idempotency,
// ordering and concurrency, never a backend's tables.
//
// It is test code: it must only be imported from _test.go files.
package storetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/journeybot/journeybot/journeystate"
)

// Option configures Run.
type Option func(*config)

type config struct {
	reopen func(t *testing.T, s journeystate.Store) journeystate.Store
}

// WithReopen lets Run check that data survives a restart: reopen must Close s and return a new store on the same
// data. Without it the restart test is skipped.
func WithReopen(reopen func(t *testing.T, s journeystate.Store) journeystate.Store) Option {
	return func(c *config) { c.reopen = reopen }
}

// Run runs the conformance suite. open must return a new, empty store for each call and arrange (with t.Cleanup) for
// it to be closed; closing a store twice must be harmless.
func Run(t *testing.T, open func(t *testing.T) journeystate.Store, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) journeystate.Store)
	}{
		{"ResolveIdentity", testResolveIdentity},
		{"ResolveIdentityConcurrent", testResolveIdentityConcurrent},
		{"ResolveIdentityBadInput", testResolveIdentityBadInput},
		{"FindIdentityAndCustomer", testFindIdentityAndCustomer},
		{"OpenConversation", testOpenConversation},
		{"OpenConversationConcurrent", testOpenConversationConcurrent},
		{"LatestConversation", testLatestConversation},
		{"UnansweredConversations", testUnansweredConversations},
		{"SetOwner", testSetOwner},
		{"SetOwnerBadInput", testSetOwnerBadInput},
		{"SetOwnerIllegal", testSetOwnerIllegal},
		{"SetOwnerRace", testSetOwnerRace},
		{"HandoffPacket", testHandoffPacket},
		{"ConversationsQuery", testConversationsQuery},
		{"ConversationLinks", testConversationLinks},
		{"AppendMessage", testAppendMessage},
		{"AppendMessageDuplicate", testAppendMessageDuplicate},
		{"AppendMessageBadInput", testAppendMessageBadInput},
		{"AppendMessageConcurrent", testAppendMessageConcurrent},
		{"AppendMessageConcurrentDuplicate", testAppendMessageConcurrentDuplicate},
		{"Messages", testMessages},
		{"AppendEvent", testAppendEvent},
		{"AppendEventKey", testAppendEventKey},
		{"AppendEventBadInput", testAppendEventBadInput},
		{"Events", testEvents},
		{"EventsNewest", testEventsNewest},
		{"UpdateCustomer", testUpdateCustomer},
		{"UpdateCustomerBadInput", testUpdateCustomerBadInput},
		{"SetStage", testSetStage},
		{"SetStageConcurrent", testSetStageConcurrent},
		{"SetSummary", testSetSummary},
		{"QuietConversations", testQuietConversations},
		{"IdentifyVerified", testIdentifyVerified},
		{"IdentifyClaims", testIdentifyClaims},
		{"IdentifyNeverMerge", testIdentifyNeverMerge},
		{"IdentifyMerge", testIdentifyMerge},
		{"IdentifyClientIDClash", testIdentifyClientIDClash},
		{"IdentifyConcurrent", testIdentifyConcurrent},
		{"IdentifySecondUserID", testIdentifySecondUserID},
		{"DetachIdentity", testDetachIdentity},
		{"UnmergeTakesBackLaterConversations", testUnmergeTakesBackLaterConversations},
		{"Unmerge", testUnmerge},
		{"UnmergeChain", testUnmergeChain},
		{"Knowledge", testKnowledge},
		{"KnowledgeRanking", testKnowledgeRanking},
		{"KnowledgeHostileQueries", testKnowledgeHostileQueries},
		{"KnowledgeBadInput", testKnowledgeBadInput},
		{"TranscriptsFilters", testTranscriptsFilters},
		{"TranscriptsPagination", testTranscriptsPagination},
		{"TranscriptsMerge", testTranscriptsMerge},
		{"SetTags", testSetTags},
		{"SetReview", testSetReview},
		{"RecordRating", testRecordRating},
		{"ConversationFacts", testConversationFacts},
		{"ScanEvents", testScanEvents},
		{"ScanCaseEvents", testScanCaseEvents},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
	t.Run("Reopen", func(t *testing.T) {
		if cfg.reopen == nil {
			t.Skip("no reopen hook given")
		}
		testReopen(t, open, cfg.reopen)
	})
}

// cmpOpts compare values read back from a store: times to the millisecond (a store keeps at least that), JSON by
// meaning rather than by bytes, nil and empty slices and maps alike.
var cmpOpts = cmp.Options{
	cmpopts.EquateApproxTime(time.Millisecond),
	cmp.Comparer(jsonEqual),
	// Like cmpopts.EquateEmpty, but leaving json.RawMessage to jsonEqual (two options on one value make cmp panic).
	cmp.FilterValues(bothEmpty, cmp.Comparer(func(_, _ any) bool { return true })),
}

func bothEmpty(x, y any) bool {
	if _, ok := x.(json.RawMessage); ok {
		return false
	}
	vx, vy := reflect.ValueOf(x), reflect.ValueOf(y)
	if vx.Kind() != vy.Kind() || (vx.Kind() != reflect.Slice && vx.Kind() != reflect.Map) {
		return false
	}
	return vx.Len() == 0 && vy.Len() == 0
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

func testPing(t *testing.T, open func(t *testing.T) journeystate.Store) {
	s := open(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
}

// checkUTCNow fails unless got is in UTC and near the time the test runs (the store assigned it).
func checkUTCNow(t *testing.T, what string, got time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
	if d := time.Since(got); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about now (%v)", what, got, time.Now().UTC())
	}
}

// newCustomer resolves a new anonymous web visitor.
func newCustomer(t *testing.T, s journeystate.Store, visitor string) journeystate.Customer {
	t.Helper()
	c, err := s.ResolveIdentity(t.Context(), journeystate.IdentityClaim{
		Channel: journeystate.ChannelWeb, ExternalID: visitor, Level: journeystate.LevelAnonymous,
	})
	if err != nil {
		t.Fatalf("ResolveIdentity(%s) = %v", visitor, err)
	}
	return c
}

// newConversation opens a web conversation of the customer on thread.
func newConversation(t *testing.T, s journeystate.Store, customerID, thread string) journeystate.Conversation {
	t.Helper()
	conv, _, err := s.OpenConversation(t.Context(), customerID, journeystate.ChannelWeb, thread)
	if err != nil {
		t.Fatalf("OpenConversation(%s) = %v", thread, err)
	}
	return conv
}

// customerMessage is a customer's web message in conv.
func customerMessage(conv journeystate.Conversation, clientID, text string) journeystate.Message {
	return journeystate.Message{
		ConversationID: conv.ID, CustomerID: conv.CustomerID, Author: journeystate.ActorCustomer,
		ClientID: clientID, Text: text,
	}
}

// events returns all events of the query (up to 1000), failing the test on an error.
func events(t *testing.T, s journeystate.Store, q journeystate.EventQuery) []journeystate.Event {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 1000
	}
	evs, err := s.Events(t.Context(), q)
	if err != nil {
		t.Fatalf("Events(%+v) = %v", q, err)
	}
	return evs
}

// ofType keeps the events of type typ.
func ofType(evs []journeystate.Event, typ string) []journeystate.Event {
	var out []journeystate.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
