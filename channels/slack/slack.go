// Package slack is journeybot's Slack channel: customers who write to the company's Slack app in a DM, or mention
// it in a channel (Slack Connect shared channels included), talk to the same bot and keep the same journey as on the
// other channels.
//
// Events arrive over the Events API (POST /slack/events, signed with the app's signing secret) or over Socket Mode
// (a WebSocket the server opens with the app-level token, for installs without a public URL); both go through the
// same handling. A message is handed to the engine, which stores it idempotently (Slack's retries, and the message
// and app_mention events of one message, share one key), and only then is the event acknowledged. Replies are
// posted in the message's thread (the top level of a DM stays at the top level), streamed with throttled
// chat.update calls while the model writes them, and always in escaped Slack mrkdwn.
//
// The Slack user (team and user id) is the customer's verified identity on Slack; when users.info shows the
// profile's email (scope users:read.email), the email joins the customer with the same customer on other channels.
//
// Slack is also an agent console: a hand-off is posted, as a packet with Take / Hand back / Close buttons, in the
// agent channel of its team, and the conversation goes on in that thread (RunAgentThreads, POST /slack/interactive);
// an agent's reply in the thread goes to the customer on their own channel. Messages in agent channels are never
// taken as a customer's.
//
// It must not answer bots or itself (no loops), must not store anything from a request whose signature or timestamp
// is bad, must not block a turn on Slack's API, and must not log message text above debug level.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	slackapi "github.com/slack-go/slack"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Engine is the part of bot.Engine the Slack channel uses.
type Engine interface {
	// Receive stores a customer message and starts the bot's turn for it (the reply comes through Deliver, maybe
	// before Receive returns); bot.ErrEmptyMessage, bot.ErrTooLong and bot.ErrShuttingDown are refusals that
	// stored nothing.
	Receive(ctx context.Context, in channels.Inbound) (bot.Receipt, error)
	// IdentifyUser records who the Slack user is (the profile's email, verified); it may merge customers.
	// bot.ErrBadReference (wrapped) refuses an email that is not one.
	IdentifyUser(ctx context.Context, channel, externalID string, who bot.Identification) (journeystate.IdentifyResult, error)
	// RecordChannelEvent adds an edit or a delete to the customer's journey log, once per Key; bot.ErrUnknownUser
	// when the user never wrote to the bot.
	RecordChannelEvent(ctx context.Context, ev bot.ChannelEvent) (duplicate bool, err error)
	// History returns the user's latest conversation on the thread (a zero Conversation when there is none), to
	// tell whether a reply in a channel thread is a follow-up of theirs.
	History(ctx context.Context, channel, userID, threadID string, afterSeq int64, limit int) (journeystate.Conversation, []journeystate.Message, error)
}

// Timing and size limits.
const (
	// ackBudget bounds the work done before an Events API request is answered: Slack gives up (and retries)
	// after 3 s.
	ackBudget = 2500 * time.Millisecond
	// userLookupWait bounds one users.info call made while an event waits for its ack.
	userLookupWait = time.Second
	// apiWait bounds one Web API call made for a reply.
	apiWait = 10 * time.Second
	// maxRateRetries is how many times one call is retried after Slack answered 429.
	maxRateRetries = 3
	// maxStreams bounds the replies being streamed at once; past it a reply is posted whole when it is done.
	maxStreams = 1000
	// streamIdle is how long a streamed reply waits for its next delta or its final text before it is given up
	// (the final Deliver then posts it whole).
	streamIdle = 2 * time.Minute
	// maxSocketHandlers bounds the Socket Mode events handled at once.
	maxSocketHandlers = 64
)

// Options configures an Adapter. Zero fields take the defaults given.
type Options struct {
	// BotToken is the bot user's OAuth token (xoxb-...), SLACK_BOT_TOKEN. Required.
	BotToken string
	// SigningSecret verifies Events API requests, SLACK_SIGNING_SECRET. Required for Routes.
	SigningSecret string
	// AppToken is the app-level token (xapp-..., scope connections:write) that opens Socket Mode, SLACK_APP_TOKEN.
	// Required for RunSocketMode.
	AppToken string
	// APIURL is the Web API's base URL, default "https://slack.com/api/"; tests point it at slacktest.
	APIURL string
	// MaxBodyBytes is the largest Events API body read (default 1 MiB); a larger one gets 413.
	MaxBodyBytes int64
	// UpdateInterval is the shortest time between two chat.update calls of one streamed reply (default 1 s):
	// deltas that arrive in between are merged. Slack allows about one update per second per message.
	UpdateInterval time.Duration
	// UserCacheSize bounds how many users' profiles are kept (default 10,000); UserCacheTTL is how long one is
	// trusted before users.info is asked again (default 1 h).
	UserCacheSize int
	UserCacheTTL  time.Duration
	// MaxRetryAfter is the longest Retry-After of a 429 that is waited out (default 30 s); a longer one fails the
	// call.
	MaxRetryAfter time.Duration
	// HTTPClient makes the Web API calls; nil: a client with a 15 s timeout.
	HTTPClient *http.Client
	// Logger receives problems; nil discards them. Registerer receives the metrics; nil registers none.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock (the signature window, the user cache); nil means time.Now.
	Now func() time.Time

	// Slack as an agent console (agent.go): AgentChannels maps a team name to the Slack channel (id) where its
	// hand-offs are posted; AgentChannel takes a hand-off whose team has none ("": such hand-offs get no Slack
	// thread). Messages in these channels are never a customer's. Desk and Links are required for
	// RunAgentThreads and for the buttons (POST /slack/interactive) and replies in agent threads; without them
	// the agent channels are only kept free of customer handling.
	AgentChannels map[string]string
	AgentChannel  string
	Desk          Desk
	Links         Links
}

func (o Options) withDefaults() Options {
	if o.APIURL == "" {
		o.APIURL = slackapi.APIURL
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.UpdateInterval <= 0 {
		o.UpdateInterval = time.Second
	}
	if o.UserCacheSize <= 0 {
		o.UserCacheSize = 10000
	}
	if o.UserCacheTTL <= 0 {
		o.UserCacheTTL = time.Hour
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Adapter is the Slack channel. It implements channels.Channel and channels.Streamer, and serves the Events API
// (Routes) or Socket Mode (RunSocketMode), or both. It is safe for concurrent use.
type Adapter struct {
	engine  Engine
	opts    Options
	log     *slog.Logger
	api     *slackapi.Client
	metrics *metrics
	users   *userCache
	// self is the app's bot user, from auth.test: its messages and mentions of it are never taken as a customer's.
	self struct{ UserID, BotID, TeamID string }

	mu      sync.Mutex
	streams map[string]*stream // by reply id

	// agentChannels is the set of Options.AgentChannels' values and AgentChannel; agentSeen dedupes the agent
	// replies taken from them; actions bounds the button clicks worked on at once (HTTP).
	agentChannels map[string]bool
	agentSeen     *recentKeys
	actions       chan struct{}
}

var (
	_ channels.Channel  = (*Adapter)(nil)
	_ channels.Streamer = (*Adapter)(nil)
)

// New returns an Adapter after checking the bot token with auth.test, which also names the app's bot user. It
// returns an error when BotToken is empty or auth.test fails (the error says which).
func New(ctx context.Context, engine Engine, opts Options) (*Adapter, error) {
	opts = opts.withDefaults()
	if opts.BotToken == "" {
		return nil, errors.New("slack: a bot token is required")
	}
	clientOpts := []slackapi.Option{slackapi.OptionAPIURL(opts.APIURL), slackapi.OptionHTTPClient(opts.HTTPClient)}
	if opts.AppToken != "" {
		clientOpts = append(clientOpts, slackapi.OptionAppLevelToken(opts.AppToken))
	}
	a := &Adapter{
		engine:  engine,
		opts:    opts,
		log:     opts.Logger,
		api:     slackapi.New(opts.BotToken, clientOpts...),
		metrics: newMetrics(opts.Registerer, opts.Logger),
		streams: make(map[string]*stream),
	}
	a.users = newUserCache(opts.UserCacheSize, opts.UserCacheTTL, opts.Now)
	if err := a.setUpAgentChannels(); err != nil {
		return nil, err
	}
	var auth *slackapi.AuthTestResponse
	err := a.call(ctx, "auth.test", func(ctx context.Context) (err error) {
		auth, err = a.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("slack: auth.test: %w", err)
	}
	a.self.UserID, a.self.BotID, a.self.TeamID = auth.UserID, auth.BotID, auth.TeamID
	return a, nil
}

// Name returns journeystate.ChannelSlack.
// The adapter is a channel that streams and that knows which conversations others can read.
var (
	_ channels.Channel  = (*Adapter)(nil)
	_ channels.Streamer = (*Adapter)(nil)
	_ channels.Audience = (*Adapter)(nil)
)

func (a *Adapter) Name() string { return journeystate.ChannelSlack }

// BotUserID returns the app's bot user id, as auth.test gave it.
func (a *Adapter) BotUserID() string { return a.self.UserID }
