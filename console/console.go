// Package console is journeybot's agent console and manager dashboard under /console/: the sign-in of console users
// (agents, managers, admins), their sessions, and the pages they use, rendered with html/template.
//
// This file set is the security foundation every console page stands on: passwords hashed with argon2id, sessions
// kept in the store only as hashes of their cookie tokens, a CSRF token on every POST, role checks (RequireRole),
// per-IP-and-email rate limits on sign-in, and security headers on every response. Pages must render every value
// through html/template (never template.HTML of customer or model text), must not log passwords, tokens or the text of
// messages, and must not read the config file or the environment: cmd/journeybot passes Options.
package console

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/journeybot/journeybot/analytics"
	"github.com/journeybot/journeybot/journeystate"
)

// Defaults and limits.
const (
	// DefaultSessionTTL is how long a session lasts when Options.SessionTTL is 0: one working day and a bit.
	DefaultSessionTTL = 12 * time.Hour
	// CookieName is the session cookie's name.
	CookieName = "jb_session"
	// loginCookieName holds the sign-in form's CSRF token before there is a session (a double-submit cookie), so
	// that no other site can sign a browser in to an account of its choosing.
	loginCookieName = "jb_login"
	// cookiePath limits both cookies to the console.
	cookiePath = "/console"
	// maxFormBytes bounds the body of every console form; the sign-in form needs a few hundred bytes.
	maxFormBytes = 8 << 10
	// maxPostBytes bounds the body of the signed-in users' POSTs: a reply of maxTextChars characters of 4 bytes
	// each, percent-encoded (3 bytes a byte), and the form's other fields.
	maxPostBytes = 64 << 10
	// maxEmailBytes and maxPasswordBytes bound the fields of the sign-in form (RFC 5321 allows 254 for an address).
	maxEmailBytes    = 254
	maxPasswordBytes = 1024
	// csrfField and csrfHeader carry the CSRF token: the hidden form field, or the header htmx sends
	// (hx-headers='{"X-CSRF-Token": "..."}').
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

//go:embed templates/*.html
var templateFS embed.FS

// Options configures a Console. Zero fields take the defaults given.
type Options struct {
	// Now is the clock (default time.Now); tests move it to expire sessions.
	Now func() time.Time
	// Logger receives sign-in failures and store errors (default slog.Default()). Passwords, tokens and emails
	// are never logged.
	Logger *slog.Logger
	// SecureCookies marks the cookies Secure, so that browsers send them only over HTTPS. Set it whenever the
	// console is served over HTTPS (directly or behind a TLS-terminating proxy); leave it off only for plain-HTTP
	// development on localhost.
	SecureCookies bool
	// SessionTTL is how long a session lasts after sign-in (default DefaultSessionTTL).
	SessionTTL time.Duration
	// LoginAttempts and LoginWindow bound sign-in attempts per client IP and email: at most LoginAttempts in any
	// LoginWindow (defaults 10 and 15 minutes). A successful sign-in clears the count.
	LoginAttempts int
	LoginWindow   time.Duration

	// Desk is what agents do with conversations (required): the engine.
	Desk Desk
	// Records is what the pages read (required): the journey store.
	Records Records
	// Teams are the team names an agent may transfer a conversation to (routing's teams); none hides the transfer.
	Teams []string
	// CannedReplies are ready-made texts an agent may put in a reply and edit before sending.
	CannedReplies []CannedReply

	// Reports is what the manager pages read and write beyond Records (transcripts, tags, review marks, KPI facts,
	// the whole journey log); nil means Records, when Records implements Reports (journeystate.Store does).
	// Without it the manager pages answer 503.
	Reports Reports
	// Journey is the designed journey map the journeys page checks the log against; the zero map shows discovery
	// only (every path deviates from a map without paths).
	Journey journeystate.JourneyMap
	// InsightsEvery is how old the journey insights may grow before a page asks for fresh ones (default
	// DefaultInsightsEvery).
	InsightsEvery time.Duration
	// JourneyNamer, when set, names the journeys the map does not describe (a model); nil keeps the default names
	// ("consideration → support (skips purchase)").
	JourneyNamer analytics.Namer
}

// Console serves the console's pages. It is safe for concurrent use.
type Console struct {
	users   journeystate.UserStore
	desk    Desk
	records Records
	teams   []string
	canned  []CannedReply
	reports Reports
	journey journeystate.JourneyMap
	// insights mine the journey log for the journeys page; nil without reports.
	insights   *Insights
	dashboards dashboardCache
	static     *staticFiles
	streams    *streamLimit
	// done is closed by Close: the event streams end.
	done      chan struct{}
	closeOnce sync.Once
	now       func() time.Time
	log       *slog.Logger
	secure    bool
	ttl       time.Duration
	limiter   *limiter
	pages     *template.Template
	// dummyHash is checked against when the email is unknown, so that a refusal takes as long for an unknown user
	// as for a wrong password (no timing oracle for which emails have accounts).
	dummyHash string
}

// New returns a Console on users. It fails when users, opts.Desk or opts.Records is missing, and when the dummy
// password hash cannot be made (no randomness).
func New(users journeystate.UserStore, opts Options) (*Console, error) {
	if users == nil {
		return nil, errors.New("console: a user store is required")
	}
	if opts.Desk == nil || opts.Records == nil {
		return nil, errors.New("console: a desk and records are required")
	}
	c := &Console{users: users, now: opts.Now, log: opts.Logger, secure: opts.SecureCookies, ttl: opts.SessionTTL,
		desk: opts.Desk, records: opts.Records, teams: slices.Clone(opts.Teams), canned: slices.Clone(opts.CannedReplies),
		streams: &streamLimit{max: maxStreams}, done: make(chan struct{})}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.reports, c.journey = opts.Reports, opts.Journey
	if c.reports == nil {
		c.reports, _ = opts.Records.(Reports)
	}
	if c.reports != nil {
		c.insights = NewInsights(c.reports, c.journey, opts.InsightsEvery, c.now, c.log)
		if opts.JourneyNamer != nil {
			c.insights.SetNamer(opts.JourneyNamer)
		}
	}
	if c.ttl <= 0 {
		c.ttl = DefaultSessionTTL
	}
	attempts, window := opts.LoginAttempts, opts.LoginWindow
	if attempts <= 0 {
		attempts = 10
	}
	if window <= 0 {
		window = 15 * time.Minute
	}
	c.limiter = newLimiter(attempts, window, maxLimiterKeys)
	c.static = loadStatic()
	c.pages = template.Must(template.New("").Funcs(c.funcs()).ParseFS(templateFS, "templates/*.html"))
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	if c.dummyHash, err = hashPassword(token); err != nil {
		return nil, err
	}
	return c, nil
}

// Routes registers the console's pages on mux:
//
//	GET  /console/login   the sign-in form
//	POST /console/login   sign in; sets the session cookie and redirects to /console/
//	POST /console/logout  sign out (any signed-in user)
//	GET  /console/        the landing page (any signed-in user)
//	GET  /console/manager the dashboard: KPIs of a period (?period=7d|30d|90d&channel=) (managers and admins)
//	GET  /console/static/{name}  the console's scripts and styles (no session needed)
//
// and the agent desk (any signed-in user; every POST needs the CSRF token):
//
//	GET  /console/                the workspace: the agent's status, the queue and their own conversations
//	GET  /console/queue           the queue and "Mine" as a fragment, for htmx to reload
//	POST /console/status          set the agent's status (online, away, offline)
//	GET  /console/events          server-sent events that tell the pages what to reload
//	GET  /console/conversations/{id}             the conversation: transcript, hand-off packet, notes, actions
//	GET  /console/conversations/{id}/transcript  fragments of it, for htmx to reload
//	GET  /console/conversations/{id}/notes
//	GET  /console/conversations/{id}/actions
//	POST /console/conversations/{id}/take        take it (from the queue, the bot, or closed: a follow-up)
//	POST /console/conversations/{id}/assign      give it to another agent (its owner, or a manager)
//	POST /console/conversations/{id}/transfer    put it in a team's queue (its owner)
//	POST /console/conversations/{id}/handback    give it back to the bot (its owner)
//	POST /console/conversations/{id}/close       close it with an outcome (its owner; anyone for a queued one)
//	POST /console/conversations/{id}/reply       answer the customer (its owner)
//	POST /console/conversations/{id}/notes       write an internal note (anyone)
//	POST /console/conversations/{id}/typing      show the customer the owner is typing (on=1) or not (on=0)
//
// and the manager pages (managers and admins; every POST needs the CSRF token):
//
//	GET  /console/journeys                       journey mapping: discovery, desired vs actual, unknown, categories
//	GET  /console/transcripts                    the transcript list with filters (a GET form) and search
//	GET  /console/transcripts.csv                the list's filter exported, one row per conversation with its KPIs
//	GET  /console/transcripts.json               the same as a JSON array
//	GET  /console/transcripts/{id}               the customer's timeline around the conversation, tags, review
//	GET  /console/transcripts/{id}/print         a printable transcript
//	GET  /console/transcripts/{id}/export.json   the transcript as JSON
//	GET  /console/transcripts/{id}/export.csv    its timeline as CSV
//	POST /console/transcripts/{id}/tags          replace its tags
//	POST /console/transcripts/{id}/review        set its review mark with a note
//
// and answers 404, with the console's headers, for any other path under /console/.
func (c *Console) Routes(mux *http.ServeMux) {
	agent := c.RequireRole(journeystate.RoleAgent)
	mux.Handle("GET /console/login", c.headers(http.HandlerFunc(c.loginForm)))
	mux.Handle("POST /console/login", c.headers(http.HandlerFunc(c.login)))
	mux.Handle("POST /console/logout", agent(http.HandlerFunc(c.logout)))
	manager := c.RequireRole(journeystate.RoleManager)
	mux.Handle("GET /console/manager", manager(http.HandlerFunc(c.managerArea)))
	mux.Handle("GET /console/journeys", manager(http.HandlerFunc(c.journeys)))
	mux.Handle("GET /console/transcripts", manager(http.HandlerFunc(c.transcripts)))
	mux.Handle("GET /console/transcripts.csv", manager(http.HandlerFunc(c.exportCSV)))
	mux.Handle("GET /console/transcripts.json", manager(http.HandlerFunc(c.exportJSON)))
	mux.Handle("GET /console/transcripts/{id}", manager(http.HandlerFunc(c.transcript)))
	mux.Handle("GET /console/transcripts/{id}/print", manager(http.HandlerFunc(c.printTranscript)))
	mux.Handle("GET /console/transcripts/{id}/export.json", manager(http.HandlerFunc(c.transcriptJSON)))
	mux.Handle("GET /console/transcripts/{id}/export.csv", manager(http.HandlerFunc(c.transcriptCSV)))
	mux.Handle("POST /console/transcripts/{id}/tags", manager(http.HandlerFunc(c.setTags)))
	mux.Handle("POST /console/transcripts/{id}/review", manager(http.HandlerFunc(c.setReview)))
	mux.Handle("GET /console/static/{name}", c.headers(http.HandlerFunc(c.serveStatic)))

	mux.Handle("GET /console/{$}", agent(http.HandlerFunc(c.workspace)))
	mux.Handle("GET /console/queue", agent(http.HandlerFunc(c.queueFragment)))
	mux.Handle("POST /console/status", agent(http.HandlerFunc(c.setStatus)))
	mux.Handle("GET /console/events", agent(http.HandlerFunc(c.events)))
	mux.Handle("GET /console/conversations/{id}", agent(http.HandlerFunc(c.conversation)))
	mux.Handle("GET /console/conversations/{id}/transcript", agent(http.HandlerFunc(c.transcriptFragment)))
	mux.Handle("GET /console/conversations/{id}/notes", agent(http.HandlerFunc(c.notesFragment)))
	mux.Handle("GET /console/conversations/{id}/actions", agent(http.HandlerFunc(c.actionsFragment)))
	mux.Handle("POST /console/conversations/{id}/take", agent(http.HandlerFunc(c.take)))
	mux.Handle("POST /console/conversations/{id}/assign", agent(http.HandlerFunc(c.assign)))
	mux.Handle("POST /console/conversations/{id}/transfer", agent(http.HandlerFunc(c.transfer)))
	mux.Handle("POST /console/conversations/{id}/handback", agent(http.HandlerFunc(c.handBack)))
	mux.Handle("POST /console/conversations/{id}/close", agent(http.HandlerFunc(c.closeConversation)))
	mux.Handle("POST /console/conversations/{id}/reply", agent(http.HandlerFunc(c.reply)))
	mux.Handle("POST /console/conversations/{id}/notes", agent(http.HandlerFunc(c.note)))
	mux.Handle("POST /console/conversations/{id}/typing", agent(http.HandlerFunc(c.typing)))
	mux.Handle("/console/", c.headers(http.NotFoundHandler()))
}

// Close ends the open event streams (GET /console/events) and refuses new ones, so that an http.Server's Shutdown
// need not wait for them: call it from the server's RegisterOnShutdown. Pages go on working; they poll. It is safe
// to call more than once.
// It also stops the journey insights' background computation.
func (c *Console) Close() {
	c.closeOnce.Do(func() {
		close(c.done)
		if c.insights != nil {
			c.insights.Close()
		}
	})
}

// headers sets the security headers every console response carries. Nothing in the console may be framed, run
// inline script or style, load from another origin, or be cached (pages carry CSRF tokens and customers' data).
func (c *Console) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// render executes the page template name with data and status. A template error is logged; the client gets a
// plain 500 when nothing was written yet.
func (c *Console) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.pages.ExecuteTemplate(w, name, data); err != nil {
		c.log.Error("console: render page", "page", name, "err", err)
	}
}

// headData is what the layout's "head" needs: the page's title and, on signed-in pages, the CSRF token that htmx
// sends with every request (hx-headers on <body>).
type headData struct {
	Title string
	CSRF  string
}

// funcs are the templates' functions. None of them returns template.HTML: every value stays escaped.
func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"head": func(title, csrf string) headData { return headData{Title: title, CSRF: csrf} },
		"mhead": func(title, csrf string, charts bool) managerHead {
			return managerHead{Title: title, CSRF: csrf, Charts: charts}
		},
		"static": c.static.url,
		"hxHeaders": func(csrf string) (string, error) {
			b, err := json.Marshal(map[string]string{csrfHeader: csrf})
			return string(b), err
		},
		"ago": func(now, t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return waited(now.Sub(t)) + " ago"
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"percent":  func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"percent1": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"span":     span,
		"join":     strings.Join,
		"inc":      func(i int) int { return i + 1 },
		"kpiTable": func(caption, key string, rows []groupRow) any {
			return struct {
				Caption, Key string
				Rows         []groupRow
			}{caption, key, rows}
		},
		"countTable": func(caption, key string, rows []countRow) any {
			return struct {
				Caption, Key string
				Rows         []countRow
			}{caption, key, rows}
		},
		"dur":    durationOr,
		"rating": ratingOr,
		"rate":   percentOf,
		"week":   weekOf,
		"rowsOf": func(rows []convRow, csrf, list string) convTable {
			return convTable{Rows: rows, CSRF: csrf, List: list}
		},
	}
}
