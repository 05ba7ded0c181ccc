package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/analytics/export"
	"github.com/journeybot/journeybot/journeystate"
)

const exportUsage = "usage: journeybot export [-config FILE] -format csv|json|xes|ocel [-from DATE] [-to DATE] [-o FILE]\n" +
	"       journeybot export [-config FILE] -format json|csv -conversation ID [-o FILE]"

// exportPage is how many rows or events the export reads from the store at a time: it streams, whatever the size.
const exportPage = 5000

// runExport runs "journeybot export": conversations with their KPIs as CSV (one row per conversation) or JSON
// Lines, one conversation with its messages and events, or the whole journey log as XES (IEEE 1849) or OCEL 2.0
// JSON for process-mining tools. It reads the store a page at a time and writes as it reads.
func runExport(ctx context.Context, args, environ []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	format := fs.String("format", "csv", "csv, json (conversations with their KPIs), xes or ocel (the journey log)")
	from := fs.String("from", "", "only conversations created on or after this day or time (2026-11-01 or RFC 3339)")
	to := fs.String("to", "", "only conversations created before this day or time")
	conversation := fs.String("conversation", "", "export this one conversation (json or csv) with its messages")
	out := fs.String("o", "-", "output file; - is standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New(exportUsage)
	}
	var q journeystate.FactsQuery
	if q.From, err = parseDay(*from); err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	if q.To, err = parseDay(*to); err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	switch *format {
	case "csv", "json":
	case "xes", "ocel":
		if *conversation != "" {
			return errors.New("-conversation exports as json or csv; xes and ocel export the whole journey log")
		}
	default:
		return fmt.Errorf("-format %q: want csv, json, xes or ocel", *format)
	}
	cfg, err := LoadConfig(*configPath, environ)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	var w io.Writer = stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		w = f
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	defer func() {
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}()

	switch {
	case *conversation != "":
		return exportConversation(ctx, store, *conversation, *format, bw)
	case *format == "csv":
		return exportFactsCSV(ctx, store, q, bw)
	case *format == "json":
		return exportFactsJSON(ctx, store, q, bw)
	case *format == "xes":
		_, err := export.WriteXES(bw, caseEvents(ctx, store), export.XESOptions{LogName: cfg.Company.Name + " journeys"})
		return err
	default:
		_, err := export.WriteOCEL(bw, logEvents(ctx, store), export.OCELOptions{})
		return err
	}
}

// parseDay reads a day (2026-11-01, UTC) or an RFC 3339 time; "" is the zero time.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// eventSource is the part of the store the log exports read.
type eventSource interface {
	ScanEvents(ctx context.Context, afterSeq int64, limit int) ([]journeystate.Event, error)
	ScanCaseEvents(ctx context.Context, afterCustomer string, afterSeq int64, limit int) ([]journeystate.Event, error)
}

// paged iterates what page returns, a page at a time after the last element of the previous page, until a page
// comes back short: the exports stream whatever the size of the store.
func paged[T any](page func(last *T) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var last *T
		for {
			items, err := page(last)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if len(items) < exportPage {
				return
			}
			last = &items[len(items)-1]
		}
	}
}

// logEvents iterates the whole journey log in Seq order.
func logEvents(ctx context.Context, s eventSource) iter.Seq2[journeystate.Event, error] {
	return paged(func(last *journeystate.Event) ([]journeystate.Event, error) {
		after := int64(0)
		if last != nil {
			after = last.Seq
		}
		return s.ScanEvents(ctx, after, exportPage)
	})
}

// caseEvents iterates the journey log grouped by customer, as XES wants it.
func caseEvents(ctx context.Context, s eventSource) iter.Seq2[journeystate.Event, error] {
	return paged(func(last *journeystate.Event) ([]journeystate.Event, error) {
		if last == nil {
			return s.ScanCaseEvents(ctx, "", 0, exportPage)
		}
		return s.ScanCaseEvents(ctx, last.CustomerID, last.Seq, exportPage)
	})
}

// factsRows iterates the conversations' facts of q.
func factsRows(ctx context.Context, s journeystate.Store, q journeystate.FactsQuery) iter.Seq2[journeystate.ConversationFacts, error] {
	q.Limit = exportPage
	return paged(func(last *journeystate.ConversationFacts) ([]journeystate.ConversationFacts, error) {
		if last != nil {
			q.After = last.Cursor()
		}
		return s.ConversationFacts(ctx, q)
	})
}

// factsHeader is the CSV export's header: one row per conversation with its KPIs; durations in seconds.
var factsHeader = []string{"conversation_id", "customer_id", "channel", "created_at", "closed_at", "outcome", "team",
	"agents", "stage", "messages", "handed_off", "trigger", "bot_first_response_s", "agent_first_response_s",
	"queue_wait_s", "rating"}

func factsRecord(f journeystate.ConversationFacts) []string {
	secs := func(d time.Duration, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	bot, botOK := f.BotFirstResponse()
	agent, agentOK := f.AgentFirstResponse()
	rating := ""
	if f.Rating > 0 {
		rating = strconv.Itoa(f.Rating)
	}
	return []string{f.ConversationID, f.CustomerID, f.Channel, stamp(f.CreatedAt), stamp(f.ClosedAt), f.Outcome, f.Team,
		strings.Join(f.Agents, " "), f.Stage, strconv.Itoa(f.Messages), strconv.FormatBool(f.HandedOff), f.Trigger(),
		secs(bot, botOK), secs(agent, agentOK), secs(f.QueueWait, f.QueueWaits > 0), rating}
}

// csvSafe keeps a spreadsheet from running a cell as a formula (CSV injection): one that starts with = + - @ or a
// tab or carriage return gets a leading quote.
func csvSafe(cells []string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			if _, err := strconv.ParseFloat(c, 64); err != nil {
				cells[i] = "'" + c
			}
		}
	}
	return cells
}

func exportFactsCSV(ctx context.Context, s journeystate.Store, q journeystate.FactsQuery, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(factsHeader); err != nil {
		return err
	}
	for f, err := range factsRows(ctx, s, q) {
		if err != nil {
			return err
		}
		if err := cw.Write(csvSafe(factsRecord(f))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// exportFactsJSON writes JSON Lines: one object per conversation, with the CSV's fields.
func exportFactsJSON(ctx context.Context, s journeystate.Store, q journeystate.FactsQuery, w io.Writer) error {
	enc := json.NewEncoder(w)
	for f, err := range factsRows(ctx, s, q) {
		if err != nil {
			return err
		}
		rec := factsRecord(f)
		obj := make(map[string]string, len(rec))
		for i, k := range factsHeader {
			obj[k] = rec[i]
		}
		if err := enc.Encode(obj); err != nil {
			return err
		}
	}
	return nil
}

// conversationExport is one conversation as JSON: the conversation, its customer, messages and events.
type conversationExport struct {
	Conversation journeystate.Conversation `json:"conversation"`
	Customer     journeystate.Customer     `json:"customer"`
	Messages     []journeystate.Message    `json:"messages"`
	Events       []journeystate.Event      `json:"events"`
}

func exportConversation(ctx context.Context, s journeystate.Store, id, format string, w io.Writer) error {
	conv, err := s.Conversation(ctx, id)
	if err != nil {
		return err
	}
	cust, err := s.Customer(ctx, conv.CustomerID)
	if err != nil {
		return err
	}
	var msgs []journeystate.Message
	for after := int64(0); ; {
		page, err := s.Messages(ctx, conv.ID, after, 500)
		if err != nil {
			return err
		}
		msgs = append(msgs, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].Seq
	}
	if format == "csv" {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"seq", "time", "author", "agent", "text"})
		for _, m := range msgs {
			_ = cw.Write(csvSafe([]string{strconv.FormatInt(m.Seq, 10), m.CreatedAt.UTC().Format(time.RFC3339),
				string(m.Author), m.Meta.AgentName, m.Text}))
		}
		cw.Flush()
		return cw.Error()
	}
	events, err := s.Events(ctx, journeystate.EventQuery{ConversationID: conv.ID, Limit: 1000})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(conversationExport{Conversation: conv, Customer: cust, Messages: msgs, Events: events})
}
