package console_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

// memReports is an in-memory console.Reports over a memRecords: the tests add conversations with their list rows
// and facts, and journey events for ScanEvents. It records the queries and writes the console makes.
type memReports struct {
	records *memRecords

	mu      sync.Mutex
	rows    map[string]*journeystate.TranscriptRow
	facts   map[string]journeystate.ConversationFacts
	log     []journeystate.Event
	queries []journeystate.TranscriptQuery
	writes  []string
	scans   int
	// scanGate, when set, is received from before each ScanEvents call answers: the test decides when mining ends.
	scanGate chan struct{}
}

var _ console.Reports = (*memReports)(nil)

func newMemReports() *memReports {
	return &memReports{rows: map[string]*journeystate.TranscriptRow{}, facts: map[string]journeystate.ConversationFacts{}}
}

// newManagerFixture is newFixture with Reports (the returned memReports), a journey map and edit's changes.
func newManagerFixture(t *testing.T, edit func(*console.Options)) (*fixture, *memReports) {
	t.Helper()
	rep := newMemReports()
	f := newFixtureWith(t, func(o *console.Options) {
		o.Reports = rep
		o.Journey = testJourney
		if edit != nil {
			edit(o)
		}
	})
	rep.records = f.records
	t.Cleanup(f.console.Close)
	return f, rep
}

var testJourney = journeystate.JourneyMap{
	Stages: []journeystate.Stage{{Name: "awareness"}, {Name: "consideration"}, {Name: "purchase"}, {Name: "support"}},
	Paths: []journeystate.Path{
		{Name: "buy", Stages: []string{"awareness", "consideration", "purchase"}},
		{Name: "help", Stages: []string{"purchase", "support"}},
	},
}

// add stores a conversation with its customer, messages, list row and facts. row.Conversation and
// row.CustomerName name them; facts' id, customer, channel and creation are taken from the row.
func (m *memReports) add(row journeystate.TranscriptRow, facts journeystate.ConversationFacts, msgs ...journeystate.Message) {
	conv := row.Conversation
	if conv.UpdatedAt.IsZero() {
		conv.UpdatedAt = conv.CreatedAt
	}
	row.Conversation = conv
	m.records.put(conv, journeystate.Customer{ID: conv.CustomerID, Profile: journeystate.Profile{Name: row.CustomerName, Email: row.CustomerEmail}}, nil, msgs...)
	facts.ConversationID, facts.CustomerID, facts.Channel, facts.CreatedAt = conv.ID, conv.CustomerID, conv.Channel, conv.CreatedAt
	m.mu.Lock()
	defer m.mu.Unlock()
	row.Messages = len(msgs)
	m.rows[conv.ID] = &row
	m.facts[conv.ID] = facts
}

func (m *memReports) lastQuery() journeystate.TranscriptQuery {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queries) == 0 {
		return journeystate.TranscriptQuery{}
	}
	return m.queries[len(m.queries)-1]
}

func (m *memReports) Writes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.writes)
}

func (m *memReports) Scans() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.scans
}

func (m *memReports) Transcripts(ctx context.Context, q journeystate.TranscriptQuery) (journeystate.TranscriptPage, error) {
	m.mu.Lock()
	m.queries = append(m.queries, q)
	var rows []journeystate.TranscriptRow
	for _, r := range m.rows {
		rows = append(rows, *r)
	}
	m.mu.Unlock()
	var out []journeystate.TranscriptRow
	for _, r := range rows {
		c := r.Conversation
		switch {
		case q.Channel != "" && c.Channel != q.Channel,
			q.Stage != "" && r.Stage != q.Stage,
			q.Handling == journeystate.HandlingHandedOff && !r.HandedOff,
			q.Handling == journeystate.HandlingContained && (r.HandedOff || r.Outcome == ""),
			q.AgentID != "" && !slices.Contains(r.Agents, q.AgentID),
			// The rows hold the first trigger only: enough for the fake's conversations.
			q.Trigger != "" && r.Trigger != q.Trigger,
			q.Team != "" && c.Team != q.Team,
			q.Outcome != "" && r.Outcome != q.Outcome,
			!q.From.IsZero() && c.CreatedAt.Before(q.From),
			!q.To.IsZero() && !c.CreatedAt.Before(q.To),
			q.MinRating > 0 && r.Rating < q.MinRating,
			q.MaxRating > 0 && (r.Rating == 0 || r.Rating > q.MaxRating),
			q.Review != "" && r.Review != q.Review,
			len(q.IDs) > 0 && !slices.Contains(q.IDs, c.ID):
			continue
		}
		if !containsAll(r.Tags, q.Tags) {
			continue
		}
		if q.Text != "" {
			snippet, ok := m.match(c.ID, q.Text)
			if !ok {
				continue
			}
			r.Snippet = snippet
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b journeystate.TranscriptRow) int {
		return cmp.Or(b.Conversation.CreatedAt.Compare(a.Conversation.CreatedAt), cmp.Compare(b.Conversation.ID, a.Conversation.ID))
	})
	off := 0
	if q.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(q.Cursor, "off:"))
		if err != nil || !strings.HasPrefix(q.Cursor, "off:") {
			return journeystate.TranscriptPage{}, errors.New("bad cursor")
		}
		off = n
	}
	limit := cmp.Or(q.Limit, 50)
	limit = min(limit, 200)
	var page journeystate.TranscriptPage
	if off < len(out) {
		end := min(off+limit, len(out))
		page.Rows = out[off:end]
		if end < len(out) {
			page.Next = fmt.Sprintf("off:%d", end)
		}
	}
	return page, nil
}

// match finds text (one word, case-insensitive) in the conversation's messages and returns the message with the
// word between the snippet markers, as the store does.
func (m *memReports) match(convID, text string) (string, bool) {
	m.records.mu.Lock()
	defer m.records.mu.Unlock()
	for _, msg := range m.records.messages[convID] {
		i := strings.Index(strings.ToLower(msg.Text), strings.ToLower(text))
		if i >= 0 {
			return msg.Text[:i] + journeystate.SnippetOpen + msg.Text[i:i+len(text)] + journeystate.SnippetClose + msg.Text[i+len(text):], true
		}
	}
	return "", false
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func (m *memReports) SetTags(ctx context.Context, id string, tags []string, actor journeystate.Actor, by string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[id]
	if !ok {
		return nil, journeystate.ErrNotFound
	}
	tags, err := journeystate.NormalizeTags(tags)
	if err != nil {
		return nil, err
	}
	r.Tags = tags
	m.writes = append(m.writes, fmt.Sprintf("tags %s %s by %s: %s", id, actor, by, strings.Join(tags, ",")))
	return tags, nil
}

func (m *memReports) SetReview(ctx context.Context, id string, mark journeystate.ReviewMark, by, note string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[id]
	if !ok {
		return journeystate.ErrNotFound
	}
	r.Review = mark
	m.writes = append(m.writes, fmt.Sprintf("review %s %s by %s: %s", id, mark, by, note))
	return nil
}

func (m *memReports) ConversationFacts(ctx context.Context, q journeystate.FactsQuery) ([]journeystate.ConversationFacts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []journeystate.ConversationFacts
	for _, f := range m.facts {
		if (!q.From.IsZero() && f.CreatedAt.Before(q.From)) || (!q.To.IsZero() && !f.CreatedAt.Before(q.To)) {
			continue
		}
		if q.After != "" {
			t, id, err := journeystate.ParseFactsCursor(q.After)
			if err != nil {
				return nil, err
			}
			if c := f.CreatedAt.Compare(t); c < 0 || c == 0 && f.ConversationID <= id {
				continue
			}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b journeystate.ConversationFacts) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ConversationID, b.ConversationID))
	})
	limit := min(cmp.Or(q.Limit, 1000), 10000)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memReports) ScanEvents(ctx context.Context, after int64, limit int) ([]journeystate.Event, error) {
	m.mu.Lock()
	gate := m.scanGate
	m.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if after == 0 {
		m.scans++
	}
	var out []journeystate.Event
	for _, e := range m.log {
		if e.Seq > after && len(out) < min(cmp.Or(limit, 1000), 10000) {
			out = append(out, e)
		}
	}
	return out, nil
}

// event appends e to the journey log (ScanEvents) and to its customer's events (Records.Events), with the next
// sequence number.
func (m *memReports) event(e journeystate.Event) {
	m.mu.Lock()
	e.Seq = int64(len(m.log) + 1)
	m.log = append(m.log, e)
	m.mu.Unlock()
	m.records.mu.Lock()
	defer m.records.mu.Unlock()
	m.records.events["customer:"+e.CustomerID] = append(m.records.events["customer:"+e.CustomerID], e)
}
