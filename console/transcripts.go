package console

// The transcript list: filters as a GET form, the store's keyset pages, search snippets.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// transcriptsPerPage is the list's page size (the store caps it at 200).
const transcriptsPerPage = 50

// dateLayout is how the filter form and the dashboard's links write a day: the value of an <input type="date">.
const dateLayout = "2006-01-02"

// filterForm is the transcript filter as the form holds it (the query parameters), for re-rendering the form and
// for building links; Query is what it asks the store.
type filterForm struct {
	Channel, Stage, Handling, Agent, Trigger, Team, Outcome, From, To, Tags, Text, Review string
	MinRating, MaxRating                                                                  string
	IDs                                                                                   []string
	Query                                                                                 journeystate.TranscriptQuery
}

// parseFilter reads the filter from the query parameters. A parameter that does not parse is refused with a
// message that names it (400), so that a manager never reads a list filtered otherwise than they asked.
func parseFilter(v url.Values) (filterForm, error) {
	f := filterForm{
		Channel: v.Get("channel"), Stage: v.Get("stage"), Handling: v.Get("handling"), Agent: v.Get("agent"),
		Trigger: strings.TrimSpace(v.Get("trigger")), Team: strings.TrimSpace(v.Get("team")), Outcome: v.Get("outcome"), From: v.Get("from"), To: v.Get("to"), Tags: v.Get("tags"), Text: strings.TrimSpace(v.Get("q")),
		Review: v.Get("review"), MinRating: v.Get("min_rating"), MaxRating: v.Get("max_rating"),
	}
	q := &f.Query
	q.Channel, q.Stage, q.AgentID, q.Text = f.Channel, f.Stage, f.Agent, f.Text
	if len(f.Trigger) > journeystate.MaxFilterValue || len(f.Team) > journeystate.MaxFilterValue {
		return f, refuse(http.StatusBadRequest, fmt.Sprintf("A trigger or a team is at most %d characters.", journeystate.MaxFilterValue))
	}
	q.Trigger, q.Team = f.Trigger, f.Team
	switch h := journeystate.Handling(f.Handling); h {
	case "", journeystate.HandlingContained, journeystate.HandlingHandedOff:
		q.Handling = h
	default:
		return f, refuse(http.StatusBadRequest, "Handling must be contained or handed off.")
	}
	if f.Outcome != "" && !journeystate.ValidOutcome(f.Outcome) {
		return f, refuse(http.StatusBadRequest, "Unknown outcome.")
	}
	q.Outcome = f.Outcome
	var err error
	if q.From, err = parseDay(f.From, 0); err != nil {
		return f, refuse(http.StatusBadRequest, "The date from must be a day (YYYY-MM-DD).")
	}
	if q.To, err = parseDay(f.To, 24*time.Hour); err != nil { // "to" names the last day shown
		return f, refuse(http.StatusBadRequest, "The date to must be a day (YYYY-MM-DD).")
	}
	if tags := splitTags(f.Tags); len(tags) > 0 {
		if q.Tags, err = journeystate.NormalizeTags(tags); err != nil {
			return f, refuse(http.StatusBadRequest, "Tags: "+err.Error())
		}
	}
	if q.MinRating, err = parseRating(f.MinRating); err != nil {
		return f, err
	}
	if q.MaxRating, err = parseRating(f.MaxRating); err != nil {
		return f, err
	}
	mark := journeystate.ReviewMark(f.Review)
	if !journeystate.ValidReviewMark(mark) {
		return f, refuse(http.StatusBadRequest, "Unknown review mark.")
	}
	q.Review = mark
	if ids := splitList(v.Get("ids")); len(ids) > 0 {
		if len(ids) > journeystate.MaxTranscriptIDs {
			return f, refuse(http.StatusBadRequest, fmt.Sprintf("At most %d conversations can be selected by id.", journeystate.MaxTranscriptIDs))
		}
		f.IDs, q.IDs = ids, ids
	}
	return f, nil
}

func parseDay(s string, add time.Duration) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(add), nil
}

func parseRating(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < journeystate.MinRating || n > journeystate.MaxRating {
		return 0, refuse(http.StatusBadRequest, "A rating bound must be 1 to 5.")
	}
	return n, nil
}

// splitList splits a list written with commas or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}

// splitTags splits tags written with commas (or one a line): a tag may hold spaces, which NormalizeTags turns into
// '-'.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' })
}

// values is the filter as query parameters (no cursor), for links to other pages and exports.
func (f filterForm) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("channel", f.Channel)
	set("stage", f.Stage)
	set("handling", f.Handling)
	set("agent", f.Agent)
	set("trigger", f.Trigger)
	set("team", f.Team)
	set("outcome", f.Outcome)
	set("from", f.From)
	set("to", f.To)
	set("tags", f.Tags)
	set("q", f.Text)
	set("review", f.Review)
	set("min_rating", f.MinRating)
	set("max_rating", f.MaxRating)
	set("ids", strings.Join(f.IDs, ","))
	return v
}

// link returns path with the filter, and extra parameters, as its query.
func (f filterForm) link(path string, extra ...string) string {
	v := f.values()
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// transcriptsPage is the data of transcripts.html.
type transcriptsPage struct {
	User       journeystate.User
	CSRF       string
	Form       filterForm
	Rows       []listRow
	Next       string // the next page's URL, "" on the last page
	First      string // the first page's URL, "" on the first page
	ExportCSV  string
	ExportJSON string
	Channels   []string
	Stages     []string
	Outcomes   []string
	Agents     []journeystate.User
	Reviews    []journeystate.ReviewMark
	Ratings    []int
}

// listRow is one conversation of the list.
type listRow struct {
	journeystate.TranscriptRow
	Customer string   // name, else email, else "Visitor"
	Agents   []string // names, else ids
	Snippet  []snippetPart
}

// snippetPart is a piece of a search snippet: text, and whether it matched a search term.
type snippetPart struct {
	Text string
	Mark bool
}

// splitSnippet turns the store's snippet markers into parts the template shows as text, a matched part inside
// <mark>. The snippet is customer text: it is never trusted as HTML, only split at the markers.
func splitSnippet(s string) []snippetPart {
	var out []snippetPart
	for s != "" {
		open := strings.Index(s, journeystate.SnippetOpen)
		if open < 0 {
			out = append(out, snippetPart{Text: s})
			break
		}
		if open > 0 {
			out = append(out, snippetPart{Text: s[:open]})
		}
		s = s[open+len(journeystate.SnippetOpen):]
		end := strings.Index(s, journeystate.SnippetClose)
		if end < 0 {
			out = append(out, snippetPart{Text: s, Mark: true})
			break
		}
		if end > 0 {
			out = append(out, snippetPart{Text: s[:end], Mark: true})
		}
		s = s[end+len(journeystate.SnippetClose):]
	}
	for i := range out { // a stray marker left in the text is not shown
		out[i].Text = strings.NewReplacer(journeystate.SnippetOpen, "", journeystate.SnippetClose, "").Replace(out[i].Text)
	}
	return out
}

var (
	channelNames = []string{journeystate.ChannelWeb, journeystate.ChannelSlack, journeystate.ChannelSMS}
	reviewMarks  = []journeystate.ReviewMark{journeystate.ReviewGood, journeystate.ReviewNeedsWork, journeystate.ReviewEscalate}
)

func (c *Console) transcripts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c.reports == nil {
		c.deskError(w, r, "transcripts", errNoReports)
		return
	}
	form, err := parseFilter(r.URL.Query())
	if err != nil {
		c.deskError(w, r, "transcripts", err)
		return
	}
	q := form.Query
	q.Cursor, q.Limit = r.URL.Query().Get("cursor"), transcriptsPerPage
	page, err := c.reports.Transcripts(ctx, q)
	if err != nil {
		if q.Cursor != "" {
			err = refuse(http.StatusBadRequest, "This page of the list no longer exists. Start again from the first page.")
		}
		c.deskError(w, r, "list transcripts", err)
		return
	}
	names, users, err := c.userNames(ctx)
	if err != nil {
		c.deskError(w, r, "list transcripts", err)
		return
	}
	u, _ := UserFrom(ctx)
	p := transcriptsPage{User: u, CSRF: CSRFToken(ctx), Form: form, Channels: channelNames, Stages: c.journey.StageNames(),
		Outcomes: outcomes, Reviews: reviewMarks, Ratings: []int{1, 2, 3, 4, 5},
		ExportCSV: form.link("/console/transcripts.csv"), ExportJSON: form.link("/console/transcripts.json")}
	for _, a := range users {
		if a.Role.Allows(journeystate.RoleAgent) {
			p.Agents = append(p.Agents, a)
		}
	}
	for _, row := range page.Rows {
		p.Rows = append(p.Rows, c.listRow(row, names))
	}
	if page.Next != "" {
		p.Next = form.link("/console/transcripts", "cursor", page.Next)
	}
	if q.Cursor != "" {
		p.First = form.link("/console/transcripts")
	}
	c.render(w, http.StatusOK, "transcripts.html", p)
}

func (c *Console) listRow(row journeystate.TranscriptRow, names map[string]string) listRow {
	out := listRow{TranscriptRow: row, Customer: customerLabel(row.CustomerName, row.CustomerEmail)}
	for _, id := range row.Agents {
		out.Agents = append(out.Agents, nameOr(names, id))
	}
	if row.Snippet != "" {
		out.Snippet = splitSnippet(row.Snippet)
	}
	return out
}

func customerLabel(name, email string) string {
	switch {
	case name != "":
		return name
	case email != "":
		return email
	}
	return "Visitor"
}

func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// userNames returns the console users' names by id, and the users.
func (c *Console) userNames(ctx context.Context) (map[string]string, []journeystate.User, error) {
	users, err := c.users.Users(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list users: %w", err)
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	return names, users, nil
}
