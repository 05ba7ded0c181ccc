package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/journeybot/journeybot/journeystate"
)

// tokenBytes is the size of a session token and of the sign-in form's CSRF token.
const tokenBytes = 32

// newToken returns tokenBytes random bytes, base64url without padding.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validToken reports whether s has the form of a token newToken made; anything else is not looked up.
func validToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == tokenBytes
}

// tokenHash is how the store knows a session: a database reader learns no token from it.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// csrfToken is the session's CSRF token. It is derived from the session token, which only the browser holds (an
// HttpOnly cookie), so another site cannot know it, and the store need not keep it; it differs from the stored hash,
// so a database reader cannot compute it either.
func csrfToken(sessionToken string) string {
	h := sha256.Sum256([]byte("journeybot console csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// sameToken compares two tokens in constant time; an empty one matches nothing.
func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// signedIn is what RequireRole puts in a request's context.
type signedIn struct {
	user  journeystate.User
	token string // the session token, to sign out
	csrf  string
}

type ctxKey struct{}

// UserFrom returns the signed-in user of a request that went through RequireRole.
func UserFrom(ctx context.Context) (journeystate.User, bool) {
	s, ok := ctx.Value(ctxKey{}).(*signedIn)
	if !ok {
		return journeystate.User{}, false
	}
	return s.user, true
}

// CSRFToken returns the CSRF token of a request that went through RequireRole, for the pages' forms (a hidden
// field named "csrf") and htmx requests (the X-CSRF-Token header); "" outside RequireRole.
func CSRFToken(ctx context.Context) string {
	s, ok := ctx.Value(ctxKey{}).(*signedIn)
	if !ok {
		return ""
	}
	return s.csrf
}

// errNoSession means the request carries no session that counts: none, malformed, unknown, expired, or of a user
// who is gone or disabled.
var errNoSession = errors.New("no valid session")

// session returns who signed in the request comes from, or errNoSession; other errors are the store's.
func (c *Console) session(r *http.Request) (*signedIn, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || !validToken(ck.Value) {
		return nil, errNoSession
	}
	sess, err := c.users.Session(r.Context(), tokenHash(ck.Value))
	if errors.Is(err, journeystate.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if !c.now().Before(sess.ExpiresAt) {
		// Expired sessions are removed when they are next presented; a failure only leaves a dead row.
		if err := c.users.DeleteSession(r.Context(), sess.TokenHash); err != nil {
			c.log.Warn("console: delete expired session", "err", err)
		}
		return nil, errNoSession
	}
	u, err := c.users.User(r.Context(), sess.UserID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errNoSession
	}
	return &signedIn{user: u, token: ck.Value, csrf: csrfToken(ck.Value)}, nil
}

// RequireRole returns middleware that lets a request through only from a signed-in user whose role allows role,
// and, for every method but GET and HEAD, only with the session's CSRF token (form field "csrf" or header
// X-CSRF-Token). A GET without a session is redirected to the sign-in page; any other request without one gets 401,
// and so does a request from htmx, with HX-Redirect to the sign-in page;
// a user whose role is too low gets 403; a missing or wrong CSRF token gets 403. The handler finds the user with
// UserFrom and the token with CSRFToken. Every response carries the console's security headers.
func (c *Console) RequireRole(role journeystate.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := c.session(r)
			switch {
			case errors.Is(err, errNoSession):
				c.clearCookie(w, CookieName)
				if r.Header.Get("HX-Request") == "true" {
					// htmx would swap the sign-in page into a fragment: have it load the page instead.
					w.Header().Set("HX-Redirect", "/console/login")
					c.errorPage(w, http.StatusUnauthorized, "Your session has ended. Please sign in again.")
					return
				}
				if r.Method == http.MethodGet || r.Method == http.MethodHead {
					http.Redirect(w, r, "/console/login", http.StatusSeeOther)
					return
				}
				c.errorPage(w, http.StatusUnauthorized, "Your session has ended. Please sign in again.")
				return
			case err != nil:
				c.log.Error("console: load session", "err", err)
				c.errorPage(w, http.StatusInternalServerError, "Something went wrong. Please try again.")
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				r.Body = http.MaxBytesReader(w, r.Body, maxPostBytes)
				got := r.Header.Get(csrfHeader)
				if got == "" {
					var tooLarge *http.MaxBytesError
					if err := r.ParseForm(); errors.As(err, &tooLarge) {
						c.errorPage(w, http.StatusRequestEntityTooLarge, "The form was too large.")
						return
					}
					got = r.PostForm.Get(csrfField)
				}
				if !sameToken(got, s.csrf) {
					c.errorPage(w, http.StatusForbidden, "This form has expired. Reload the page and try again.")
					return
				}
			}
			if !s.user.Role.Allows(role) {
				c.errorPage(w, http.StatusForbidden, "You do not have access to this page.")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
		}))
	}
}

// setCookie sets a console cookie: HttpOnly, SameSite=Strict, limited to /console, Secure when configured.
func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     cookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// clearCookie tells the browser to forget a console cookie.
func (c *Console) clearCookie(w http.ResponseWriter, name string) { c.setCookie(w, name, "", -1) }

// errorPage answers with a short page that says what happened, in words safe for anyone to read.
func (c *Console) errorPage(w http.ResponseWriter, status int, message string) {
	c.render(w, status, "error.html", struct {
		Title   string
		Message string
	}{http.StatusText(status), message})
}
