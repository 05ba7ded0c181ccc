// Package webchat is journeybot's web chat channel: the WebSocket hub that speaks the protocol in
// docs/webchat-protocol.md at /chat/ws, the embeddable widget (/widget.js) and the demo page (/), all served from
// files embedded in the binary.
//
// The Hub hands customer messages to the bot engine and acknowledges them only after the engine has stored them;
// it delivers replies, agents' messages, notices, typing and streamed deltas to every open socket of the visitor. It
// must not block a publisher on a slow socket (a socket whose bounded queue is full is dropped), must not keep any
// state that the store does not also have (a reconnecting client resumes from the store), and must not log visitor
// ids or message text above debug level.
package webchat

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// Engine is the part of bot.Engine the web chat uses.
type Engine interface {
	// Receive stores a customer message and starts the bot's turn for it (replies come through Deliver and the
	// Streamer methods, possibly before the ack); bot.ErrEmptyMessage, bot.ErrTooLong and bot.ErrShuttingDown
	// are refusals that stored nothing.
	Receive(ctx context.Context, in channels.Inbound) (bot.Receipt, error)
	// History returns the visitor's latest conversation on the thread and its messages with Seq > afterSeq
	// (at most limit, the newest ones, oldest first); a zero Conversation and no error when there is none.
	History(ctx context.Context, channel, userID, threadID string, afterSeq int64, limit int) (journeystate.Conversation, []journeystate.Message, error)
	// IdentifyUser records who the visitor (channel, externalID) says they are; the result's Customer is the
	// customer the visitor now is, possibly one it was merged into (then the visitor's identity resolves to it).
	// bot.ErrBadReference (wrapped) refuses an email or phone that is not one.
	IdentifyUser(ctx context.Context, channel, externalID string, who bot.Identification) (journeystate.IdentifyResult, error)
}

// Socket timing and size limits.
const (
	// writeWait is the longest one frame (or ping, or close frame) may take to write before the socket is dropped.
	writeWait = 10 * time.Second
	// pongWait is how long a socket may stay silent (no pong, no frame) before it is dropped.
	pongWait = 60 * time.Second
	// pingPeriod is how often the server pings; it must be shorter than pongWait.
	pingPeriod = 30 * time.Second
	// maxReadBytes is the hard limit on one incoming frame: over it the connection is closed with code 1009.
	// Frames between Options.MaxFrameBytes and this limit are read, discarded and answered with too_large.
	maxReadBytes = 1 << 20
	// engineWait bounds each call to the Engine.
	engineWait = 10 * time.Second
	// historyLimit is the most messages a welcome frame carries.
	historyLimit = 200
	// minWelcomeBytes is the smallest Options.MaxWelcomeBytes taken: room for the frame and a few messages.
	minWelcomeBytes = 4 << 10
	// minIdentitySecret is the shortest Options.IdentitySecret taken without a warning.
	minIdentitySecret = 16
)

// Options configures a Hub. Zero fields take the defaults given.
type Options struct {
	// AllowedOrigins lists the browser origins, besides the server's own, that may open a socket: exact
	// "scheme://host[:port]" strings such as "https://www.example.com". Others get HTTP 403.
	AllowedOrigins []string
	// MaxFrameBytes is the largest frame handled (default 16 KiB); a larger one gets a too_large error frame.
	MaxFrameBytes int
	// MaxMessageChars is the longest message text in characters after trimming (default 4000).
	MaxMessageChars int
	// SendQueue is how many outgoing frames may wait for one socket (default 256); a socket whose queue is full is
	// dropped.
	SendQueue int
	// SendQueueBytes is how many bytes of outgoing frames may wait for one socket (default 1 MiB, at least twice
	// MaxWelcomeBytes); a socket that a frame would take past it is dropped, as with a full queue.
	SendQueueBytes int
	// MaxWelcomeBytes caps the size of a welcome frame (default 512 KiB, at most half of SendQueueBytes, at least
	// 4 KiB): it carries the newest messages that fit and says "truncated" when it leaves older ones out.
	MaxWelcomeBytes int
	// PublicURL is the server's public URL (for example https://chat.example.com), as customers reach it through
	// any proxy in front: its origin counts as the server's own, besides the request's Host. Empty: Host only.
	PublicURL string
	// IdentitySecret is the site's identity verification secret. An identify frame whose hash is the lowercase hex
	// HMAC-SHA256 of its user_id with this key (IdentityHash) is verified: the user id becomes a verified identity
	// and may join the visitor to the customer who holds it. Any other identify is kept as unverified claims, which
	// never merge customers. Empty: verification is off and every identify is taken as unverified claims only.
	IdentitySecret string
	// Logger receives connection problems and engine errors; nil discards them.
	Logger *slog.Logger
	// Registerer receives the hub's metrics; nil means no metrics are registered.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 16 << 10
	}
	if o.MaxFrameBytes > maxReadBytes {
		o.MaxFrameBytes = maxReadBytes
	}
	if o.MaxMessageChars <= 0 {
		o.MaxMessageChars = 4000
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = 1 << 20
	}
	if o.MaxWelcomeBytes <= 0 {
		o.MaxWelcomeBytes = 512 << 10
	}
	// A welcome must leave room in the queue for the frames that follow it.
	o.MaxWelcomeBytes = max(min(o.MaxWelcomeBytes, o.SendQueueBytes/2), minWelcomeBytes)
	if o.SendQueueBytes < 2*o.MaxWelcomeBytes {
		o.SendQueueBytes = 2 * o.MaxWelcomeBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Hub is the web chat channel. It implements channels.Channel, channels.Streamer and channels.AgentTyping, routing
// every outgoing frame by the conversation's ThreadID (the visitor id) to all open sockets of that visitor. It is
// safe for concurrent use; its publishing methods never block on a socket.
type Hub struct {
	engine   Engine
	opts     Options
	log      *slog.Logger
	metrics  *metrics
	allowed  map[string]bool
	upgrader websocket.Upgrader

	mu       sync.Mutex
	visitors map[string]map[*client]struct{} // visitor id → sockets that said hello
	clients  map[*client]struct{}            // every open socket
	closing  bool
	running  sync.WaitGroup // socket goroutines
}

var (
	_ channels.Channel     = (*Hub)(nil)
	_ channels.Streamer    = (*Hub)(nil)
	_ channels.AgentTyping = (*Hub)(nil)
)

// New returns a Hub that hands messages to engine. Call Routes to serve it and Shutdown to stop it.
func New(engine Engine, opts Options) *Hub {
	opts = opts.withDefaults()
	h := &Hub{
		engine:   engine,
		opts:     opts,
		log:      opts.Logger.With("channel", journeystate.ChannelWeb),
		metrics:  newMetrics(opts.Registerer, opts.Logger),
		allowed:  make(map[string]bool, len(opts.AllowedOrigins)),
		visitors: make(map[string]map[*client]struct{}),
		clients:  make(map[*client]struct{}),
	}
	for _, o := range opts.AllowedOrigins {
		h.allowed[normalizeOrigin(o)] = true
	}
	if opts.PublicURL != "" {
		if o, ok := publicOrigin(opts.PublicURL); ok {
			h.allowed[o] = true
		} else {
			h.log.Warn("web chat public URL ignored: not an absolute http(s) URL", "public_url", opts.PublicURL)
		}
	}
	if s := opts.IdentitySecret; s != "" && len(s) < minIdentitySecret {
		h.log.Warn("web chat identity secret is shorter than 16 bytes: use 32 random bytes or more", "bytes", len(s))
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: writeWait,
		ReadBufferSize:   0,
		WriteBufferSize:  4096,
		// Idle sockets hold no write buffer: it is taken from the pool only while a frame is written.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.originAllowed,
	}
	return h
}

// Name returns journeystate.ChannelWeb.
func (h *Hub) Name() string { return journeystate.ChannelWeb }

// Shutdown stops accepting sockets, closes every open one with a going-away close frame and waits until their
// goroutines have ended or ctx is done; then it closes what is left and returns ctx.Err(). Clients reconnect (to
// another replica, or to this one when it is back) and resume from the store.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	open := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		open = append(open, c)
	}
	h.mu.Unlock()
	for _, c := range open {
		c.stop(websocket.CloseGoingAway, "server shutting down")
	}

	done := make(chan struct{})
	go func() {
		h.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range open {
			c.conn.Close()
		}
		return ctx.Err()
	}
}

// publicOrigin returns the origin of an absolute http(s) URL, normalised like a browser's Origin header: lowercase
// scheme and host, no default port, no path.
func publicOrigin(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := u.Host
	if p := u.Port(); scheme == "http" && p == "80" || scheme == "https" && p == "443" {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return normalizeOrigin(scheme + "://" + host), true
}

// normalizeOrigin lowercases an origin and drops a trailing slash, so that configured and received origins compare
// exactly.
func normalizeOrigin(o string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
}
