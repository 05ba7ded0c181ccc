package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Slack's published example (docs: "Verifying requests from Slack").
const (
	vectorSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorStamp  = "1531420618"
	vectorBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func vectorHeader(sig, stamp string) http.Header {
	h := http.Header{}
	h.Set("X-Slack-Signature", sig)
	h.Set("X-Slack-Request-Timestamp", stamp)
	return h
}

func TestVerifySlackVector(t *testing.T) {
	at := time.Unix(1531420618, 0)
	tests := []struct {
		name   string
		secret string
		header http.Header
		body   string
		now    time.Time
		want   error
	}{
		{name: "Slack's vector", secret: vectorSecret, header: vectorHeader(vectorSig, vectorStamp), body: vectorBody, now: at},
		{name: "4 minutes later", secret: vectorSecret, header: vectorHeader(vectorSig, vectorStamp), body: vectorBody, now: at.Add(4 * time.Minute)},
		{name: "6 minutes later", secret: vectorSecret, header: vectorHeader(vectorSig, vectorStamp), body: vectorBody, now: at.Add(6 * time.Minute), want: errStale},
		{name: "6 minutes early", secret: vectorSecret, header: vectorHeader(vectorSig, vectorStamp), body: vectorBody, now: at.Add(-6 * time.Minute), want: errStale},
		{name: "today", secret: vectorSecret, header: vectorHeader(vectorSig, vectorStamp), body: vectorBody, now: time.Now(), want: errStale},
		{name: "other secret", secret: "8f742231b10e8888abcd99yyyzzz85a6", header: vectorHeader(vectorSig, vectorStamp), body: vectorBody, now: at, want: errBadSignature},
		{name: "one byte of the body changed", secret: vectorSecret, header: vectorHeader(vectorSig, vectorStamp), body: vectorBody + "x", now: at, want: errBadSignature},
		{name: "timestamp changed", secret: vectorSecret, header: vectorHeader(vectorSig, "1531420619"), body: vectorBody, now: at, want: errBadSignature},
		{name: "signature cut short", secret: vectorSecret, header: vectorHeader(vectorSig[:40], vectorStamp), body: vectorBody, now: at, want: errBadSignature},
		{name: "no signature", secret: vectorSecret, header: vectorHeader("", vectorStamp), body: vectorBody, now: at, want: errNoSignature},
		{name: "timestamp not a number", secret: vectorSecret, header: vectorHeader(vectorSig, "1531420618.5"), body: vectorBody, now: at, want: errStale},
		{name: "timestamp that overflows", secret: vectorSecret, header: vectorHeader(vectorSig, "9223372036854775807"), body: vectorBody, now: at, want: errStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verify(tt.secret, tt.header, []byte(tt.body), tt.now); !errors.Is(err, tt.want) {
				t.Errorf("verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyAgreesWithSlackGo checks verify against slack-go's own verifier on fresh timestamps (that one reads the
// wall clock, so Slack's 2018 vector is too old for it).
func TestVerifyAgreesWithSlackGo(t *testing.T) {
	now := time.Now()
	stamp := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"type":"event_callback","event_id":"Ev1"}`)
	good := sigFor(t, vectorSecret, stamp, body)
	for _, sig := range []string{good, good[:len(good)-1] + "0", "v0=" + good[3:len(good)-2], "v1" + good[2:], "garbage"} {
		h := vectorHeader(sig, stamp)
		ours := verify(vectorSecret, h, body, now) == nil
		sv, err := slackapi.NewSecretsVerifier(h, vectorSecret)
		theirs := false
		if err == nil {
			_, _ = sv.Write(body)
			theirs = sv.Ensure() == nil
		}
		if ours != theirs {
			t.Errorf("signature %q: ours accepts %v, slack-go's %v", sig, ours, theirs)
		}
	}
	if verify(vectorSecret, vectorHeader(good, stamp), body, now) != nil {
		t.Error("a good signature was refused")
	}
}

func sigFor(t *testing.T, secret, stamp string, body []byte) string {
	t.Helper()
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	// Signed the way Slack does; verify itself must not be the reference.
	mac := newMAC(secret)
	mac.Write([]byte("v0:" + stamp + ":"))
	mac.Write(body)
	return "v0=" + hexOf(mac.Sum(nil))
}

func newMAC(secret string) hash.Hash { return hmac.New(sha256.New, []byte(secret)) }
func hexOf(b []byte) string          { return hex.EncodeToString(b) }
