// Package sms is journeybot's SMS channel through Twilio: the incoming-message webhook (POST /sms/twilio), the
// delivery status callback (POST /sms/twilio/status), and the sending of replies through Twilio's REST API.
//
// A webhook is served top to bottom: body limited, form parsed, X-Twilio-Signature checked against the configured
// public URL (never the request's Host), the message handed to the engine, and the webhook answered at once with an
// empty TwiML <Response/>; the bot's answer goes out later through Deliver and the REST API. A resent webhook is
// harmless: its MessageSid is the message's client id (the engine stores and answers it once), and the
// I-Twilio-Idempotency-Token of one already handled is answered without any work.
//
// Consent: STOP and Twilio's other opt-out words opt the number out, START, YES and UNSTOP back in; they are
// recorded as the customer's consent (bot.Engine.SetConsent) and not handed to the bot as messages, so the bot does
// not answer them (Twilio itself confirms them on numbers with its default or Advanced Opt-Out). HELP and INFO get
// Options.HelpText. Deliver sends nothing to a number that opted out.
//
// Conversation threads are "CUSTOMER|OURS", both E.164: the customer's number and the number of ours they wrote
// to, so that a reply goes out from the number the customer knows.
//
// It must not import other channel adapters, must not trust anything of a request before its signature is checked,
// and must not log message text or phone numbers above debug level.
package sms

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Engine is the part of bot.Engine the SMS channel uses.
type Engine interface {
	// Receive stores a customer message and starts the bot's turn for it (the reply comes through Deliver);
	// bot.ErrEmptyMessage, bot.ErrTooLong and bot.ErrShuttingDown are refusals that stored nothing.
	Receive(ctx context.Context, in channels.Inbound) (bot.Receipt, error)
	// IdentifyUser records who the channel's user is; here: that the sender holds the phone number, verified.
	IdentifyUser(ctx context.Context, channel, externalID string, who bot.Identification) (journeystate.IdentifyResult, error)
	// RecordChannelEvent adds a channel event to the user's journey, once per key; bot.ErrUnknownUser when the
	// user is not known.
	RecordChannelEvent(ctx context.Context, ev bot.ChannelEvent) (duplicate bool, err error)
	// SetConsent records an opt-out or opt-in; bot.ErrUnknownUser when the user is not known.
	SetConsent(ctx context.Context, ch bot.ConsentChange) (bot.Consent, error)
	// Consent returns the user's consent; not opted out for an unknown user.
	Consent(ctx context.Context, channel, userID string) (bot.Consent, error)
}

// Paths the channel serves, below Options.PublicURL.
const (
	WebhookPath = "/sms/twilio"
	StatusPath  = "/sms/twilio/status"
)

// Limits and timeouts.
const (
	// defaultMaxBody bounds a webhook body: Twilio's are a few KB, even with ten media links.
	defaultMaxBody = 64 << 10
	// maxMedia is the most media links of one MMS kept (Twilio sends at most 10).
	maxMedia = 10
	// engineWait bounds the engine calls of one webhook, well inside Twilio's 15 s webhook timeout.
	engineWait = 10 * time.Second
	// defaultSendTimeout bounds one REST call to Twilio.
	defaultSendTimeout = 10 * time.Second
	// seenTokens is how many idempotency tokens of handled webhooks are remembered.
	seenTokens = 10000
)

// DefaultAPIBaseURL is Twilio's REST API.
const DefaultAPIBaseURL = "https://api.twilio.com"

// Options configures a Channel. AccountSID, AuthToken and PublicURL are required.
type Options struct {
	// AccountSID and AuthToken are the Twilio account's credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN); the
	// token also checks webhook signatures.
	AccountSID string
	AuthToken  string
	// PublicURL is the server's URL as Twilio calls it ("https://bot.example.com"), without a trailing slash: the
	// webhooks are configured in Twilio as PublicURL+WebhookPath, signatures are checked against it, and the
	// status callback URL sent with each message is PublicURL+StatusPath.
	PublicURL string
	// From is the number replies are sent from when a conversation's thread names none (E.164); optional.
	From string
	// APIBaseURL is Twilio's REST API base URL; default DefaultAPIBaseURL. Tests point it at a fake.
	APIBaseURL string
	// HTTPClient sends the REST calls; nil means a client of its own. Its Timeout is left as it is.
	HTTPClient *http.Client
	// SendTimeout bounds each REST call; default 10 s.
	SendTimeout time.Duration
	// HelpText answers HELP and INFO; "" answers them with nothing (Twilio's own opt-out handling may answer).
	HelpText string
	// MaxSegments is how many SMS segments one outgoing message may take (default 4: 612 GSM-7 characters);
	// a longer reply is split into several messages, at most 1600 characters each.
	MaxSegments int
	// MaxParts is how many messages one reply may take (default 5); the rest is cut off with "...".
	MaxParts int
	// MaxBodyBytes bounds a webhook body (default 64 KiB); a larger one gets 413.
	MaxBodyBytes int64
	// Logger receives problems; nil discards them.
	Logger *slog.Logger
	// Registerer receives the channel's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	o.PublicURL = strings.TrimRight(strings.TrimSpace(o.PublicURL), "/")
	o.APIBaseURL = strings.TrimRight(strings.TrimSpace(o.APIBaseURL), "/")
	if o.APIBaseURL == "" {
		o.APIBaseURL = DefaultAPIBaseURL
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = defaultSendTimeout
	}
	if o.MaxSegments <= 0 {
		o.MaxSegments = 4
	}
	if o.MaxParts <= 0 {
		o.MaxParts = 5
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBody
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Channel is the SMS channel. It implements channels.Channel and is safe for concurrent use.
type Channel struct {
	engine  Engine
	opts    Options
	log     *slog.Logger
	metrics *metrics
	split   splitter
	sender  *sender
	tokens  *tokenSet // idempotency tokens of webhooks handled
}

var _ channels.Channel = (*Channel)(nil)

// New returns a Channel that hands messages to engine and sends through Twilio. It returns an error when a
// required option is missing or PublicURL or APIBaseURL is not an absolute http(s) URL.
func New(engine Engine, opts Options) (*Channel, error) {
	opts = opts.withDefaults()
	if err := opts.check(); err != nil {
		return nil, err
	}
	log := opts.Logger.With("channel", journeystate.ChannelSMS)
	m := newMetrics(opts.Registerer, log)
	s, err := newSender(opts, m)
	if err != nil {
		return nil, err
	}
	return &Channel{
		engine:  engine,
		opts:    opts,
		log:     log,
		metrics: m,
		split:   splitter{maxSegments: opts.MaxSegments, maxParts: opts.MaxParts},
		sender:  s,
		tokens:  newTokenSet(seenTokens),
	}, nil
}

// Name returns journeystate.ChannelSMS.
func (c *Channel) Name() string { return journeystate.ChannelSMS }

// Routes registers POST WebhookPath and POST StatusPath on mux.
func (c *Channel) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+WebhookPath, c.handleMessage)
	mux.HandleFunc("POST "+StatusPath, c.handleStatus)
}
