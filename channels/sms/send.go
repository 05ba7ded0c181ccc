package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/journeybot/journeybot/journeystate"
)

// ErrOptedOut is returned by Deliver when the customer's number opted out (STOP): nothing was sent.
var ErrOptedOut = errors.New("the number opted out of SMS")

// Deliver sends a stored message to the customer of conv as its plain text (smsText: an agent's message after the
// agent's name, a notice as its sentence): split into SMS-sized parts, each a Twilio message from the number the
// customer wrote to (Options.From when the thread names none), with the status callback. It
// returns ErrOptedOut when the number opted out (nothing sent, checked before every part), and an error naming how
// many parts went out when Twilio refuses one or cannot be reached (the parts after it are not sent). Each REST
// call is bounded by Options.SendTimeout and by ctx.
func (c *Channel) Deliver(ctx context.Context, conv journeystate.Conversation, m journeystate.Message) error {
	to, from := parseThread(conv.ThreadID)
	if from == "" {
		from = c.opts.From
	}
	if from == "" {
		c.metrics.failed.WithLabelValues("no_sender").Inc()
		return fmt.Errorf("deliver to conversation %s: no number to send from (set the default from number)", conv.ID)
	}
	if _, err := e164(to); err != nil {
		return fmt.Errorf("deliver to conversation %s: thread %q names no customer number", conv.ID, conv.ThreadID)
	}
	parts := c.split.split(smsText(m))
	for i, part := range parts {
		// Checked again before each part: a STOP may arrive while a long reply goes out.
		consent, err := c.engine.Consent(ctx, journeystate.ChannelSMS, to)
		if err != nil {
			return fmt.Errorf("deliver to conversation %s: consent: %w", conv.ID, err)
		}
		if consent.OptedOut {
			c.metrics.failed.WithLabelValues("opted_out").Inc()
			return fmt.Errorf("deliver to conversation %s: %w", conv.ID, ErrOptedOut)
		}
		if err := c.sender.send(ctx, from, to, part); err != nil {
			c.metrics.failed.WithLabelValues("api").Inc()
			return fmt.Errorf("deliver to conversation %s: part %d of %d: %w", conv.ID, i+1, len(parts), err)
		}
		c.metrics.countSent(part)
	}
	return nil
}

// maxAgentName bounds the agent's name in front of their words: a name is a label, not the message.
const maxAgentName = 40

// smsText is the text a customer reads of m. An agent's message is "Sam: <text>", the way a text from a person
// reads on a phone; without a name, "Agent: <text>". SMS has no markup, so the name goes as it is, only kept on one
// line, GSM-friendly and short. A notice (a system message) is its sentence, a bot reply its plain text.
func smsText(m journeystate.Message) string {
	text := plainText(m.Text)
	if m.Author != journeystate.ActorAgent || text == "" {
		return text
	}
	name := strings.Join(strings.FieldsFunc(gsmFriendly.Replace(m.Meta.AgentName), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if r := []rune(name); len(r) > maxAgentName {
		name = strings.TrimSpace(string(r[:maxAgentName-3])) + "..."
	}
	if name == "" {
		name = "Agent"
	}
	return name + ": " + text
}

// countSent counts one message accepted by Twilio and its segments.
func (m *metrics) countSent(body string) {
	enc, n := Segments(body)
	m.sent.Inc()
	m.segments.WithLabelValues(string(enc)).Add(float64(n))
}

// sender sends messages through Twilio's REST API with twilio-go.
type sender struct {
	opts    Options
	base    *url.URL     // APIBaseURL
	http    *http.Client // Options.HTTPClient or one of its own
	status  string       // the status callback URL sent with every message
	metrics *metrics
}

func newSender(opts Options, m *metrics) (*sender, error) {
	base, err := url.Parse(opts.APIBaseURL)
	if err != nil {
		return nil, fmt.Errorf("sms: Twilio API base URL: %w", err)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport}
	}
	return &sender{opts: opts, base: base, http: hc, status: opts.PublicURL + StatusPath, metrics: m}, nil
}

// send creates one message. twilio-go takes no context: the request gets ctx (and the send timeout) through the
// transport, which also points it at APIBaseURL.
func (s *sender) send(ctx context.Context, from, to, body string) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.SendTimeout)
	defer cancel()
	hc := &http.Client{
		Transport: &apiTransport{ctx: ctx, base: s.base, next: transportOf(s.http)},
		// Twilio's own default: never follow a redirect with the credentials.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Jar:           s.http.Jar,
	}
	tc := &client.Client{Credentials: client.NewCredentials(s.opts.AccountSID, s.opts.AuthToken), HTTPClient: hc}
	tc.SetAccountSid(s.opts.AccountSID)
	api := twapi.NewApiService(client.NewRequestHandler(tc))
	params := (&twapi.CreateMessageParams{}).SetTo(to).SetFrom(from).SetBody(body).SetStatusCallback(s.status)
	msg, err := api.CreateMessage(params)
	if err != nil {
		var rest *client.TwilioRestError
		if errors.As(err, &rest) {
			return fmt.Errorf("twilio refused the message: %d %s", rest.Code, rest.Message)
		}
		return fmt.Errorf("twilio: %w", err)
	}
	if msg.Sid == nil {
		return errors.New("twilio answered without a message sid")
	}
	return nil
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// apiTransport sends twilio-go's requests with the send's context, to APIBaseURL instead of api.twilio.com.
type apiTransport struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper
}

func (t *apiTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(t.ctx)
	r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
	if p := t.base.EscapedPath(); p != "" {
		r.URL.Path = t.base.Path + r.URL.Path
		r.URL.RawPath = ""
	}
	r.Host = t.base.Host
	return t.next.RoundTrip(r)
}
