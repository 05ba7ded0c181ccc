package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Scopes a Token may hold. A scope grants exactly what it names; customers:write does not imply customers:read.
const (
	// ScopeEventsWrite allows POST /api/v1/events (and its Segment-style aliases): track, identify, page and screen
	// calls, which create customers, append to their journey log and may move their stage or merge them.
	ScopeEventsWrite = "events:write"
	// ScopeCustomersRead allows reading customer records: GET /api/v1/customers/{id}/merges.
	ScopeCustomersRead = "customers:read"
	// ScopeCustomersWrite allows changing customer records: POST /api/v1/merges/{id}/undo.
	ScopeCustomersWrite = "customers:write"
)

// knownScopes are the scopes a Token may list.
var knownScopes = []string{ScopeEventsWrite, ScopeCustomersRead, ScopeCustomersWrite}

// TokenPrefix starts every token NewToken makes, so that a leaked one is recognisable (secret scanners, logs).
const TokenPrefix = "jb_"

// hashPrefix starts Token.Hash: the only hash function supported today.
const hashPrefix = "sha256:"

// maxTokenNameLen bounds Token.Name, which appears in idempotency keys and in the journey log.
const maxTokenNameLen = 64

// Token is an API token as configured: the server keeps only its hash. Name identifies the sender: it is logged,
// recorded as the source of the events it posts, and it namespaces their idempotency keys, so two senders' message
// ids never collide; renaming a token therefore changes the keys of its future events.
type Token struct {
	// Name is 1 to 64 characters of a-z, 0-9, '-', '_' and '.', unique among the tokens.
	Name string `yaml:"name" koanf:"name" json:"name"`
	// Hash is "sha256:" followed by the lower-case hex SHA-256 of the token (see HashToken).
	Hash string `yaml:"hash" koanf:"hash" json:"hash"`
	// Scopes are the scopes granted (ScopeEventsWrite, ScopeCustomersRead, ScopeCustomersWrite).
	Scopes []string `yaml:"scopes" koanf:"scopes" json:"scopes"`
}

// NewToken returns a new random token (TokenPrefix and 32 random bytes in lower-case base32) and its Hash for the
// configuration. The token is shown once and never stored. It fails only when the system's random source does.
func NewToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	token = TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return token, HashToken(token), nil
}

// HashToken returns the Token.Hash of token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hashPrefix + hex.EncodeToString(sum[:])
}

// CheckTokens returns an error naming the first token that is not valid: a bad name or hash, no scope or an
// unknown one, a name or hash used twice. New checks the same; this is for checking a configuration early.
func CheckTokens(tokens []Token) error {
	_, err := newTokenSet(tokens)
	return err
}

// tokenSet is the configured tokens, checked, with their hashes decoded.
type tokenSet struct {
	tokens []Token
	hashes [][sha256.Size]byte
}

// newTokenSet checks the tokens: each error names the token it is about.
func newTokenSet(tokens []Token) (tokenSet, error) {
	var set tokenSet
	names := make(map[string]bool)
	for i, t := range tokens {
		label := fmt.Sprintf("api token %d (%q)", i+1, t.Name)
		if !validTokenName(t.Name) {
			return tokenSet{}, fmt.Errorf("%s: name must be 1 to %d characters of a-z, 0-9, '-', '_' and '.'", label, maxTokenNameLen)
		}
		if names[t.Name] {
			return tokenSet{}, fmt.Errorf("api token %q: name used twice", t.Name)
		}
		names[t.Name] = true
		h, ok := parseHash(t.Hash)
		if !ok {
			return tokenSet{}, fmt.Errorf("api token %q: hash must be %q followed by 64 hex digits (run journeybot tokens new)", t.Name, hashPrefix)
		}
		if j := slices.Index(set.hashes, h); j >= 0 {
			return tokenSet{}, fmt.Errorf("api token %q: same hash as token %q", t.Name, set.tokens[j].Name)
		}
		if len(t.Scopes) == 0 {
			return tokenSet{}, fmt.Errorf("api token %q: no scopes (known: %s)", t.Name, strings.Join(knownScopes, ", "))
		}
		for _, s := range t.Scopes {
			if !slices.Contains(knownScopes, s) {
				return tokenSet{}, fmt.Errorf("api token %q: unknown scope %q (known: %s)", t.Name, s, strings.Join(knownScopes, ", "))
			}
		}
		t.Scopes = slices.Clone(t.Scopes)
		set.tokens = append(set.tokens, t)
		set.hashes = append(set.hashes, h)
	}
	return set, nil
}

func validTokenName(name string) bool {
	if name == "" || len(name) > maxTokenNameLen {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func parseHash(s string) (h [sha256.Size]byte, ok bool) {
	hexPart, found := strings.CutPrefix(s, hashPrefix)
	if !found || len(hexPart) != 2*sha256.Size || strings.ToLower(hexPart) != hexPart {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(hexPart)); err != nil {
		return h, false
	}
	return h, true
}

// Authentication refusals.
var (
	errNoCredentials  = errors.New("no credentials")
	errBadCredentials = errors.New("bad credentials")
)

// lookup returns the token whose hash is the SHA-256 of presented. Every configured hash is compared, in constant
// time, whatever matches: how long the lookup takes says nothing about which token, or how much of one, matched.
func (s tokenSet) lookup(presented string) (Token, bool) {
	sum := sha256.Sum256([]byte(presented))
	found := -1
	for i := range s.hashes {
		if subtle.ConstantTimeCompare(sum[:], s.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Token{}, false
	}
	return s.tokens[found], true
}

// authenticate returns the token the request presents: "Authorization: Bearer TOKEN", or HTTP Basic with the token
// as the user name and an empty password (how Segment and RudderStack send a write key). It returns
// errNoCredentials when there is no Authorization header and errBadCredentials for anything else that is not a
// configured token.
func (s tokenSet) authenticate(r *http.Request) (Token, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Token{}, errNoCredentials
	}
	scheme, value, _ := strings.Cut(header, " ")
	value = strings.TrimSpace(value)
	var presented string
	switch strings.ToLower(scheme) {
	case "bearer":
		presented = value
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return Token{}, errBadCredentials
		}
		user, password, ok := strings.Cut(string(raw), ":")
		if !ok || password != "" {
			return Token{}, errBadCredentials
		}
		presented = user
	default:
		return Token{}, errBadCredentials
	}
	if presented == "" {
		return Token{}, errBadCredentials
	}
	t, ok := s.lookup(presented)
	if !ok {
		return Token{}, errBadCredentials
	}
	return t, nil
}

// has reports whether the token holds scope.
func (t Token) has(scope string) bool { return slices.Contains(t.Scopes, scope) }
