package sms

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"

	"github.com/journeybot/journeybot/journeystate"
)

// webhook is an incoming-message webhook as Twilio sends it, checked.
type webhook struct {
	MessageSID string
	From       string // the customer, E.164
	To         string // our number, E.164 (or a short code)
	Body       string
	Media      []media
	OptOutType string // Twilio's Advanced Opt-Out: STOP, START, HELP or ""
}

// media is one MMS attachment: Twilio keeps the file at URL (fetching it needs the account's credentials).
type media struct {
	URL         string
	ContentType string
}

// errBadForm is wrapped by parseWebhook and parseStatus for a form that is not what Twilio sends; its text is safe
// to answer with.
var errBadForm = errors.New("bad webhook form")

// Shapes of Twilio's values.
var (
	sidPattern       = regexp.MustCompile(`^[A-Z]{2}[0-9a-fA-F]{32}$`)
	shortCodePattern = regexp.MustCompile(`^[0-9]{3,8}$`)
	statusPattern    = regexp.MustCompile(`^[a-z_]{1,32}$`)
	errorCodePattern = regexp.MustCompile(`^[0-9]{1,6}$`)
)

// maxBodyChars is the longest message body taken: Twilio's own limit.
const maxBodyChars = maxTwilioCh

// readForm reads a webhook's form body within limit: the parameters Twilio signed. It returns errTooLarge or an
// error wrapping errBadForm.
func readForm(w http.ResponseWriter, r *http.Request, limit int64) (url.Values, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, fmt.Errorf("%w: read body: %v", errBadForm, err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, fmt.Errorf("%w: content type %q", errBadForm, ct)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadForm, err)
	}
	return form, nil
}

var errTooLarge = errors.New("webhook body too large")

// signedURL is the URL Twilio signed for a request: the configured public URL with the request's path and query,
// never the request's Host (a proxy or an attacker chooses that).
func signedURL(publicURL string, r *http.Request) string {
	u := publicURL + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// validSignature reports whether the X-Twilio-Signature of a request with the form is valid for url.
func validSignature(authToken, url string, form url.Values, signature string) bool {
	if signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) != 1 {
			// Twilio never repeats a parameter; the validator would sign only one of the values.
			return false
		}
		params[k] = v[0]
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(url, params, signature)
}

// parseWebhook checks an incoming-message form. It returns an error wrapping errBadForm when MessageSid is not a
// Twilio sid, From is not an E.164 number, To is neither that nor a short code, a value is not UTF-8, the body is
// longer than Twilio allows, or a media link is not an https URL.
func parseWebhook(form url.Values) (webhook, error) {
	for k, vs := range form {
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return webhook{}, fmt.Errorf("%w: %.40q is not UTF-8", errBadForm, k)
			}
		}
	}
	w := webhook{MessageSID: form.Get("MessageSid"), Body: form.Get("Body"), OptOutType: form.Get("OptOutType")}
	if w.MessageSID == "" {
		w.MessageSID = form.Get("SmsMessageSid")
	}
	if !sidPattern.MatchString(w.MessageSID) {
		return webhook{}, fmt.Errorf("%w: MessageSid %.40q is not a Twilio sid", errBadForm, w.MessageSID)
	}
	from, err := e164(form.Get("From"))
	if err != nil {
		return webhook{}, fmt.Errorf("%w: From: %v", errBadForm, err)
	}
	w.From = from
	if w.To, err = ourNumber(form.Get("To")); err != nil {
		return webhook{}, fmt.Errorf("%w: To: %v", errBadForm, err)
	}
	if utf8.RuneCountInString(w.Body) > maxBodyChars {
		return webhook{}, fmt.Errorf("%w: the body is longer than %d characters", errBadForm, maxBodyChars)
	}
	if len(w.OptOutType) > 16 {
		w.OptOutType = ""
	}
	n := 0
	if s := form.Get("NumMedia"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 0 {
			return webhook{}, fmt.Errorf("%w: NumMedia %.20q", errBadForm, s)
		}
	}
	for i := range min(n, maxMedia) {
		raw := form.Get("MediaUrl" + strconv.Itoa(i))
		u, err := url.Parse(raw)
		if raw == "" || err != nil || u.Scheme != "https" || u.Host == "" || len(raw) > 2000 {
			return webhook{}, fmt.Errorf("%w: MediaUrl%d is not an https URL", errBadForm, i)
		}
		ct := form.Get("MediaContentType" + strconv.Itoa(i))
		if len(ct) > 100 || strings.ContainsAny(ct, "\r\n[]") {
			ct = ""
		}
		w.Media = append(w.Media, media{URL: raw, ContentType: ct})
	}
	return w, nil
}

// e164 returns s if it is a phone number in E.164, the form Twilio sends; anything else (a short code, an
// alphanumeric sender, "whatsapp:+1...") is an error: the channel's user ids are E.164 numbers.
func e164(s string) (string, error) {
	if !strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("%.30q is not an E.164 number", s)
	}
	n, err := journeystate.NormalizePhone(s, "")
	if err != nil || n != s {
		return "", fmt.Errorf("%.30q is not an E.164 number", s)
	}
	return n, nil
}

// ourNumber returns the number a customer wrote to: an E.164 number or a short code.
func ourNumber(s string) (string, error) {
	if shortCodePattern.MatchString(s) {
		return s, nil
	}
	return e164(s)
}

// text is what the engine gets: the body, then a line "[attachment: URL]" per media link (channels.Inbound has no
// field for attachments).
func (w webhook) text() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(w.Body))
	for _, m := range w.Media {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("[attachment: " + m.URL)
		if m.ContentType != "" {
			b.WriteString(" (" + m.ContentType + ")")
		}
		b.WriteString("]")
	}
	return b.String()
}
