package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

const password = "correct horse battery"

type fixture struct {
	mux     *http.ServeMux
	users   *memUsers
	records *memRecords
	desk    *fakeDesk
	console *console.Console
	// ids are the users by email.
	ids map[string]string

	mu  sync.Mutex
	now time.Time
}

// Users of every fixture; all have the password password.
const (
	agentEmail  = "agent@example.com"
	agent2Email = "sam@example.com"
	bossEmail   = "boss@example.com"
)

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, nil) }

// newFixtureWith is newFixture with the console's options changed by edit.
func newFixtureWith(t *testing.T, edit func(*console.Options)) *fixture {
	t.Helper()
	f := &fixture{mux: http.NewServeMux(), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), ids: map[string]string{}}
	f.users = newMemUsers(f.clock)
	f.records = newMemRecords()
	f.desk = newFakeDesk(f.records)
	hash, err := console.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []journeystate.User{
		{Email: agentEmail, Name: "Ann <b>Agent</b>", Role: journeystate.RoleAgent, PasswordHash: hash},
		{Email: bossEmail, Name: "Bo Boss", Role: journeystate.RoleManager, PasswordHash: hash},
		{Email: agent2Email, Name: "Sam Second", Role: journeystate.RoleAgent, PasswordHash: hash},
	} {
		u, err := f.users.CreateUser(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[u.Email] = u.ID
	}
	opts := console.Options{Now: f.clock, SecureCookies: true, SessionTTL: time.Hour,
		Desk: f.desk, Records: f.records, Teams: []string{"billing", "support"},
		CannedReplies: []console.CannedReply{{Title: "Greeting", Text: "Hello! I'm looking into it."}}}
	if edit != nil {
		edit(&opts)
	}
	c, err := console.New(f.users, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Routes(f.mux)
	f.console = c
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fixture) do(req *http.Request, cookies ...*http.Cookie) *http.Response {
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, req)
	return rec.Result()
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func cookie(r *http.Response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login signs in and returns the response.
func (f *fixture) login(t *testing.T, email, pw string) *http.Response {
	t.Helper()
	form := f.do(httptest.NewRequest("GET", "/console/login", nil))
	m := csrfRE.FindStringSubmatch(body(t, form))
	if m == nil {
		t.Fatal("login form has no csrf field")
	}
	v := url.Values{"email": {email}, "password": {pw}, "csrf": {m[1]}}
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(req, cookie(form, "jb_login"))
}

func (f *fixture) session(t *testing.T, email string) *http.Cookie {
	t.Helper()
	r := f.login(t, email, password)
	c := cookie(r, console.CookieName)
	if r.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("sign-in of %s = %d, cookie %v", email, r.StatusCode, c)
	}
	return c
}

func TestLoginAndCookieFlags(t *testing.T) {
	f := newFixture(t)
	c := f.session(t, "Agent@Example.com")
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/console" {
		t.Errorf("cookie = %+v, want HttpOnly, Secure, SameSite=Strict, Path=/console", c)
	}
	r := f.do(httptest.NewRequest("GET", "/console/", nil), c)
	b := body(t, r)
	if r.StatusCode != 200 || !strings.Contains(b, "Signed in as Ann &lt;b&gt;Agent&lt;/b&gt; (agent)") {
		t.Errorf("GET /console/ = %d %q", r.StatusCode, b)
	}
	if r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("headers = %v", r.Header)
	}
}

func TestLoginRefused(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ name, email, pw string }{
		{"wrong password", "agent@example.com", "wrong password!"},
		{"unknown user", "nobody@example.com", password},
		{"odd encoding", "agent@example.com\xff\x00", password},
		{"huge field", strings.Repeat("a", 5000) + "@example.com", password},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.login(t, tt.email, tt.pw)
			if r.StatusCode == http.StatusSeeOther || cookie(r, console.CookieName) != nil {
				t.Fatalf("sign-in = %d with a session cookie, want refused", r.StatusCode)
			}
			if b := body(t, r); tt.name != "huge field" && !strings.Contains(b, "The email or password is not correct.") {
				t.Errorf("page = %q", b)
			}
		})
	}
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader("email="+strings.Repeat("a", 1<<20)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := f.do(req); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body = %d, want 413", r.StatusCode)
	}
}

func TestExpiredSessionRefused(t *testing.T) {
	f := newFixture(t)
	c := f.session(t, "agent@example.com")
	f.advance(time.Hour)
	r := f.do(httptest.NewRequest("GET", "/console/", nil), c)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/login" {
		t.Errorf("expired session: GET /console/ = %d %s, want 303 to sign-in", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestRoles(t *testing.T) {
	f, _ := newManagerFixture(t, nil)
	if r := f.do(httptest.NewRequest("GET", "/console/manager", nil), f.session(t, "agent@example.com")); r.StatusCode != http.StatusForbidden {
		t.Errorf("agent: /console/manager = %d, want 403", r.StatusCode)
	}
	r := f.do(httptest.NewRequest("GET", "/console/manager", nil), f.session(t, "boss@example.com"))
	if b := body(t, r); r.StatusCode != 200 || !strings.Contains(b, "<h1>Dashboard</h1>") {
		t.Errorf("manager: /console/manager = %d %q", r.StatusCode, b)
	}
}

func TestCSRFAndLogout(t *testing.T) {
	f := newFixture(t)
	c := f.session(t, "agent@example.com")
	home := body(t, f.do(httptest.NewRequest("GET", "/console/", nil), c))
	token := csrfRE.FindStringSubmatch(home)[1]
	post := func(csrf string) *http.Response {
		req := httptest.NewRequest("POST", "/console/logout", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f.do(req, c)
	}
	// A token one character off: the last one changed (to A, or to B when it is an A already).
	last := "A"
	if strings.HasSuffix(token, "A") {
		last = "B"
	}
	for _, bad := range []string{"", "x", token[:len(token)-1] + last} {
		if r := post(bad); r.StatusCode != http.StatusForbidden {
			t.Errorf("logout with csrf %q = %d, want 403", bad, r.StatusCode)
		}
	}
	if r := post(token); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout = %d, want 303", r.StatusCode)
	}
	if r := f.do(httptest.NewRequest("GET", "/console/", nil), c); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout GET /console/ = %d, want 303 to sign-in", r.StatusCode)
	}
}
