package console

// Exports of the transcript list: one row (CSV) or object (JSON) per conversation with its KPIs, for the current
// filter, streamed page by page from the store.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of an export.
const (
	// maxExportRows bounds one export; a manager who needs more narrows the filter (or uses journeybot export).
	maxExportRows = 100_000
	// exportPage is how many conversations each store call reads: the store's cap.
	exportPage = 200
)

// exportRow is one conversation of an export: the JSON names are the export's format.
type exportRow struct {
	ID                 string   `json:"id"`
	Channel            string   `json:"channel"`
	CustomerID         string   `json:"customer_id"`
	Customer           string   `json:"customer"`
	CustomerEmail      string   `json:"customer_email,omitempty"`
	Created            string   `json:"created"`
	Closed             string   `json:"closed,omitempty"`
	Outcome            string   `json:"outcome,omitempty"`
	HandedOff          bool     `json:"handed_off"`
	Trigger            string   `json:"trigger,omitempty"`
	Agents             []string `json:"agents"`
	Team               string   `json:"team,omitempty"`
	Stage              string   `json:"stage,omitempty"`
	FirstResponseBot   *float64 `json:"first_response_bot_s,omitempty"`
	FirstResponseAgent *float64 `json:"first_response_agent_s,omitempty"`
	QueueWait          *float64 `json:"queue_wait_s,omitempty"`
	Rating             int      `json:"rating,omitempty"`
	Tags               []string `json:"tags"`
	Review             string   `json:"review,omitempty"`
	Messages           int      `json:"messages"`
}

// csvHeader names the CSV export's columns; csvRecord writes them in this order.
var csvHeader = []string{"id", "channel", "customer", "created", "closed", "outcome", "handed_off", "trigger", "agents",
	"first_response_bot_s", "first_response_agent_s", "queue_wait_s", "rating", "tags", "messages"}

func (e exportRow) csvRecord() []string {
	secs := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 1, 64)
	}
	rating := ""
	if e.Rating > 0 {
		rating = strconv.Itoa(e.Rating)
	}
	rec := []string{e.ID, e.Channel, e.Customer, e.Created, e.Closed, e.Outcome, strconv.FormatBool(e.HandedOff),
		e.Trigger, strings.Join(e.Agents, "; "), secs(e.FirstResponseBot), secs(e.FirstResponseAgent), secs(e.QueueWait),
		rating, strings.Join(e.Tags, " "), strconv.Itoa(e.Messages)}
	for i := range rec {
		rec[i] = csvSafe(rec[i])
	}
	return rec
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet (CSV injection, OWASP): a cell that starts
// with = + - @ (or a tab or carriage return, which some spreadsheets skip before them) gets a leading quote.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func seconds(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// newExportRow joins a list row with its facts (nil when the store has none) and the agents' names.
func newExportRow(row journeystate.TranscriptRow, f *journeystate.ConversationFacts, names map[string]string) exportRow {
	conv := row.Conversation
	e := exportRow{ID: conv.ID, Channel: conv.Channel, CustomerID: conv.CustomerID,
		Customer: customerLabel(row.CustomerName, row.CustomerEmail), CustomerEmail: row.CustomerEmail,
		Created: exportTime(conv.CreatedAt), Outcome: row.Outcome, HandedOff: row.HandedOff, Trigger: row.Trigger,
		Agents: []string{}, Team: conv.Team, Stage: row.Stage, Rating: row.Rating, Tags: row.Tags,
		Review: string(row.Review), Messages: row.Messages}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	for _, id := range row.Agents {
		e.Agents = append(e.Agents, nameOr(names, id))
	}
	if f != nil {
		e.Closed = exportTime(f.ClosedAt)
		if d, ok := f.BotFirstResponse(); ok {
			e.FirstResponseBot = seconds(d)
		}
		if d, ok := f.AgentFirstResponse(); ok {
			e.FirstResponseAgent = seconds(d)
		}
		if f.QueueWaits > 0 {
			e.QueueWait = seconds(f.QueueWait)
		}
		if f.Team != "" {
			e.Team = f.Team
		}
	}
	return e
}

// factsFor returns the facts of rows by conversation id. Facts are selected by creation time only, so it asks for
// the span of the rows' creation times at once (one call for a page of the unfiltered list, whose rows are
// neighbours in time), and then, for any row the span did not bring (a filtered list's rows lie far apart), for
// that row's own creation time.
func (c *Console) factsFor(ctx context.Context, rows []journeystate.TranscriptRow) (map[string]*journeystate.ConversationFacts, error) {
	out := make(map[string]*journeystate.ConversationFacts, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	lo, hi := rows[0].Conversation.CreatedAt, rows[0].Conversation.CreatedAt
	for _, r := range rows {
		lo, hi = minTime(lo, r.Conversation.CreatedAt), maxTime(hi, r.Conversation.CreatedAt)
	}
	want := make(map[string]bool, len(rows))
	for _, r := range rows {
		want[r.Conversation.ID] = true
	}
	keep := func(fs []journeystate.ConversationFacts) {
		for i := range fs {
			if want[fs[i].ConversationID] {
				out[fs[i].ConversationID] = &fs[i]
			}
		}
	}
	fs, err := c.reports.ConversationFacts(ctx, journeystate.FactsQuery{From: lo, To: hi.Add(time.Nanosecond), Limit: 4 * len(rows)})
	if err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	keep(fs)
	for _, r := range rows {
		if out[r.Conversation.ID] != nil {
			continue
		}
		at := r.Conversation.CreatedAt
		fs, err := c.reports.ConversationFacts(ctx, journeystate.FactsQuery{From: at, To: at.Add(time.Nanosecond), Limit: 100})
		if err != nil {
			return nil, fmt.Errorf("load facts of %s: %w", r.Conversation.ID, err)
		}
		keep(fs)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// eachExportRow pages through the conversations q selects, at most maxExportRows, and calls fn with each.
func (c *Console) eachExportRow(ctx context.Context, q journeystate.TranscriptQuery, fn func(exportRow) error) error {
	names, _, err := c.userNames(ctx)
	if err != nil {
		return err
	}
	q.Cursor, q.Limit = "", exportPage
	for n := 0; n < maxExportRows; {
		page, err := c.reports.Transcripts(ctx, q)
		if err != nil {
			return fmt.Errorf("list transcripts: %w", err)
		}
		rows := page.Rows
		if len(rows) > maxExportRows-n {
			rows = rows[:maxExportRows-n]
		}
		facts, err := c.factsFor(ctx, rows)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if err := fn(newExportRow(row, facts[row.Conversation.ID], names)); err != nil {
				return err
			}
		}
		n += len(rows)
		if page.Next == "" || len(rows) == 0 {
			return nil
		}
		q.Cursor = page.Next
	}
	return nil
}

// exportCSV streams the list's filter as CSV, one row per conversation.
func (c *Console) exportCSV(w http.ResponseWriter, r *http.Request) {
	form, ok := c.exportFilter(w, r)
	if !ok {
		return
	}
	attachment(w, "text/csv; charset=utf-8", "transcripts-"+c.now().UTC().Format("20060102-1504")+".csv")
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	err := c.eachExportRow(r.Context(), form.Query, func(e exportRow) error {
		if err := cw.Write(e.csvRecord()); err != nil {
			return err
		}
		if cw.Flush(); cw.Error() != nil {
			return cw.Error()
		}
		return nil
	})
	cw.Flush()
	c.exportFailed("csv", err)
}

// exportJSON streams the list's filter as a JSON array, one object per conversation.
func (c *Console) exportJSON(w http.ResponseWriter, r *http.Request) {
	form, ok := c.exportFilter(w, r)
	if !ok {
		return
	}
	attachment(w, "application/json", "transcripts-"+c.now().UTC().Format("20060102-1504")+".json")
	enc := json.NewEncoder(w)
	sep := "["
	err := c.eachExportRow(r.Context(), form.Query, func(e exportRow) error {
		if _, err := fmt.Fprint(w, sep); err != nil {
			return err
		}
		sep = ","
		return enc.Encode(e)
	})
	if sep == "[" {
		fmt.Fprint(w, "[")
	}
	fmt.Fprintln(w, "]")
	c.exportFailed("json", err)
}

func (c *Console) exportFilter(w http.ResponseWriter, r *http.Request) (filterForm, bool) {
	if c.reports == nil {
		c.deskError(w, r, "export", errNoReports)
		return filterForm{}, false
	}
	form, err := parseFilter(r.URL.Query())
	if err != nil {
		c.deskError(w, r, "export", err)
		return form, false
	}
	return form, true
}

// exportFailed logs an export that broke off: the status is sent, so the client sees a short file (a CSV cut
// off, a JSON array that does not parse).
func (c *Console) exportFailed(format string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		c.log.Error("console: export "+format, "err", err)
	}
}

// attachment sets the headers of a download.
func attachment(w http.ResponseWriter, contentType, filename string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
}
