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
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

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
}

// Console serves the console's pages. It is safe for concurrent use.
type Console struct {
	users   journeystate.UserStore
	now     func() time.Time
	log     *slog.Logger
	secure  bool
	ttl     time.Duration
	limiter *limiter
	pages   *template.Template
	// dummyHash is checked against when the email is unknown, so that a refusal takes as long for an unknown user
	// as for a wrong password (no timing oracle for which emails have accounts).
	dummyHash string
}

// New returns a Console on users. It fails only when the dummy password hash cannot be made (no randomness).
func New(users journeystate.UserStore, opts Options) (*Console, error) {
	if users == nil {
		return nil, errors.New("console: a user store is required")
	}
	c := &Console{users: users, now: opts.Now, log: opts.Logger, secure: opts.SecureCookies, ttl: opts.SessionTTL}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
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
	c.pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))
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
//	GET  /console/manager the manager area (managers and admins)
//
// and answers 404, with the console's headers, for any other path under /console/.
func (c *Console) Routes(mux *http.ServeMux) {
	mux.Handle("GET /console/login", c.headers(http.HandlerFunc(c.loginForm)))
	mux.Handle("POST /console/login", c.headers(http.HandlerFunc(c.login)))
	mux.Handle("POST /console/logout", c.RequireRole(journeystate.RoleAgent)(http.HandlerFunc(c.logout)))
	mux.Handle("GET /console/{$}", c.RequireRole(journeystate.RoleAgent)(http.HandlerFunc(c.home)))
	mux.Handle("GET /console/manager", c.RequireRole(journeystate.RoleManager)(http.HandlerFunc(c.managerArea)))
	mux.Handle("/console/", c.headers(http.NotFoundHandler()))
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
