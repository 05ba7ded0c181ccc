package webchat

// Identify: the host page says who the visitor is (docs/webchat-protocol.md, "identify"). A claim the site signed
// (the HMAC-SHA256 of the user id with Options.IdentitySecret) is verified and may join the visitor to the
// customer who already holds that id, with that customer's history; anything else is kept as a claim only and never
// merges customers. The hash is a credential: it is never logged, stored or passed on.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// Limits of an identify frame's claims.
const (
	// maxUserIDBytes is the longest user id taken, in bytes.
	maxUserIDBytes = 255
	// maxEmailBytes is the longest email address taken (RFC 5321's path limit less the brackets).
	maxEmailBytes = 254
	// maxPhoneBytes is the longest phone number taken, with its spaces and punctuation.
	maxPhoneBytes = 32
	// maxNameChars is the longest name taken, in characters.
	maxNameChars = 100
	// hashHexLen is the length of the hash: an HMAC-SHA256 in hex.
	hashHexLen = 2 * sha256.Size
)

// Rate limit of identify frames: at most identifyBurst of them per socket within any identifyWindow. A page that
// says who its visitor is does so once per socket; the limit bounds the engine work one socket can cause and the
// guesses it can make (not that guessing an HMAC-SHA256 could succeed).
const (
	identifyBurst  = 5
	identifyWindow = time.Minute
)

// Evidence recorded with the identities an identify adds (and with any merge a verified one makes).
const (
	evidenceVerified = "widget identify with a valid HMAC of the user id"
	evidenceClaimed  = "widget identify, unverified"
)

// IdentityHash returns the hash a site sends with the widget's identify for userID: the lowercase hex HMAC-SHA256
// of userID with the site's identity secret (Options.IdentitySecret). Sites compute it on their server, never in
// the page; it is here for Go sites and tests.
func IdentityHash(secret, userID string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(userID))
	return hex.EncodeToString(mac.Sum(nil))
}

// verifyHash reports whether hash is IdentityHash(secret, userID), comparing in constant time. It is false when
// secret or userID is empty, or hash is not 64 hex digits.
func verifyHash(secret, userID, hash string) bool {
	if secret == "" || userID == "" || len(hash) != hashHexLen {
		return false
	}
	got, err := hex.DecodeString(hash)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(userID))
	return hmac.Equal(got, mac.Sum(nil))
}

// validateIdentify checks the claims of a decoded identify frame and returns the frame to act on: email, phone and
// name trimmed of surrounding white space, the user id exactly as sent (it is what the hash signs), the hash in
// lowercase. A user id may not hold U+FFFD: it is what invalid UTF-8 decodes to, and the site would have signed
// other bytes. Its errors are *frameError values with code bad_request.
func validateIdentify(f clientFrame) (clientFrame, error) {
	refuse := func(msg string) (clientFrame, error) {
		return clientFrame{}, &frameError{Code: codeBadRequest, Frame: typeIdentify, Message: msg}
	}
	out := clientFrame{Type: typeIdentify, UserID: f.UserID, Email: strings.TrimSpace(f.Email),
		Phone: strings.TrimSpace(f.Phone), Name: strings.TrimSpace(f.Name), Hash: strings.ToLower(f.Hash)}
	switch {
	case f.ID != "":
		return refuse("An identify frame names the user with user_id, not id.")
	case out.UserID == "" && out.Email == "" && out.Phone == "" && out.Name == "":
		return refuse("An identify needs a user_id, email, phone or name.")
	case out.UserID != "" && (len(out.UserID) > maxUserIDBytes || !plainText(out.UserID) ||
		strings.TrimSpace(out.UserID) != out.UserID || strings.ContainsRune(out.UserID, utf8.RuneError)):
		return refuse("The user id is invalid.")
	case out.Email != "" && (len(out.Email) > maxEmailBytes || !plainText(out.Email) ||
		strings.ContainsFunc(out.Email, unicode.IsSpace) || !strings.Contains(strings.Trim(out.Email, "@"), "@")):
		return refuse("The email address is invalid.")
	case out.Phone != "" && (len(out.Phone) > maxPhoneBytes || !allOf(out.Phone, "0123456789+-(). ") ||
		!strings.ContainsAny(out.Phone, "0123456789")):
		return refuse("The phone number is invalid.")
	case out.Name != "" && (utf8.RuneCountInString(out.Name) > maxNameChars || !plainText(out.Name)):
		return refuse("The name is invalid.")
	case out.Hash != "" && out.UserID == "":
		return refuse("A hash signs a user_id: send the user_id with it.")
	case out.Hash != "" && (len(out.Hash) != hashHexLen || !allOf(out.Hash, "0123456789abcdef")):
		return refuse("The hash must be 64 hexadecimal digits.")
	}
	return out, nil
}

// plainText reports whether s is valid UTF-8 without control characters (line breaks included).
func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func allOf(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(chars, s[i]) < 0 {
			return false
		}
	}
	return true
}

// identifyLimiter allows identifyBurst events within any identifyWindow: it keeps the times of the last
// identifyBurst events it allowed. The zero value is ready; it is used by one goroutine at a time.
type identifyLimiter struct {
	times [identifyBurst]time.Time
	next  int // index of the oldest time
}

// allow reports whether an event at now is within the limit, and counts it if it is.
func (l *identifyLimiter) allow(now time.Time) bool {
	if oldest := l.times[l.next]; !oldest.IsZero() && now.Sub(oldest) < identifyWindow {
		return false
	}
	l.times[l.next] = now
	l.next = (l.next + 1) % identifyBurst
	return true
}

var (
	errIdentifyHelloRequired = &frameError{Code: codeHelloRequired, Frame: typeIdentify,
		Message: "Send hello before identify."}
	errIdentifyRateLimited = &frameError{Code: codeRateLimited, Frame: typeIdentify,
		Message: "Too many identify calls: wait a minute."}
)

// identify hands the visitor's claims to the engine, verified when the hash is right, and answers with identified.
// A wrong hash is no error for the client: the claims are kept unverified, the frame says verified false, and the
// hub logs a warning (without hash, secret or claims). When the identify merged customers and the visitor's
// conversation is now another one (the customer's earlier conversation), a welcome with its history follows.
func (c *client) identify(f clientFrame) {
	h := c.hub
	vid := c.visitorID
	if vid == "" {
		c.sendError(errIdentifyHelloRequired)
		return
	}
	if !c.identifyLimit.allow(h.opts.Now()) {
		c.sendError(errIdentifyRateLimited)
		return
	}
	verified := false
	if f.Hash != "" {
		switch {
		case h.opts.IdentitySecret == "":
			h.log.Debug("web chat identify: hash ignored, no identity secret configured")
		case verifyHash(h.opts.IdentitySecret, f.UserID, f.Hash):
			verified = true
		default:
			h.log.Warn("web chat identify: hash does not match the user id, claims kept unverified " +
				"(check the identity secret and that the site signs the user id exactly)")
		}
	}
	who := bot.Identification{UserID: f.UserID, Email: f.Email, Phone: f.Phone, Name: f.Name,
		Verified: verified, Evidence: evidenceClaimed}
	if verified {
		who.Evidence = evidenceVerified
	}

	ctx, cancel := context.WithTimeout(context.Background(), engineWait)
	defer cancel()
	res, err := h.engine.IdentifyUser(ctx, journeystate.ChannelWeb, vid, who)
	if err != nil {
		c.sendError(h.identifyError(err, vid, f))
		return
	}
	answer := identifiedFrame{Type: typeIdentified, Verified: verified}
	if verified {
		answer.CustomerName = res.Customer.Profile.Name
	}
	if c.reply(mustJSON(answer)) {
		h.metrics.frameOut(typeIdentified)
	}
	if verified || len(res.Merges) > 0 {
		// A merge may have given the visitor another conversation; a sign-in as somebody else than the browser's
		// last user gives them none (the engine moved the visitor to a customer of their own).
		c.welcomeIfMoved(ctx, vid)
	}
}

// welcomeIfMoved sends a welcome with the visitor's conversation from its start when it is not the one the socket
// last told the client about (a welcome with no conversation when the visitor has none now: the client clears what
// it shows). It is not bounded by the one-welcome-at-a-time rule of hello: the identify rate
// limit bounds it. A failure is logged only: the client gets the conversation with its next hello.
func (c *client) welcomeIfMoved(ctx context.Context, vid string) {
	h := c.hub
	conv, msgs, err := h.engine.History(ctx, journeystate.ChannelWeb, vid, vid, 0, historyLimit+1)
	if err != nil {
		h.log.Error("web chat engine call failed", "op", "history after identify", "err", redact(err.Error(), vid))
		return
	}
	if conv.ID == c.convID {
		return
	}
	c.sendWelcome(vid, conv, msgs)
}

// identifyError maps an error of Engine.IdentifyUser to the error frame the client gets. The claims are blanked out
// of the logged cause, as the visitor id is: engine and store errors may name them.
func (h *Hub) identifyError(err error, visitorID string, f clientFrame) *frameError {
	if errors.Is(err, bot.ErrBadReference) {
		return &frameError{Code: codeBadRequest, Frame: typeIdentify, Message: "The email address or phone number is invalid."}
	}
	text := redact(err.Error(), visitorID)
	for _, claim := range []string{f.UserID, f.Email, f.Phone, f.Name} {
		if claim != "" {
			text = strings.ReplaceAll(text, claim, "[claim]")
		}
	}
	h.log.Error("web chat engine call failed", "op", "identify", "err", text)
	return &frameError{Code: codeUnavailable, Frame: typeIdentify, Message: "Your details could not be saved just now."}
}
