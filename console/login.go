package console

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// loginPage is the data of login.html.
type loginPage struct {
	CSRF  string
	Email string
	Error string
}

// refused is the one message for every wrong sign-in: it never says whether the email or the password was wrong.
const refused = "The email or password is not correct."

// loginForm serves the sign-in form with a fresh CSRF token in a cookie and in the form (double submit).
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, http.StatusOK, "", "")
}

func (c *Console) renderLogin(w http.ResponseWriter, status int, email, msg string) {
	token, err := newToken()
	if err != nil {
		c.log.Error("console: sign-in form", "err", err)
		c.errorPage(w, http.StatusInternalServerError, "Something went wrong. Please try again.")
		return
	}
	c.setCookie(w, loginCookieName, token, 3600)
	c.render(w, status, "login.html", loginPage{CSRF: token, Email: email, Error: msg})
}

// login checks the form's email and password, and on success starts a session: limit the body → check the form's
// CSRF token → rate limit → check the password → create the session → redirect.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			c.errorPage(w, http.StatusRequestEntityTooLarge, "The form was too large.")
			return
		}
		c.errorPage(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	if len(email) > maxEmailBytes {
		email = email[:maxEmailBytes] // only for redisplay and the limiter key; such an address never matches
	}
	ck, err := r.Cookie(loginCookieName)
	if err != nil || !sameToken(r.PostForm.Get(csrfField), ck.Value) {
		c.renderLogin(w, http.StatusForbidden, "", "The sign-in form expired. Please try again.")
		return
	}
	norm, emailErr := journeystate.NormalizeEmail(email)
	key := clientIP(r) + "\x00" + strings.ToLower(email)
	if emailErr == nil {
		key = clientIP(r) + "\x00" + norm
	}
	now := c.now()
	if ok, retry := c.limiter.allow(key, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Round(time.Second)/time.Second)+1))
		c.log.Warn("console: sign-in rate limited", "ip", clientIP(r))
		c.renderLogin(w, http.StatusTooManyRequests, "", "Too many sign-in attempts. Please wait a few minutes and try again.")
		return
	}

	var u journeystate.User
	found := false
	if emailErr == nil && len(password) <= maxPasswordBytes {
		u, err = c.users.UserByEmail(r.Context(), norm)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, journeystate.ErrNotFound):
			c.log.Error("console: load user", "err", err)
			c.errorPage(w, http.StatusInternalServerError, "Something went wrong. Please try again.")
			return
		}
	}
	hash := c.dummyHash
	if found {
		hash = u.PasswordHash
	}
	// The hash is checked in every case, so that an unknown email takes as long to refuse as a wrong password.
	ok := checkPassword(password, hash) && found && !u.Disabled
	if !ok {
		c.log.Info("console: sign-in refused", "ip", clientIP(r), "known_user", found)
		c.renderLogin(w, http.StatusUnauthorized, email, refused)
		return
	}

	token, err := newToken()
	if err == nil {
		_, err = c.users.CreateSession(r.Context(), u.ID, tokenHash(token), now.Add(c.ttl))
	}
	if err != nil {
		c.log.Error("console: create session", "user", u.ID, "err", err)
		c.errorPage(w, http.StatusInternalServerError, "Something went wrong. Please try again.")
		return
	}
	// A session the browser had before is ended: a new sign-in never reuses a token (session fixation).
	if old, err := r.Cookie(CookieName); err == nil && validToken(old.Value) {
		if err := c.users.DeleteSession(r.Context(), tokenHash(old.Value)); err != nil {
			c.log.Warn("console: delete previous session", "err", err)
		}
	}
	c.limiter.reset(key)
	c.clearCookie(w, loginCookieName)
	c.setCookie(w, CookieName, token, int(c.ttl/time.Second))
	c.log.Info("console: signed in", "user", u.ID, "role", string(u.Role))
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// logout ends the request's session (RequireRole has checked it and its CSRF token).
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	s := r.Context().Value(ctxKey{}).(*signedIn)
	if err := c.users.DeleteSession(r.Context(), tokenHash(s.token)); err != nil {
		c.log.Error("console: delete session", "user", s.user.ID, "err", err)
		c.errorPage(w, http.StatusInternalServerError, "Signing out failed. Please try again.")
		return
	}
	c.clearCookie(w, CookieName)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// clientIP is the address the request came from. X-Forwarded-For is not trusted: any client can set it, and a
// limiter keyed by it would limit nobody.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
