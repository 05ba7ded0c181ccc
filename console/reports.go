package console

import (
	"context"

	"github.com/journeybot/journeybot/journeystate"
)

// Reports is what the manager pages read and write beyond Records: the transcript list, tags and review marks, the
// KPI facts and the whole journey log. journeystate.Store satisfies it; errors as journeystate.Store documents them
// (ErrNotFound for an unknown conversation; a refused tag or mark is an error that is neither ErrNotFound nor
// ErrConflict). Implementations are safe for concurrent use.
type Reports interface {
	Transcripts(ctx context.Context, q journeystate.TranscriptQuery) (journeystate.TranscriptPage, error)
	SetTags(ctx context.Context, conversationID string, tags []string, actor journeystate.Actor, by string) ([]string, error)
	SetReview(ctx context.Context, conversationID string, mark journeystate.ReviewMark, by, note string) error
	ConversationFacts(ctx context.Context, q journeystate.FactsQuery) ([]journeystate.ConversationFacts, error)
	ScanEvents(ctx context.Context, afterSeq int64, limit int) ([]journeystate.Event, error)
}

// The journey store is what the manager pages read.
var _ Reports = journeystate.Store(nil)

// errNoReports is what the manager pages answer when the console was built without Reports.
var errNoReports = refuse(503, "Reports are not available on this server.")

// managerHead is what the manager pages' "mhead" needs: the layout's head, and whether the page draws charts
// (only those pages load the chart library).
type managerHead struct {
	Title  string
	CSRF   string
	Charts bool
}
