package console

// One transcript for managers: the customer's whole cross-channel timeline around a conversation, its tags and
// review mark, and its exports (JSON, CSV, a printable page).

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// Bounds of a transcript's timeline.
const (
	// timelineWindow is how far before the conversation's start and after its last message the customer's other
	// events are shown.
	timelineWindow = 7 * 24 * time.Hour
	// maxTimelineEvents bounds the customer's events read (pages of timelineEventPage), and maxTimelineItems what
	// the page shows.
	maxTimelineEvents = 10_000
	timelineEventPage = 1000
	maxTimelineItems  = 2000
	// maxTimelineMessages is how many of the conversation's messages it shows.
	maxTimelineMessages = 1000
	// maxPayloadText bounds the text of a business event's payload shown.
	maxPayloadText = 500
)

// timelineItem is one line of the timeline.
type timelineItem struct {
	Time           time.Time `json:"time"`
	Kind           string    `json:"kind"` // message, stage, intent, tool, handoff, owner, note, rating, tags, review, opened, event
	Channel        string    `json:"channel,omitempty"`
	ConversationID string    `json:"conversation_id,omitempty"`
	// Here: of the conversation the page is about.
	Here   bool               `json:"this_conversation"`
	Author journeystate.Actor `json:"author,omitempty"`
	// Who names it for people: "Customer Jane", "Agent Sam", "Stage changed", "Tool search_knowledge".
	Who     string   `json:"who"`
	Text    string   `json:"text"`
	Details []detail `json:"details,omitempty"`
}

type detail struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// transcriptPage is the data of transcript.html and print.html.
type transcriptPage struct {
	User     journeystate.User
	CSRF     string
	Conv     journeystate.Conversation
	Customer journeystate.Customer
	Name     string
	Row      exportRow
	Items    []timelineItem
	// Cut says the timeline was cut at its bounds.
	Cut     bool
	Tags    string
	Review  journeystate.ReviewMark
	Reviews []journeystate.ReviewMark
	Now     time.Time
}

func (c *Console) transcript(w http.ResponseWriter, r *http.Request) {
	c.serveTranscript(w, r, "transcript.html")
}

func (c *Console) printTranscript(w http.ResponseWriter, r *http.Request) {
	c.serveTranscript(w, r, "print.html")
}

func (c *Console) serveTranscript(w http.ResponseWriter, r *http.Request, name string) {
	p, err := c.loadTranscript(r.Context(), r.PathValue("id"))
	if err != nil {
		c.deskError(w, r, "load transcript", err)
		return
	}
	c.render(w, http.StatusOK, name, p)
}

// transcriptExport is the JSON export of one transcript.
type transcriptExport struct {
	Conversation exportRow      `json:"conversation"`
	Customer     customerExport `json:"customer"`
	Timeline     []timelineItem `json:"timeline"`
}

type customerExport struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Stage string `json:"stage,omitempty"`
}

func (c *Console) transcriptJSON(w http.ResponseWriter, r *http.Request) {
	p, err := c.loadTranscript(r.Context(), r.PathValue("id"))
	if err != nil {
		c.deskError(w, r, "export transcript", err)
		return
	}
	out := transcriptExport{Conversation: p.Row, Timeline: p.Items, Customer: customerExport{ID: p.Customer.ID,
		Name: p.Customer.Profile.Name, Email: p.Customer.Profile.Email, Phone: p.Customer.Profile.Phone, Stage: p.Customer.Stage}}
	if out.Timeline == nil {
		out.Timeline = []timelineItem{}
	}
	attachment(w, "application/json", "transcript-"+fileSafe(p.Conv.ID)+".json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		c.exportFailed("transcript json", err)
	}
}

// transcriptCSV exports the timeline, one row a line of it.
func (c *Console) transcriptCSV(w http.ResponseWriter, r *http.Request) {
	p, err := c.loadTranscript(r.Context(), r.PathValue("id"))
	if err != nil {
		c.deskError(w, r, "export transcript", err)
		return
	}
	attachment(w, "text/csv; charset=utf-8", "transcript-"+fileSafe(p.Conv.ID)+".csv")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"time", "kind", "channel", "conversation_id", "this_conversation", "who", "text", "details"})
	for _, it := range p.Items {
		var ds []string
		for _, d := range it.Details {
			ds = append(ds, d.Name+"="+d.Value)
		}
		rec := []string{exportTime(it.Time), it.Kind, it.Channel, it.ConversationID, strconv.FormatBool(it.Here), it.Who,
			it.Text, strings.Join(ds, "; ")}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	c.exportFailed("transcript csv", cw.Error())
}

// fileSafe keeps the letters, digits, '-' and '_' of an id, for a file name in a header.
func fileSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, id)
}

// loadTranscript reads the conversation, its list row and facts, and the timeline. ErrNotFound for an unknown
// conversation.
func (c *Console) loadTranscript(ctx context.Context, id string) (transcriptPage, error) {
	if c.reports == nil {
		return transcriptPage{}, errNoReports
	}
	u, _ := UserFrom(ctx)
	conv, err := c.records.Conversation(ctx, id)
	if err != nil {
		return transcriptPage{}, fmt.Errorf("load conversation %s: %w", id, err)
	}
	p := transcriptPage{User: u, CSRF: CSRFToken(ctx), Conv: conv, Name: "Visitor", Reviews: reviewMarks, Now: c.now()}
	switch p.Customer, err = c.records.Customer(ctx, conv.CustomerID); {
	case err == nil:
		p.Name = customerLabel(p.Customer.Profile.Name, p.Customer.Profile.Email)
	case errors.Is(err, journeystate.ErrNotFound):
		p.Customer.ID = conv.CustomerID
	default:
		return p, fmt.Errorf("load customer %s: %w", conv.CustomerID, err)
	}
	names, _, err := c.userNames(ctx)
	if err != nil {
		return p, err
	}
	page, err := c.reports.Transcripts(ctx, journeystate.TranscriptQuery{IDs: []string{id}, Limit: 1})
	if err != nil {
		return p, fmt.Errorf("load transcript row %s: %w", id, err)
	}
	row := journeystate.TranscriptRow{Conversation: conv, CustomerName: p.Customer.Profile.Name, CustomerEmail: p.Customer.Profile.Email}
	if len(page.Rows) > 0 {
		row = page.Rows[0]
	}
	facts, err := c.factsFor(ctx, []journeystate.TranscriptRow{row})
	if err != nil {
		return p, err
	}
	p.Row = newExportRow(row, facts[id], names)
	p.Tags, p.Review = strings.Join(row.Tags, ", "), row.Review
	p.Items, p.Cut, err = c.timeline(ctx, conv, p.Name, names)
	return p, err
}

// timeline builds the customer's timeline around conv: conv's messages with their authors, and the customer's
// events from timelineWindow before conv started to timelineWindow after its last message (other conversations'
// messages, stage changes, tool calls, hand-offs, owner changes, notes, ratings, business events), oldest first.
func (c *Console) timeline(ctx context.Context, conv journeystate.Conversation, customer string, names map[string]string) ([]timelineItem, bool, error) {
	msgs, err := c.records.RecentMessages(ctx, conv.ID, maxTimelineMessages)
	if err != nil {
		return nil, false, fmt.Errorf("load messages of %s: %w", conv.ID, err)
	}
	cut := len(msgs) == maxTimelineMessages
	var items []timelineItem
	end := conv.UpdatedAt
	for _, m := range msgs {
		s := show(m, customer)
		text := m.Text
		if s.Notice != "" {
			text = s.Notice
		}
		items = append(items, timelineItem{Time: m.CreatedAt, Kind: "message", Channel: conv.Channel,
			ConversationID: conv.ID, Here: true, Author: m.Author, Who: s.Who, Text: text})
		end = maxTime(end, m.CreatedAt)
	}
	from, to := conv.CreatedAt.Add(-timelineWindow), end.Add(timelineWindow)
	var after int64
	for read := 0; read < maxTimelineEvents; {
		evs, err := c.records.Events(ctx, journeystate.EventQuery{CustomerID: conv.CustomerID, AfterSeq: after, Limit: timelineEventPage})
		if err != nil {
			return nil, false, fmt.Errorf("load events of %s: %w", conv.CustomerID, err)
		}
		for _, ev := range evs {
			after = max(after, ev.Seq)
			if ev.Time.Before(from) || ev.Time.After(to) {
				continue
			}
			if it, ok := c.eventItem(ev, conv.ID, names); ok {
				items = append(items, it)
			}
		}
		read += len(evs)
		if len(evs) < timelineEventPage {
			break
		}
		if read >= maxTimelineEvents {
			cut = true
		}
	}
	slices.SortStableFunc(items, func(a, b timelineItem) int { return a.Time.Compare(b.Time) })
	if len(items) > maxTimelineItems {
		items, cut = items[:maxTimelineItems], true
	}
	return items, cut, nil
}

// ownerPayload is what the timeline reads of an "owner_changed" event.
type ownerPayload struct {
	From    journeystate.Owner `json:"from"`
	To      journeystate.Owner `json:"to"`
	AgentID string             `json:"agent_id"`
	Team    string             `json:"team"`
}

// eventItem turns one journey event into a timeline line; ok is false for bookkeeping nobody reads (bot turns,
// summaries) and for this conversation's message events, which the messages themselves stand for.
func (c *Console) eventItem(ev journeystate.Event, convID string, names map[string]string) (timelineItem, bool) {
	it := timelineItem{Time: ev.Time, Channel: ev.Channel, ConversationID: ev.ConversationID,
		Here: ev.ConversationID != "" && ev.ConversationID == convID, Author: ev.Actor}
	var p map[string]any
	_ = json.Unmarshal(ev.Payload, &p) // a payload that is not an object leaves p empty
	str := func(k string) string {
		if s, ok := p[k].(string); ok {
			return s
		}
		return ""
	}
	add := func(name, value string) {
		if value != "" {
			it.Details = append(it.Details, detail{name, value})
		}
	}
	switch ev.Type {
	case "message":
		if it.Here {
			return it, false
		}
		it.Kind, it.Text = "message", str("text")
		switch ev.Actor {
		case journeystate.ActorCustomer:
			it.Who = "Customer"
		case journeystate.ActorBot:
			it.Who = "Assistant"
		case journeystate.ActorAgent:
			it.Who = "Agent"
		default:
			it.Who = "Notice"
		}
		it.Who += " on " + cmp.Or(ev.Channel, "another channel")
	case journeystate.EventStageChanged:
		it.Kind, it.Who = "stage", "Stage changed"
		it.Text = cmp.Or(str("from"), "none") + " → " + str("to")
		add("cause", ev.Cause)
		add("by", string(ev.Actor))
	case journeystate.EventIntentDetected:
		it.Kind, it.Who, it.Text = "intent", "Intent detected", str("intent")
	case "tool_call":
		it.Kind, it.Who = "tool", "Tool "+cmp.Or(str("tool"), ev.Cause)
		if ok, _ := p["ok"].(bool); ok {
			it.Text = "succeeded"
		} else {
			it.Text = "failed"
		}
		add("arguments", str("arguments"))
		add("result", str("result"))
	case "handoff":
		var h journeystate.Handoff
		_ = json.Unmarshal(ev.Payload, &h)
		it.Kind, it.Who, it.Text = "handoff", "Handed off", h.Reason
		add("trigger", h.Trigger)
		add("urgency", string(h.Urgency))
		add("team", h.Team)
		add("intent", h.Intent)
		add("sentiment", string(h.Sentiment))
		add("stage", h.Stage)
		add("confidence", fmt.Sprintf("%.0f%%", h.Confidence*100))
		add("summary", h.Summary)
	case "owner_changed":
		var o ownerPayload
		_ = json.Unmarshal(ev.Payload, &o)
		it.Kind, it.Who = "owner", "Owner changed"
		to := string(o.To)
		if o.AgentID != "" {
			to += " (" + nameOr(names, o.AgentID) + ")"
		}
		it.Text = string(o.From) + " → " + to
		add("cause", ev.Cause)
		add("by", string(ev.Actor))
		add("team", o.Team)
	case noteEvent:
		it.Kind, it.Who, it.Text = "note", "Note by "+cmp.Or(str("agent_name"), "an agent"), str("text")
	case journeystate.EventRating:
		it.Kind, it.Who = "rating", "Rating"
		if n, ok := p["rating"].(float64); ok {
			it.Text = fmt.Sprintf("%.0f of 5", n)
		}
		add("comment", str("comment"))
	case journeystate.EventTagsChanged:
		it.Kind, it.Who = "tags", "Tags changed"
		it.Text = listText(p["from"]) + " → " + listText(p["to"])
		add("by", nameOr(names, str("by")))
	case journeystate.EventReviewMarked:
		it.Kind, it.Who = "review", "Review mark"
		it.Text = cmp.Or(str("to"), "cleared")
		add("note", str("note"))
		add("by", nameOr(names, str("by")))
	case "conversation_opened":
		it.Kind, it.Who, it.Text = "opened", "Conversation opened", "on "+ev.Channel
	case "bot_turn", "summary_updated":
		return it, false
	default:
		it.Kind, it.Who = "event", ev.Type
		it.Text = payloadText(ev.Payload)
		add("cause", ev.Cause)
	}
	return it, true
}

func listText(v any) string {
	xs, _ := v.([]any)
	var out []string
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// payloadText is a business event's payload as compact JSON, cut at maxPayloadText bytes.
func payloadText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	s := b.String()
	if len(s) > maxPayloadText {
		s = strings.ToValidUTF8(s[:maxPayloadText], "") + "…"
	}
	return s
}

// setTags replaces the conversation's tags and goes back to its page.
func (c *Console) setTags(w http.ResponseWriter, r *http.Request) {
	if c.reports == nil {
		c.deskError(w, r, "set tags", errNoReports)
		return
	}
	u, _ := UserFrom(r.Context())
	id := r.PathValue("id")
	tags, err := journeystate.NormalizeTags(splitTags(r.PostFormValue("tags")))
	if err != nil {
		c.deskError(w, r, "set tags", refuse(http.StatusBadRequest, "Tags: "+err.Error()))
		return
	}
	if _, err := c.reports.SetTags(r.Context(), id, tags, journeystate.ActorAgent, u.ID); err != nil {
		c.deskError(w, r, "set tags", err)
		return
	}
	http.Redirect(w, r, "/console/transcripts/"+id, http.StatusSeeOther)
}

// setReview sets the conversation's review mark with a note and goes back to its page.
func (c *Console) setReview(w http.ResponseWriter, r *http.Request) {
	if c.reports == nil {
		c.deskError(w, r, "set review", errNoReports)
		return
	}
	u, _ := UserFrom(r.Context())
	id := r.PathValue("id")
	mark := journeystate.ReviewMark(r.PostFormValue("mark"))
	note := strings.TrimSpace(r.PostFormValue("note"))
	switch {
	case !journeystate.ValidReviewMark(mark):
		c.deskError(w, r, "set review", refuse(http.StatusBadRequest, "Choose a review mark."))
		return
	case len(note) > journeystate.MaxReviewNote:
		c.deskError(w, r, "set review", refuse(http.StatusBadRequest, fmt.Sprintf("The note is longer than %d bytes.", journeystate.MaxReviewNote)))
		return
	}
	if err := c.reports.SetReview(r.Context(), id, mark, u.ID, note); err != nil {
		c.deskError(w, r, "set review", err)
		return
	}
	http.Redirect(w, r, "/console/transcripts/"+id, http.StatusSeeOther)
}
