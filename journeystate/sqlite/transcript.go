package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// Limits of the transcript list.
const (
	// DefaultTranscriptLimit is used when a TranscriptQuery has no Limit.
	DefaultTranscriptLimit = 50
	// MaxTranscriptLimit caps TranscriptQuery.Limit.
	MaxTranscriptLimit = 200
)

// snippetTokens is how many tokens a search snippet holds.
const snippetTokens = 12

// Transcripts returns one page of the conversations q selects; see journeystate.Store and TranscriptQuery. It reads
// conversation_stats (one row per conversation, see stats.go): without Text it walks the conversations newest first
// along an index, with Text it ranks the matches of the two search indexes by BM25 (a conversation's rank is its best
// message's or its customer's; the ranks of the two indexes are not on one scale, so a customer match and a message
// match order roughly). q.Limit 0 means DefaultTranscriptLimit; it is capped at MaxTranscriptLimit.
func (s *Store) Transcripts(ctx context.Context, q journeystate.TranscriptQuery) (journeystate.TranscriptPage, error) {
	page, err := s.transcripts(ctx, q)
	if err != nil {
		return journeystate.TranscriptPage{}, fmt.Errorf("transcripts: %w", err)
	}
	return page, nil
}

func (s *Store) transcripts(ctx context.Context, q journeystate.TranscriptQuery) (journeystate.TranscriptPage, error) {
	limit, err := clampLimit(q.Limit, DefaultTranscriptLimit, MaxTranscriptLimit)
	if err != nil {
		return journeystate.TranscriptPage{}, err
	}
	where, args, err := transcriptFilters(q)
	if err != nil {
		return journeystate.TranscriptPage{}, err
	}
	match := ""
	if strings.TrimSpace(q.Text) != "" {
		if match = phraseQuery(q.Text); match == "" {
			return journeystate.TranscriptPage{}, nil // words were asked for, none was given: nothing matches
		}
	}
	cur, err := parseTranscriptCursor(q.Cursor, match != "")
	if err != nil {
		return journeystate.TranscriptPage{}, err
	}
	var query string
	var qargs []any
	if match == "" {
		if cur != nil {
			where, args = append(where, `(s.created_at, s.conversation_id) < (?, ?)`), append(args, cur.key, cur.id)
		}
		query = `SELECT ` + transcriptColumns + `, 0, '', 0 FROM conversation_stats s
			JOIN conversations c ON c.id = s.conversation_id JOIN customers u ON u.id = c.customer_id
			WHERE ` + and(where) + ` ORDER BY s.created_at DESC, s.conversation_id DESC LIMIT ?`
		qargs = append(args, limit+1)
	} else {
		if cur != nil {
			where, args = append(where, `(b.rank, s.conversation_id) > (?, ?)`), append(args, cur.rank, cur.id)
		}
		// A conversation's best hit: SQLite takes the bare columns src and hit from the row whose rank is MIN.
		query = `WITH hits (conversation_id, rank, src, hit) AS (
				SELECT conversation_id, bm25(message_search), 'm', rowid FROM message_search
				WHERE message_search MATCH ?
				UNION ALL
				SELECT v.id, bm25(customer_search), 'c', customer_search.rowid FROM customer_search
				JOIN customer_search_rows r ON r.row = customer_search.rowid
				JOIN conversations v ON v.customer_id = r.customer_id
				WHERE customer_search MATCH ?),
			best AS (SELECT conversation_id, MIN(rank) AS rank, src, hit FROM hits GROUP BY conversation_id)
			SELECT ` + transcriptColumns + `, b.rank, b.src, b.hit FROM best b
			JOIN conversation_stats s ON s.conversation_id = b.conversation_id
			JOIN conversations c ON c.id = s.conversation_id JOIN customers u ON u.id = c.customer_id
			WHERE ` + and(where) + ` ORDER BY b.rank, s.conversation_id LIMIT ?`
		qargs = append(append([]any{match, match}, args...), limit+1)
	}
	var page journeystate.TranscriptPage
	err = s.inRead(ctx, func(tx *sql.Tx) error {
		page = journeystate.TranscriptPage{}
		rows, err := tx.QueryContext(ctx, query, qargs...)
		found, err := collect(rows, err, scanTranscriptRow)
		if err != nil {
			return err
		}
		if len(found) > limit {
			last := found[limit-1]
			next := transcriptCursor{id: last.row.Conversation.ID, key: formatTime(last.row.Conversation.CreatedAt)}
			if match != "" {
				next = transcriptCursor{id: last.row.Conversation.ID, rank: last.rank}
			}
			page.Next = next.String(match != "")
			found = found[:limit]
		}
		for _, f := range found {
			if match != "" {
				if f.row.Snippet, err = snippet(ctx, tx, f.src, f.hit, match); err != nil {
					return err
				}
			}
			page.Rows = append(page.Rows, f.row)
		}
		return nil
	})
	return page, err
}

// snippet returns the text of the search hit (src "m": a message_search row, "c": a customer_search row) with its
// matched terms between the journeystate snippet markers.
func snippet(ctx context.Context, tx *sql.Tx, src string, hit int64, match string) (string, error) {
	table := "message_search"
	if src == "c" {
		table = "customer_search"
	}
	var out string
	err := tx.QueryRowContext(ctx, `SELECT snippet(`+table+`, -1, ?, ?, '…', ?) FROM `+table+`
		WHERE `+table+` MATCH ? AND rowid = ?`,
		journeystate.SnippetOpen, journeystate.SnippetClose, snippetTokens, match, hit).Scan(&out)
	if err != nil {
		return "", fmt.Errorf("snippet: %w", err)
	}
	return out, nil
}

// transcriptFilters turns q's filters (all but Text and Cursor) into conditions on conversation_stats s.
func transcriptFilters(q journeystate.TranscriptQuery) ([]string, []any, error) {
	where := []string{"1"}
	var args []any
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if q.Channel != "" {
		add(`s.channel = ?`, q.Channel)
	}
	if q.Stage != "" {
		add(`s.stage = ?`, q.Stage)
	}
	switch q.Handling {
	case "":
	case journeystate.HandlingHandedOff:
		add(`s.handoffs > 0`)
	case journeystate.HandlingContained:
		if q.IdleBefore.IsZero() {
			add(`s.handoffs = 0 AND s.closed_us IS NOT NULL`)
		} else {
			add(`s.handoffs = 0 AND (s.closed_us IS NOT NULL OR s.last_message_us < ?)`, micros(q.IdleBefore))
		}
	default:
		return nil, nil, fmt.Errorf("handling %q is not contained or handed_off", q.Handling)
	}
	if q.AgentID != "" {
		// EXISTS probes the key per row as the list walks newest first, and stops with the page; an IN list would
		// be built whole first.
		add(`EXISTS (SELECT 1 FROM conversation_agents a WHERE a.agent_id = ? AND a.conversation_id = s.conversation_id)`, q.AgentID)
	}
	for _, v := range []struct{ name, value string }{{"trigger", q.Trigger}, {"team", q.Team}} {
		if len(v.value) > journeystate.MaxFilterValue {
			return nil, nil, fmt.Errorf("%s of %d bytes, at most %d", v.name, len(v.value), journeystate.MaxFilterValue)
		}
	}
	if q.Trigger != "" {
		// A per-row probe of the row's own short JSON array, like the agent filter's: it stops with the page. A
		// conversation never handed off has '[]' and is passed over without opening it.
		add(`s.handoffs > 0 AND EXISTS (SELECT 1 FROM json_each(s.triggers) WHERE value = ?)`, q.Trigger)
	}
	if q.Team != "" {
		add(`s.team = ?`, q.Team)
	}
	if q.Outcome != "" {
		add(`s.outcome = ?`, q.Outcome)
	}
	if !q.From.IsZero() {
		add(`s.created_at >= ?`, formatTime(q.From))
	}
	if !q.To.IsZero() {
		add(`s.created_at < ?`, formatTime(q.To))
	}
	if len(q.Tags) > 0 {
		tags, err := journeystate.NormalizeTags(q.Tags)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range tags {
			add(`EXISTS (SELECT 1 FROM conversation_tags g WHERE g.tag = ? AND g.conversation_id = s.conversation_id)`, t)
		}
	}
	for _, r := range []int{q.MinRating, q.MaxRating} {
		if r != 0 && (r < journeystate.MinRating || r > journeystate.MaxRating) {
			return nil, nil, fmt.Errorf("rating bound %d is not between %d and %d", r, journeystate.MinRating, journeystate.MaxRating)
		}
	}
	if q.MinRating != 0 {
		add(`s.rating >= ?`, q.MinRating)
	}
	if q.MaxRating != 0 {
		add(`s.rating BETWEEN 1 AND ?`, q.MaxRating)
	}
	if !journeystate.ValidReviewMark(q.Review) {
		return nil, nil, fmt.Errorf("review mark %q is not good, needs_work or escalate", q.Review)
	}
	if q.Review != "" {
		add(`s.review = ?`, string(q.Review))
	}
	if len(q.IDs) > journeystate.MaxTranscriptIDs {
		return nil, nil, fmt.Errorf("%d ids, at most %d", len(q.IDs), journeystate.MaxTranscriptIDs)
	}
	if q.IDs != nil {
		ids, err := json.Marshal(q.IDs)
		if err != nil {
			return nil, nil, err
		}
		add(`s.conversation_id IN (SELECT value FROM json_each(?))`, string(ids))
	}
	return where, args, nil
}

func and(conds []string) string { return strings.Join(conds, " AND ") }

// phraseQuery turns a manager's free text into an FTS5 query that matches rows holding all of its words: each
// whitespace-separated chunk becomes a quoted phrase of its words (split as ftsQuery splits them), so that
// "ann@example.com" is the phrase "ann example com" and no character of the text (quotes, *, ^, :, -,
// parentheses, AND/OR/NOT/NEAR) has a syntax meaning. At most maxQueryTerms phrases are kept; "" when there is no
// word.
func phraseQuery(text string) string {
	var phrases []string
	for _, chunk := range strings.Fields(text) {
		words := strings.FieldsFunc(strings.ToLower(chunk), isSeparator)
		if len(words) == 0 {
			continue
		}
		if len(phrases) == maxQueryTerms {
			break
		}
		// A word holds no '"' (it is not a letter), so quoting the phrase needs no escaping.
		phrases = append(phrases, `"`+strings.Join(words, " ")+`"`)
	}
	return strings.Join(phrases, " ")
}

// transcriptCursor is where a transcript page ends: the last row's created_at (newest-first order) or rank (search
// order), and its id.
type transcriptCursor struct {
	key  string
	rank float64
	id   string
}

// String encodes the cursor; search says which order it belongs to.
func (c transcriptCursor) String(search bool) string {
	raw := "n|" + c.key + "|" + c.id
	if search {
		raw = "r|" + strconv.FormatFloat(c.rank, 'g', -1, 64) + "|" + c.id
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var errBadCursor = errors.New("bad cursor: not one of this list's")

func parseTranscriptCursor(s string, search bool) (*transcriptCursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[2] == "" || (parts[0] == "r") != search {
		return nil, errBadCursor
	}
	c := &transcriptCursor{id: parts[2]}
	switch parts[0] {
	case "n":
		if _, err := parseTime(parts[1]); err != nil {
			return nil, errBadCursor
		}
		c.key = parts[1]
	case "r":
		if c.rank, err = strconv.ParseFloat(parts[1], 64); err != nil {
			return nil, errBadCursor
		}
	default:
		return nil, errBadCursor
	}
	return c, nil
}

const transcriptColumns = `c.id, c.customer_id, c.channel, c.thread_id, c.owner, c.agent_id, c.last_seq, ` +
	`c.summarized_seq, c.created_at, c.updated_at, c.team, c.owner_since, u.name, u.email, s.messages, ` +
	`s.first_message_us, s.last_message_us, s.handoffs, COALESCE(s.triggers ->> '$[0]', ''), s.agents, s.outcome, ` +
	`s.rating, s.tags, s.review, s.stage`

// foundRow is a transcript row with where the search found it.
type foundRow struct {
	row  journeystate.TranscriptRow
	rank float64
	src  string
	hit  int64
}

func scanTranscriptRow(row scanner) (foundRow, error) {
	var f foundRow
	r := &f.row
	var first, last sql.NullInt64
	var handoffs int
	var agents, tags, review string
	conv, err := scanConversation(extraScanner{row, []any{&r.CustomerName, &r.CustomerEmail, &r.Messages,
		&first, &last, &handoffs, &r.Trigger, &agents, &r.Outcome, &r.Rating, &tags, &review, &r.Stage,
		&f.rank, &f.src, &f.hit}})
	if err != nil {
		return foundRow{}, err
	}
	r.Conversation, r.HandedOff, r.Review = conv, handoffs > 0, journeystate.ReviewMark(review)
	r.FirstMessageAt, r.LastMessageAt = fromMicros(first), fromMicros(last)
	if err := json.Unmarshal([]byte(agents), &r.Agents); err != nil {
		return foundRow{}, fmt.Errorf("conversation %s agents: %w", conv.ID, err)
	}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return foundRow{}, fmt.Errorf("conversation %s tags: %w", conv.ID, err)
	}
	return f, nil
}

// extraScanner scans a row into the destinations its caller gives and then into extra: a helper that scans the
// leading columns of a wider row (scanConversation) serves the whole row.
type extraScanner struct {
	row   scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }
