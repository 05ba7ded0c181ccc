package webchat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

const testSecret = "s3cr3t-identity-key-for-tests-0123456789"

// hmacHex computes the expected hash with crypto/hmac directly, independently of IdentityHash.
func hmacHex(secret, msg string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestIdentityHash(t *testing.T) {
	// RFC 4231, test case 2.
	const want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got := IdentityHash("Jefe", "what do ya want for nothing?"); got != want {
		t.Errorf("IdentityHash(RFC 4231 case 2) = %s, want %s", got, want)
	}
	if got, want := IdentityHash(testSecret, "u_42"), hmacHex(testSecret, "u_42"); got != want {
		t.Errorf("IdentityHash(u_42) = %s, want %s", got, want)
	}
}

func TestVerifyHash(t *testing.T) {
	good := hmacHex(testSecret, "u_42")
	flipped := []byte(good)
	flipped[10] ^= 1 // '0'..'f' stay hex after flipping the low bit of most digits; checked below
	tests := []struct {
		name                 string
		secret, userID, hash string
		want                 bool
	}{
		{name: "good", secret: testSecret, userID: "u_42", hash: good, want: true},
		{name: "uppercase hex", secret: testSecret, userID: "u_42", hash: strings.ToUpper(good), want: true},
		{name: "RFC 4231 case 2", secret: "Jefe", userID: "what do ya want for nothing?",
			hash: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want: true},
		{name: "one digit changed", secret: testSecret, userID: "u_42", hash: string(flipped)},
		{name: "other user", secret: testSecret, userID: "u_43", hash: good},
		{name: "other secret", secret: testSecret + "x", userID: "u_42", hash: good},
		{name: "empty secret", secret: "", userID: "u_42", hash: hmacHex("", "u_42")},
		{name: "empty user id", secret: testSecret, userID: "", hash: hmacHex(testSecret, "")},
		{name: "empty hash", secret: testSecret, userID: "u_42", hash: ""},
		{name: "short hash", secret: testSecret, userID: "u_42", hash: good[:62]},
		{name: "long hash", secret: testSecret, userID: "u_42", hash: good + "00"},
		{name: "not hex", secret: testSecret, userID: "u_42", hash: "zz" + good[2:]},
		{name: "sha256 of the id, no key", secret: testSecret, userID: "u_42",
			hash: fmt.Sprintf("%x", sha256.Sum256([]byte("u_42")))},
	}
	if _, err := hex.DecodeString(string(flipped)); err != nil || string(flipped) == good {
		t.Fatalf("test setup: flipped hash %s is not a different hex string", flipped)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verifyHash(tt.secret, tt.userID, tt.hash); got != tt.want {
				t.Errorf("verifyHash(%q, %q, %q) = %v, want %v", tt.secret, tt.userID, tt.hash, got, tt.want)
			}
		})
	}
}

func TestDecodeIdentify(t *testing.T) {
	hash := hmacHex(testSecret, "u_42")
	tests := []struct {
		name     string
		in       string
		want     clientFrame
		wantCode string // "" for success
	}{
		{name: "all claims", in: `{"type":"identify","user_id":"u_42","email":"ada@example.com","phone":"+44 20 7946 0958","name":"Ada Lovelace","hash":"` + hash + `"}`,
			want: clientFrame{Type: typeIdentify, UserID: "u_42", Email: "ada@example.com", Phone: "+44 20 7946 0958",
				Name: "Ada Lovelace", Hash: hash}},
		{name: "hash lowercased", in: `{"type":"identify","user_id":"u_42","hash":"` + strings.ToUpper(hash) + `"}`,
			want: clientFrame{Type: typeIdentify, UserID: "u_42", Hash: hash}},
		{name: "email only", in: `{"type":"identify","email":" ada@example.com "}`,
			want: clientFrame{Type: typeIdentify, Email: "ada@example.com"}},
		{name: "phone only", in: `{"type":"identify","phone":"(020) 7946-0958"}`,
			want: clientFrame{Type: typeIdentify, Phone: "(020) 7946-0958"}},
		{name: "name only, trimmed", in: `{"type":"identify","name":"  Zoë  "}`,
			want: clientFrame{Type: typeIdentify, Name: "Zoë"}},
		{name: "user id as sent", in: `{"type":"identify","user_id":"Ada@Example.COM/42"}`,
			want: clientFrame{Type: typeIdentify, UserID: "Ada@Example.COM/42"}},
		{name: "longest user id", in: `{"type":"identify","user_id":"` + strings.Repeat("u", maxUserIDBytes) + `"}`,
			want: clientFrame{Type: typeIdentify, UserID: strings.Repeat("u", maxUserIDBytes)}},
		{name: "unknown fields ignored", in: `{"type":"identify","user_id":"u_42","traits":{"plan":"pro"}}`,
			want: clientFrame{Type: typeIdentify, UserID: "u_42"}},

		{name: "no claims", in: `{"type":"identify"}`, wantCode: codeBadRequest},
		{name: "only white space", in: `{"type":"identify","email":"  ","name":"\t"}`, wantCode: codeBadRequest},
		{name: "hash alone", in: `{"type":"identify","hash":"` + hash + `"}`, wantCode: codeBadRequest},
		{name: "hash with email only", in: `{"type":"identify","email":"a@b.c","hash":"` + hash + `"}`,
			wantCode: codeBadRequest},
		{name: "id instead of user_id", in: `{"type":"identify","id":"u_42","hash":"` + hash + `"}`,
			wantCode: codeBadRequest},
		{name: "user id of wrong type", in: `{"type":"identify","user_id":42}`, wantCode: codeBadFrame},
		{name: "email of wrong type", in: `{"type":"identify","email":["a@b.c"]}`, wantCode: codeBadFrame},
		{name: "hash of wrong type", in: `{"type":"identify","user_id":"u","hash":{"hex":"00"}}`, wantCode: codeBadFrame},
		{name: "name null is absent", in: `{"type":"identify","user_id":"u_42","name":null}`,
			want: clientFrame{Type: typeIdentify, UserID: "u_42"}},
		{name: "user id too long", in: `{"type":"identify","user_id":"` + strings.Repeat("u", maxUserIDBytes+1) + `"}`,
			wantCode: codeBadRequest},
		{name: "1 MB user id", in: `{"type":"identify","user_id":"` + strings.Repeat("u", 1<<20) + `"}`,
			wantCode: codeBadRequest},
		{name: "user id with a newline", in: `{"type":"identify","user_id":"u_42\nadmin"}`, wantCode: codeBadRequest},
		{name: "user id with NUL", in: `{"type":"identify","user_id":"u_42\u0000"}`, wantCode: codeBadRequest},
		{name: "user id with surrounding space", in: `{"type":"identify","user_id":" u_42"}`, wantCode: codeBadRequest},
		{name: "user id with U+FFFD", in: `{"type":"identify","user_id":"u\ufffd42"}`, wantCode: codeBadRequest},
		{name: "user id not UTF-8", in: "{\"type\":\"identify\",\"user_id\":\"u\xff42\"}", wantCode: codeBadRequest},
		{name: "email without @", in: `{"type":"identify","email":"ada.example.com"}`, wantCode: codeBadRequest},
		{name: "email with only a leading @", in: `{"type":"identify","email":"@example.com"}`, wantCode: codeBadRequest},
		{name: "email with a space", in: `{"type":"identify","email":"ada @example.com"}`, wantCode: codeBadRequest},
		{name: "email too long", in: `{"type":"identify","email":"a@` + strings.Repeat("e", maxEmailBytes) + `"}`,
			wantCode: codeBadRequest},
		{name: "email with a control character", in: `{"type":"identify","email":"ada@exa\u0007mple.com"}`,
			wantCode: codeBadRequest},
		{name: "phone with letters", in: `{"type":"identify","phone":"+44 CALL ME"}`, wantCode: codeBadRequest},
		{name: "phone without digits", in: `{"type":"identify","phone":"+--"}`, wantCode: codeBadRequest},
		{name: "phone too long", in: `{"type":"identify","phone":"` + strings.Repeat("1", maxPhoneBytes+1) + `"}`,
			wantCode: codeBadRequest},
		{name: "name too long", in: `{"type":"identify","name":"` + strings.Repeat("é", maxNameChars+1) + `"}`,
			wantCode: codeBadRequest},
		{name: "name with a line break", in: `{"type":"identify","name":"Ada\r\nBcc: x"}`, wantCode: codeBadRequest},
		{name: "name with a C1 control", in: `{"type":"identify","name":"Ad\u0085a"}`, wantCode: codeBadRequest},
		{name: "short hash", in: `{"type":"identify","user_id":"u_42","hash":"` + hash[:63] + `"}`,
			wantCode: codeBadRequest},
		{name: "long hash", in: `{"type":"identify","user_id":"u_42","hash":"` + hash + `0"}`, wantCode: codeBadRequest},
		{name: "hash not hex", in: `{"type":"identify","user_id":"u_42","hash":"` + strings.Repeat("g", 64) + `"}`,
			wantCode: codeBadRequest},
		{name: "hash base64", in: `{"type":"identify","user_id":"u_42","hash":"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="}`,
			wantCode: codeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeFrame([]byte(tt.in))
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("decodeFrame error %v, want none", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decodeFrame (-want +got):\n%s", diff)
				}
				return
			}
			var fe *frameError
			if !errors.As(err, &fe) {
				t.Fatalf("decodeFrame = %+v, %v; want a *frameError", got, err)
			}
			if fe.Code != tt.wantCode || fe.Frame != typeIdentify || fe.ID != "" {
				t.Errorf("decodeFrame error code %q frame %q id %q, want %q %q \"\"", fe.Code, fe.Frame, fe.ID,
					tt.wantCode, typeIdentify)
			}
			if fe.Message == "" || strings.Contains(fe.Message, "u_42") {
				t.Errorf("decodeFrame error message %q: want a customer-safe text that does not echo the claim", fe.Message)
			}
		})
	}
}

func TestIdentifyLimiter(t *testing.T) {
	var l identifyLimiter
	t0 := testTime
	for i := range identifyBurst {
		if !l.allow(t0.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("call %d within the burst refused", i+1)
		}
	}
	if l.allow(t0.Add(identifyWindow - time.Millisecond)) {
		t.Errorf("call %d within the window allowed", identifyBurst+1)
	}
	// The first call leaves the window a minute after it was made, and makes room for one more only.
	if !l.allow(t0.Add(identifyWindow)) {
		t.Errorf("call a window after the first refused")
	}
	if l.allow(t0.Add(identifyWindow)) {
		t.Errorf("second call a window after the first allowed: the second call is still within its window")
	}
	if !l.allow(t0.Add(identifyWindow + time.Second)) {
		t.Errorf("call a window after the second refused")
	}
}

// testClock is a clock a test moves by hand; safe for the hub's goroutines.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestIdentifyVerification(t *testing.T) {
	good := hmacHex(testSecret, "u_42")
	tests := []struct {
		name         string
		secret       string
		frame        map[string]any
		wantWho      bot.Identification
		wantName     string // customer_name in the identified frame
		wantWarnings int
	}{
		{name: "valid hash", secret: testSecret,
			frame: map[string]any{"user_id": "u_42", "email": "ada@example.com", "name": "Ada", "hash": good},
			wantWho: bot.Identification{UserID: "u_42", Email: "ada@example.com", Name: "Ada", Verified: true,
				Evidence: evidenceVerified},
			wantName: "Ada"},
		{name: "bad hash: claims kept unverified", secret: testSecret,
			frame:        map[string]any{"user_id": "u_42", "email": "ada@example.com", "name": "Ada", "hash": hmacHex("guess", "u_42")},
			wantWho:      bot.Identification{UserID: "u_42", Email: "ada@example.com", Name: "Ada", Evidence: evidenceClaimed},
			wantWarnings: 1},
		{name: "hash of another user", secret: testSecret,
			frame:        map[string]any{"user_id": "u_43", "hash": good},
			wantWho:      bot.Identification{UserID: "u_43", Evidence: evidenceClaimed},
			wantWarnings: 1},
		{name: "no hash", secret: testSecret,
			frame:   map[string]any{"user_id": "u_42", "phone": "+1 555 0100"},
			wantWho: bot.Identification{UserID: "u_42", Phone: "+1 555 0100", Evidence: evidenceClaimed}},
		{name: "email claim without user id", secret: testSecret,
			frame:   map[string]any{"email": "ada@example.com"},
			wantWho: bot.Identification{Email: "ada@example.com", Evidence: evidenceClaimed}},
		{name: "no secret: a right hash is still a claim", secret: "",
			frame:   map[string]any{"user_id": "u_42", "hash": hmacHex("", "u_42")},
			wantWho: bot.Identification{UserID: "u_42", Evidence: evidenceClaimed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			eng := newFakeEngine()
			_, srv := testServer(t, eng, Options{IdentitySecret: tt.secret, Logger: testLogger(&logs)})
			conn := dial(t, srv)
			hello(t, conn, visitorA, 0)
			f := map[string]any{"type": "identify"}
			for k, v := range tt.frame {
				f[k] = v
			}
			send(t, conn, f)
			got := expect(t, conn, typeIdentified)
			if got.Verified != tt.wantWho.Verified || got.CustomerName != tt.wantName {
				t.Errorf("identified verified %v customer_name %q, want %v %q", got.Verified, got.CustomerName,
					tt.wantWho.Verified, tt.wantName)
			}
			want := []identifyCall{{Channel: journeystate.ChannelWeb, ExternalID: visitorA, Who: tt.wantWho}}
			if diff := cmp.Diff(want, eng.identified()); diff != "" {
				t.Errorf("engine calls (-want +got):\n%s", diff)
			}
			out := logs.String()
			if n := strings.Count(out, "level=WARN"); n != tt.wantWarnings {
				t.Errorf("%d warnings logged, want %d; log:\n%s", n, tt.wantWarnings, out)
			}
			for _, secret := range []string{testSecret, good, "u_42", "ada@example.com"} {
				if strings.Contains(out, secret) {
					t.Errorf("log holds %q:\n%s", secret, out)
				}
			}
		})
	}
}

func TestIdentifyRefusals(t *testing.T) {
	eng := newFakeEngine()
	_, srv := testServer(t, eng, Options{IdentitySecret: testSecret})
	conn := dial(t, srv)

	send(t, conn, map[string]any{"type": "identify", "user_id": "u_42"})
	if f := expect(t, conn, typeError); f.Code != codeHelloRequired || f.Frame != typeIdentify {
		t.Errorf("identify before hello: error %q frame %q, want %q %q", f.Code, f.Frame, codeHelloRequired, typeIdentify)
	}
	hello(t, conn, visitorA, 0)
	hostile := []string{
		`{"type":"identify","user_id":"` + strings.Repeat("u", 12<<10) + `"}`,
		`{"type":"identify","user_id":{"$ne":null},"hash":"` + strings.Repeat("0", 64) + `"}`,
		`{"type":"identify","user_id":"u_42","hash":"` + strings.Repeat("0", 63) + `"}`,
		`{"type":"identify","name":"<script>\u0000"}`,
		`{"type":"identify"}`,
	}
	for _, raw := range hostile {
		send(t, conn, rawJSON(raw))
		if f := expect(t, conn, typeError); f.Frame != typeIdentify || f.ID != "" {
			t.Errorf("hostile identify %.60s: error frame %q id %q, want frame %q and no id", raw, f.Frame, f.ID, typeIdentify)
		}
	}
	// Over MaxFrameBytes: refused before it is parsed, as every frame.
	send(t, conn, rawJSON(`{"type":"identify","user_id":"`+strings.Repeat("u", 20<<10)+`"}`))
	if f := expect(t, conn, typeError); f.Code != codeTooLarge {
		t.Errorf("oversized identify: error %q, want %q", f.Code, codeTooLarge)
	}
	if calls := eng.identified(); len(calls) != 0 {
		t.Errorf("refused identify frames reached the engine: %+v", calls)
	}
	// The socket still works.
	send(t, conn, map[string]any{"type": "identify", "user_id": "u_42", "hash": hmacHex(testSecret, "u_42")})
	if f := expect(t, conn, typeIdentified); !f.Verified {
		t.Errorf("identify after the refusals: verified false, want true")
	}
}

// rawJSON sends its bytes as they are through send's json.Marshal.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestIdentifyRateLimit(t *testing.T) {
	clock := &testClock{now: testTime}
	eng := newFakeEngine()
	_, srv := testServer(t, eng, Options{IdentitySecret: testSecret, Now: clock.Now})
	conn := dial(t, srv)
	hello(t, conn, visitorA, 0)
	frame := map[string]any{"type": "identify", "user_id": "u_42", "hash": hmacHex("guess", "u_42")}
	for range identifyBurst {
		send(t, conn, frame)
		expect(t, conn, typeIdentified)
		clock.advance(time.Second)
	}
	send(t, conn, frame)
	if f := expect(t, conn, typeError); f.Code != codeRateLimited || f.Frame != typeIdentify {
		t.Errorf("identify over the limit: error %q frame %q, want %q %q", f.Code, f.Frame, codeRateLimited, typeIdentify)
	}
	if n := len(eng.identified()); n != identifyBurst {
		t.Errorf("engine called %d times, want %d: the refused identify must not reach it", n, identifyBurst)
	}
	// Another socket has its own allowance.
	other := dial(t, srv)
	hello(t, other, visitorA, 0)
	send(t, other, frame)
	expect(t, other, typeIdentified)
	// A minute after the first, the first socket may identify again.
	clock.advance(identifyWindow)
	send(t, conn, frame)
	expect(t, conn, typeIdentified)
}

func TestIdentifyEngineErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantLog  bool
	}{
		{name: "bad reference", err: fmt.Errorf("identify user: phone: %w", bot.ErrBadReference), wantCode: codeBadRequest},
		{name: "store failure", err: errors.New("store: identity (web, " + visitorA + ") u_42 ada@example.com: disk I/O error"),
			wantCode: codeUnavailable, wantLog: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			eng := newFakeEngine()
			eng.IdentifyFn = func(context.Context, string, string, bot.Identification) (journeystate.IdentifyResult, error) {
				return journeystate.IdentifyResult{}, tt.err
			}
			_, srv := testServer(t, eng, Options{IdentitySecret: testSecret, Logger: testLogger(&logs)})
			conn := dial(t, srv)
			hello(t, conn, visitorA, 0)
			send(t, conn, map[string]any{"type": "identify", "user_id": "u_42", "email": "ada@example.com"})
			f := expect(t, conn, typeError)
			if f.Code != tt.wantCode || f.Frame != typeIdentify {
				t.Errorf("error %q frame %q, want %q %q", f.Code, f.Frame, tt.wantCode, typeIdentify)
			}
			if text := f.errorText(t); strings.Contains(text, "disk") {
				t.Errorf("error text %q leaks the cause", text)
			}
			out := logs.String()
			if got := strings.Contains(out, "disk I/O error"); got != tt.wantLog {
				t.Errorf("cause logged %v, want %v; log:\n%s", got, tt.wantLog, out)
			}
			for _, s := range []string{visitorA, "u_42", "ada@example.com"} {
				if strings.Contains(out, s) {
					t.Errorf("log holds %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestIdentifyMergeResendsHistory(t *testing.T) {
	earlier := []journeystate.Message{
		{ID: "m1", ConversationID: "conv-ada", Seq: 1, Author: journeystate.ActorCustomer, ClientID: "c_old",
			Text: "Where is order 1234?", CreatedAt: testTime},
		{ID: "m2", ConversationID: "conv-ada", Seq: 2, Author: journeystate.ActorBot, ClientID: "reply:m1",
			Text: "It ships tomorrow.", CreatedAt: testTime},
	}
	tests := []struct {
		name        string
		merges      int
		moved       bool // History answers with Ada's conversation after the identify
		wantWelcome bool
	}{
		{name: "merged into a customer with another conversation", merges: 1, moved: true, wantWelcome: true},
		{name: "merged, same conversation", merges: 1, moved: false},
		{name: "no merge, same conversation", merges: 0, moved: false},
		// Another user signed in on the browser: the engine gave the visitor a customer of their own.
		{name: "no merge, the conversation changed", merges: 0, moved: true, wantWelcome: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine()
			var mu sync.Mutex
			identified := false
			eng.IdentifyFn = func(_ context.Context, _, _ string, who bot.Identification) (journeystate.IdentifyResult, error) {
				mu.Lock()
				identified = true
				mu.Unlock()
				res := journeystate.IdentifyResult{Customer: journeystate.Customer{ID: "cust-ada",
					Profile: journeystate.Profile{Name: "Ada"}}}
				for range tt.merges {
					res.Merges = append(res.Merges, journeystate.Merge{ID: "merge1", SurvivorID: "cust-ada"})
				}
				return res, nil
			}
			eng.HistoryFn = func(_ context.Context, channel, _, threadID string, afterSeq int64, _ int) (journeystate.Conversation, []journeystate.Message, error) {
				mu.Lock()
				moved := identified && tt.moved
				mu.Unlock()
				if !moved {
					return journeystate.Conversation{ID: "conv-anon", Channel: channel, ThreadID: threadID}, nil, nil
				}
				var out []journeystate.Message
				for _, m := range earlier {
					if m.Seq > afterSeq {
						out = append(out, m)
					}
				}
				return journeystate.Conversation{ID: "conv-ada", Channel: channel, ThreadID: threadID}, out, nil
			}
			_, srv := testServer(t, eng, Options{IdentitySecret: testSecret})
			conn := dial(t, srv)
			if w := hello(t, conn, visitorA, 0); w.ConversationID != "conv-anon" {
				t.Fatalf("welcome conversation %q, want conv-anon", w.ConversationID)
			}
			send(t, conn, map[string]any{"type": "identify", "user_id": "u_ada", "hash": hmacHex(testSecret, "u_ada")})
			expect(t, conn, typeIdentified)
			// A marker frame: its answer comes after anything the identify sent.
			send(t, conn, map[string]any{"type": "identify"})
			next := read(t, conn)
			if !tt.wantWelcome {
				if next.Type != typeError {
					t.Fatalf("frame after identified: %q (%+v), want no welcome", next.Type, next)
				}
				return
			}
			if next.Type != typeWelcome {
				t.Fatalf("frame after identified: %q, want a welcome", next.Type)
			}
			if next.ConversationID != "conv-ada" || next.VisitorID != visitorA || len(next.Messages) != 2 ||
				next.Messages[0].Text != earlier[0].Text {
				t.Errorf("welcome after the merge: %+v, want Ada's conversation with both messages", next)
			}
			expect(t, conn, typeError) // the marker
		})
	}
}
