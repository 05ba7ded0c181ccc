package journeystate

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Event types recorded by the transcript methods of the Store.
const (
	// EventTagsChanged records SetTags: payload {"from": [...], "to": [...], "by": user id}.
	EventTagsChanged = "tags_changed"
	// EventReviewMarked records SetReview: payload {"from": mark, "to": mark, "by": user id, "note": text}.
	EventReviewMarked = "review_marked"
	// EventRating records RecordRating: payload {"rating": 1..5, "comment": text, "close_seq": seq of the close
	// it rates, 0 when the conversation was never closed}.
	EventRating = "rating"
)

// Bounds of what a transcript write may store.
const (
	MaxTags       = 20   // tags on one conversation
	MaxTagLen     = 40   // bytes of one tag, after normalisation
	MaxReviewNote = 2000 // bytes of a review note
	MaxComment    = 1000 // bytes of a rating comment
	MinRating     = 1
	MaxRating     = 5
)

// Snippet markers: TranscriptRow.Snippet holds the matching text with every matched term between SnippetOpen and
// SnippetClose. The snippet is untrusted text: a page escapes it first and then turns the markers into <mark>.
const (
	SnippetOpen  = "\x02"
	SnippetClose = "\x03"
)

// ReviewMark is what a manager thinks of a conversation after reading it.
type ReviewMark string

// Review marks. ReviewNone is "not reviewed" (and, in a TranscriptQuery, "any mark").
const (
	ReviewNone      ReviewMark = ""
	ReviewGood      ReviewMark = "good"       // handled well: an example to follow
	ReviewNeedsWork ReviewMark = "needs_work" // the bot's knowledge or an agent's answer should improve
	ReviewEscalate  ReviewMark = "escalate"   // someone must look at it (a complaint, a legal or safety matter)
)

// ValidReviewMark reports whether m is one of the ReviewMark constants.
func ValidReviewMark(m ReviewMark) bool {
	switch m {
	case ReviewNone, ReviewGood, ReviewNeedsWork, ReviewEscalate:
		return true
	}
	return false
}

// Handling says whether people took part in a conversation.
type Handling string

// Handlings, as TranscriptQuery filters ("" is any).
const (
	// HandlingContained: never handed off (never owned by the queue or an agent), and over: closed, or idle with
	// its newest message before TranscriptQuery.IdleBefore.
	HandlingContained Handling = "contained"
	// HandlingHandedOff: owned by the queue or an agent at least once.
	HandlingHandedOff Handling = "handed_off"
)

// MaxTranscriptIDs bounds TranscriptQuery.IDs.
const MaxTranscriptIDs = 1000

// MaxFilterValue bounds, in bytes, TranscriptQuery.Trigger and Team: a trigger ("rule:vip") or a team name is
// short, and a longer value can only be a mistake or an attack on the list.
const MaxFilterValue = 200

// TranscriptQuery selects conversations for the transcript list. Every field set narrows the result (AND); the
// zero value lists every conversation. Without Text the rows come newest first (CreatedAt, then id); with Text they
// come best match first (BM25).
type TranscriptQuery struct {
	Channel string
	// Stage is the customer's journey stage when the conversation's newest message was stored (TranscriptRow.Stage).
	Stage    string
	Handling Handling
	// IdleBefore, with HandlingContained, also counts as over a conversation never handed off and not closed whose
	// newest message is older than it; zero counts closed conversations only.
	IdleBefore time.Time
	// AgentID: any agent who owned the conversation at some time.
	AgentID string
	// Trigger: any of the conversation's hand-offs had this trigger (ConversationFacts.Triggers holds it), e.g.
	// "customer_request", "rule:vip". At most MaxFilterValue bytes.
	Trigger string
	// Team: the conversation's newest team (ConversationFacts.Team). At most MaxFilterValue bytes.
	Team    string
	Outcome string // the outcome of its close (see ValidOutcome); an open conversation has none
	// From and To bound CreatedAt: From <= CreatedAt < To; zero is unbounded.
	From, To time.Time
	// Tags: the conversation has all of them (normalised as SetTags does).
	Tags []string
	// MinRating and MaxRating bound the newest rating (1..5); 0 is unbounded. A bound excludes unrated conversations.
	MinRating, MaxRating int
	Review               ReviewMark // "" any
	// IDs, when set, keeps only these conversations (at most MaxTranscriptIDs): the drill-down of a KPI figure.
	IDs []string
	// Text is free text from a manager: every word is a term, a conversation matches when one of its messages
	// holds every term, or its customer's name, email and phone do ("ann@example.com" is the phrase
	// "ann example com"). No character has a search-syntax meaning.
	Text string
	// Cursor is TranscriptPage.Next of the previous page, "" for the first page. A cursor belongs to the query that
	// produced it.
	Cursor string
	// Limit bounds the page; 0 means a store default (50), a store may cap it (200).
	Limit int
}

// TranscriptPage is one page of the transcript list.
type TranscriptPage struct {
	Rows []TranscriptRow
	// Next is the cursor of the next page, "" when this is the last one.
	Next string
}

// TranscriptRow is one conversation in the transcript list, with what the list shows of it.
type TranscriptRow struct {
	Conversation  Conversation
	CustomerName  string
	CustomerEmail string
	Messages      int
	// FirstMessageAt and LastMessageAt are zero when it has no message.
	FirstMessageAt time.Time
	LastMessageAt  time.Time
	HandedOff      bool
	Trigger        string   // the first hand-off's trigger, "" when never handed off
	Agents         []string // ids of every agent who owned it, in the order they first did
	Outcome        string   // of its close; "" while open
	Rating         int      // the newest rating, 0 when none
	Tags           []string // sorted
	Review         ReviewMark
	// Stage is the customer's stage when the newest message was stored.
	Stage string
	// Snippet is, for a Text query, the matching text with the markers around each term (see SnippetOpen).
	Snippet string
}

// NormalizeTags returns tags lower-cased and trimmed, inner runs of spaces turned into "-", deduplicated and
// sorted; empty tags are dropped. It refuses more than MaxTags tags, a tag longer than MaxTagLen bytes, and a tag
// with a character other than a letter, a digit, '-', '_' or ':'.
func NormalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.Join(strings.Fields(strings.ToLower(t)), "-")
		if t == "" {
			continue
		}
		if len(t) > MaxTagLen {
			return nil, fmt.Errorf("tag %.20q… is longer than %d bytes", t, MaxTagLen)
		}
		for _, r := range t {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != ':' {
				return nil, fmt.Errorf("tag %q holds %q: only letters, digits, '-', '_' and ':' are allowed", t, r)
			}
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		return nil, fmt.Errorf("%d tags, at most %d are allowed", len(out), MaxTags)
	}
	return out, nil
}
