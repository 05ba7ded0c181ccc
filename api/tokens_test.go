package api

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	token, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^jb_[a-z2-7]{52}$`).MatchString(token) {
		t.Errorf("token %q: want jb_ and 52 base32 characters", token)
	}
	if hash != HashToken(token) {
		t.Errorf("hash %q, want HashToken(token) %q", hash, HashToken(token))
	}
	set, err := newTokenSet([]Token{{Name: "crm", Hash: hash, Scopes: []string{ScopeEventsWrite}}})
	if err != nil {
		t.Fatalf("the hash NewToken made is refused: %v", err)
	}
	if got, ok := set.lookup(token); !ok || got.Name != "crm" {
		t.Errorf("lookup(token) = %q, %v; want crm, true", got.Name, ok)
	}
	other, _, _ := NewToken()
	if other == token {
		t.Error("two NewToken calls made the same token")
	}
	if _, ok := set.lookup(other); ok {
		t.Error("another token was accepted")
	}
}

func TestNewTokenSetRefuses(t *testing.T) {
	good := HashToken("jb_x")
	tests := []struct {
		name   string
		tokens []Token
		want   string // in the error
	}{
		{"no name", []Token{{Hash: good, Scopes: []string{ScopeEventsWrite}}}, `api token 1 ("")`},
		{"bad name", []Token{{Name: "CRM key", Hash: good, Scopes: []string{ScopeEventsWrite}}}, `"CRM key"`},
		{"colon in name", []Token{{Name: "a:b", Hash: good, Scopes: []string{ScopeEventsWrite}}}, `"a:b"`},
		{"bad hash prefix", []Token{{Name: "crm", Hash: "md5:" + strings.Repeat("0", 64), Scopes: []string{ScopeEventsWrite}}}, `api token "crm": hash`},
		{"short hash", []Token{{Name: "crm", Hash: "sha256:abcd", Scopes: []string{ScopeEventsWrite}}}, `api token "crm": hash`},
		{"upper-case hash", []Token{{Name: "crm", Hash: strings.ToUpper(good), Scopes: []string{ScopeEventsWrite}}}, `api token "crm": hash`},
		{"the token itself as hash", []Token{{Name: "crm", Hash: "jb_x", Scopes: []string{ScopeEventsWrite}}}, `api token "crm": hash`},
		{"no scopes", []Token{{Name: "crm", Hash: good}}, `api token "crm": no scopes`},
		{"unknown scope", []Token{{Name: "crm", Hash: good, Scopes: []string{"events:read"}}}, `api token "crm": unknown scope "events:read"`},
		{"duplicate name", []Token{
			{Name: "crm", Hash: good, Scopes: []string{ScopeEventsWrite}},
			{Name: "crm", Hash: HashToken("jb_y"), Scopes: []string{ScopeEventsWrite}},
		}, `api token "crm": name used twice`},
		{"duplicate hash", []Token{
			{Name: "crm", Hash: good, Scopes: []string{ScopeEventsWrite}},
			{Name: "shop", Hash: good, Scopes: []string{ScopeEventsWrite}},
		}, `api token "shop": same hash as token "crm"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTokenSet(tt.tokens)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %s", err, tt.want)
			}
			if _, err := New(&fakeRecorder{}, Options{Tokens: tt.tokens}); err == nil {
				t.Error("New accepted the tokens")
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	set, err := newTokenSet(testTokens())
	if err != nil {
		t.Fatal(err)
	}
	basic := func(user, password string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	}
	// A token that differs from a real one in its last character only.
	nearMiss := tokenCRM[:len(tokenCRM)-1] + "X"
	tests := []struct {
		name   string
		header string
		want   string // the token's name; "" for a refusal
		err    error
	}{
		{"none", "", "", errNoCredentials},
		{"bearer", "Bearer " + tokenCRM, "crm", nil},
		{"bearer in lower case", "bearer " + tokenAdmin, "admin", nil},
		{"bearer, extra spaces", "Bearer   " + tokenCRM + " ", "crm", nil},
		{"basic, token as user, empty password", basic(tokenCRM, ""), "crm", nil},
		{"basic with a password", basic(tokenCRM, "secret"), "", errBadCredentials},
		{"basic, token as password", basic("", tokenCRM), "", errBadCredentials},
		{"basic, not base64", "Basic !!!", "", errBadCredentials},
		{"basic without colon", "Basic " + base64.StdEncoding.EncodeToString([]byte(tokenCRM)), "", errBadCredentials},
		{"unknown token", "Bearer jb_nobody", "", errBadCredentials},
		{"near miss", "Bearer " + nearMiss, "", errBadCredentials},
		{"the hash instead of the token", "Bearer " + HashToken(tokenCRM), "", errBadCredentials},
		{"empty bearer", "Bearer ", "", errBadCredentials},
		{"other scheme", "Token " + tokenCRM, "", errBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			got, err := set.authenticate(r)
			if err != tt.err || got.Name != tt.want {
				t.Errorf("authenticate = %q, %v; want %q, %v", got.Name, err, tt.want, tt.err)
			}
		})
	}
}
