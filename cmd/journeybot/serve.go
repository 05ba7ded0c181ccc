package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/journeybot/journeybot/api"
	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/knowledge"
	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/bot/llm/offline"
	"github.com/journeybot/journeybot/bot/llm/openai"
	"github.com/journeybot/journeybot/channels/webchat"
	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate/sqlite"
	"github.com/journeybot/journeybot/prompts"
)

// Main is the running server, wired by hand from a Config. End-to-end tests use it as the binary does.
type Main struct {
	Config Config
	Logger *slog.Logger

	Store    *sqlite.Store
	Engine   *bot.Engine
	Hub      *webchat.Hub
	Registry *prometheus.Registry

	model   llm.Model
	console *console.Console
	// identitySecret verifies the widget's identify calls: webchat.identity_secret, or a random one for a demo.
	identitySecret string
	ln             net.Listener
	server         *http.Server
	ready          atomic.Bool
	served         chan error

	stopSlack func()
	// stopMemory stops the background work: memory summaries (memoryDone) and the queue's dispatcher
	// (memoryDone2, nil when hand-offs are off).
	stopMemory  context.CancelFunc
	memoryDone  chan struct{}
	memoryDone2 chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a Main for cfg; Open starts it.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger}
}

// Open opens the store, indexes the knowledge folder when it changed, builds the engine and the channels, and starts
// serving HTTP on Config.Server.Addr. On error everything it opened is closed again.
func (m *Main) Open(ctx context.Context) (err error) {
	cfg := m.Config
	defer func() {
		if err != nil {
			m.closeStore()
		}
	}()
	if m.Store, err = openStore(ctx, cfg); err != nil {
		return err
	}
	res, err := syncKnowledge(ctx, cfg, m.Store, false)
	if err != nil {
		return err
	}
	m.Logger.Info("knowledge base", "dir", cfg.Knowledge.Dir, "passages", res.Passages, "reindexed", res.Reindexed)

	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if m.Engine, m.model, err = newEngine(cfg, m.Store, bot.NewMetrics(m.Registry), m.Logger); err != nil {
		return err
	}
	apiHandler, err := api.New(m.Engine, api.Options{
		Tokens: cfg.API.Tokens, Merges: m.Engine, PhoneRegion: cfg.Identity.PhoneRegion, Logger: m.Logger,
	})
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	m.identitySecret = string(cfg.Webchat.IdentitySecret)
	if cfg.Demo.Enabled {
		if m.identitySecret == "" {
			if m.identitySecret, err = randomSecret(); err != nil {
				return err
			}
		}
		if err := seedDemo(ctx, m.Engine, m.Store, time.Now()); err != nil {
			return err
		}
		var teams []string
		for _, t := range cfg.Handoff.Teams {
			teams = append(teams, t.Name)
		}
		if err := seedDemoUsers(ctx, m.Store, teams); err != nil {
			return err
		}
		m.Logger.Info("demo: the demo page can sign in as a demo customer (turn demo.enabled off in production)",
			"user_id", demoUserID)
	}
	m.Hub = webchat.New(m.Engine, webchat.Options{
		PublicURL:       cfg.Server.PublicURL,
		AllowedOrigins:  cfg.Webchat.AllowedOrigins,
		MaxFrameBytes:   cfg.Webchat.MaxFrameBytes,
		MaxMessageChars: cfg.Bot.MaxMessageChars,
		SendQueue:       cfg.Webchat.SendQueue,
		IdentitySecret:  m.identitySecret,
		Logger:          m.Logger,
		Registerer:      m.Registry,
	})
	m.Engine.Register(m.Hub)
	smsChannel, err := newSMSChannel(cfg.SMS, cfg.Server.PublicURL, m.Engine, m.Registry, m.Logger)
	if err != nil {
		return err
	}
	if smsChannel != nil {
		m.Engine.Register(smsChannel)
	}

	mux := http.NewServeMux()
	m.Hub.Routes(mux)
	if m.console, err = newConsole(cfg, m.Store, m.Engine, m.model, m.Logger); err != nil {
		return err
	}
	m.console.Routes(mux)
	apiHandler.Routes(mux)
	if smsChannel != nil {
		smsChannel.Routes(mux)
	}
	if _, m.stopSlack, err = startSlack(ctx, SlackOptions{
		Enabled: cfg.Slack.Enabled, Mode: cfg.Slack.Mode, BotToken: string(cfg.Slack.BotToken),
		SigningSecret: string(cfg.Slack.SigningSecret), AppToken: string(cfg.Slack.AppToken), APIURL: cfg.Slack.APIURL,
		UpdateInterval: cfg.Slack.UpdateInterval, MaxBodyBytes: int64(cfg.Slack.MaxBodyBytes),
		UserCacheSize: cfg.Slack.UserCacheSize, UserCacheTTL: cfg.Slack.UserCacheTTL,
		AgentChannels: agentChannels(cfg.Handoff), AgentChannel: cfg.Handoff.SlackChannel, Links: m.Store,
	}, m.Engine, mux, m.Registry, m.Logger); err != nil {
		return err
	}
	if cfg.Demo.Enabled {
		mux.HandleFunc("GET /demo/identity", m.handleDemoIdentity)
	}
	mux.HandleFunc("GET /healthz", m.handleHealthz)
	mux.HandleFunc("GET /readyz", m.handleReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))

	if m.ln, err = net.Listen("tcp", cfg.Server.Addr); err != nil {
		return fmt.Errorf("server.addr: listen on %s: %w", cfg.Server.Addr, err)
	}
	m.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.ln) }()
	m.ready.Store(true)

	// Answer what was acknowledged before a crash or restart and never answered. Older messages are left: an
	// answer hours late is more confusing than none, and an agent sees them in the transcript.
	mctx, stop := context.WithCancel(context.Background())
	m.stopMemory, m.memoryDone = stop, make(chan struct{})
	go func() {
		defer close(m.memoryDone)
		m.Engine.RunMemory(mctx, memoryInterval)
	}()
	if cfg.Handoff.Enabled {
		m.memoryDone2 = make(chan struct{})
		go func() {
			defer close(m.memoryDone2)
			m.Engine.RunDispatcher(mctx, cfg.Handoff.DispatchInterval)
		}()
	}

	n, err := m.Engine.Resume(ctx, time.Now().Add(-resumeWindow))
	if err != nil {
		m.Logger.Error("resume unanswered conversations", "err", err)
	} else if n > 0 {
		m.Logger.Info("answering messages left unanswered by the last run", "conversations", n)
	}
	return nil
}

// newConsole builds the agent console on the store's users and the engine's desk.
func newConsole(cfg Config, store *sqlite.Store, engine *bot.Engine, model llm.Model, logger *slog.Logger) (*console.Console, error) {
	var teams []string
	for _, t := range cfg.Handoff.Teams {
		teams = append(teams, t.Name)
	}
	canned := make([]console.CannedReply, len(cfg.Handoff.CannedReplies))
	for i, r := range cfg.Handoff.CannedReplies {
		canned[i] = console.CannedReply{Title: r.Title, Text: r.Text}
	}
	opts := console.Options{
		Logger:        logger,
		SecureCookies: cfg.Console.SecureCookies || strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		SessionTTL:    cfg.Console.SessionTTL,
		Desk:          engine,
		Records:       store,
		Teams:         teams,
		CannedReplies: canned,
		Journey:       cfg.Journey,
	}
	if model != nil {
		opts.JourneyNamer = modelNamer{model: model, company: cfg.Company.Name}
	}
	c, err := console.New(store, opts)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return c, nil
}

// agentChannels maps the teams that have a Slack channel to it.
func agentChannels(h HandoffConfig) map[string]string {
	out := map[string]string{}
	for _, t := range h.Teams {
		if t.SlackChannel != "" {
			out[t.Name] = t.SlackChannel
		}
	}
	return out
}

// memoryInterval is how often quiet conversations are looked for, to take them into their customers' summaries.
const memoryInterval = time.Minute

// newEngine builds the bot engine that cfg describes on store, with its model (nil when none is configured).
func newEngine(cfg Config, store *sqlite.Store, metrics *bot.Metrics, logger *slog.Logger) (*bot.Engine, llm.Model, error) {
	var model llm.Model
	renderer, err := prompts.New(cfg.Prompts.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("prompts: %w", err)
	}
	redactor, err := cfg.Redactor()
	if err != nil {
		return nil, nil, fmt.Errorf("redaction: %w", err)
	}
	greetings := map[string]string{}
	for _, st := range cfg.Journey.Stages {
		if st.Greeting != "" {
			greetings[st.Name] = st.Greeting
		}
	}
	responder := offline.New(store, offline.Options{Company: cfg.Company.Name, Assistant: cfg.Persona.Name,
		Greetings: greetings})
	if cfg.ModelEnabled() {
		model = openai.New(openai.Config{
			APIKey:     string(cfg.Model.APIKey),
			BaseURL:    cfg.Model.BaseURL,
			Model:      cfg.Model.Name,
			MaxRetries: cfg.Model.MaxRetries,
			Logger:     logger,
		})
	}
	handoff := cfg.BotHandoff()
	handoff.Agents = store
	engine := bot.New(bot.Config{
		Store:                   store,
		Model:                   model,
		Offline:                 responder,
		Prompts:                 renderer,
		Company:                 prompts.Company{Name: cfg.Company.Name, Description: cfg.Company.Description, Website: cfg.Company.Website},
		Persona:                 prompts.Persona{Name: cfg.Persona.Name, Tone: cfg.Persona.Tone, Instructions: cfg.Persona.Instructions},
		TurnDeadline:            cfg.Bot.TurnDeadline,
		MaxToolSteps:            cfg.Bot.MaxToolSteps,
		HistoryMessages:         cfg.Bot.HistoryMessages,
		KnowledgePassages:       cfg.Bot.KnowledgePassages,
		MaxMessageChars:         cfg.Bot.MaxMessageChars,
		MaxConcurrentModelCalls: cfg.Bot.MaxConcurrentModelCalls,
		Temperature:             cfg.Model.Temperature,
		MaxTokens:               cfg.Model.MaxTokens,
		Journey:                 cfg.Journey,
		Redactor:                redactor,
		RedactStored:            cfg.Redaction.BeforeStoring,
		Tools:                   cfg.Tools,
		ToolAuth:                toolAuthValues(cfg.ToolAuth),
		FactKeys:                cfg.Memory.FactKeys,
		TimelineTokens:          cfg.Bot.TimelineTokens,
		PhoneRegion:             cfg.Identity.PhoneRegion,
		QuietAfter:              cfg.Memory.QuietAfter,
		SummaryChars:            cfg.Memory.SummaryChars,
		Handoff:                 handoff,
		Metrics:                 metrics,
		Logger:                  logger,
	})
	return engine, model, nil
}

// resumeWindow is how far back Open looks for messages that were acknowledged but never answered.
const resumeWindow = time.Hour

// Addr returns the address the server listens on (useful when Config.Server.Addr has port 0).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// ModelName names the model that answers: the configured one, or the offline responder.
func (m *Main) ModelName() string {
	if m.model == nil {
		return "offline responder (no model configured)"
	}
	return m.model.Name()
}

// Close shuts down gracefully: it stops accepting connections, lets the turns in flight finish and deliver their
// replies, closes the web-chat sockets and then the store. When ctx ends first, turns are cut short; what they
// produced is still stored. Calling it again returns the first call's result.
func (m *Main) Close(ctx context.Context) error {
	m.closeOnce.Do(func() { m.closeErr = m.close(ctx) })
	return m.closeErr
}

func (m *Main) close(ctx context.Context) error {
	m.ready.Store(false)
	var errs []error
	if m.console != nil {
		m.console.Close() // its event streams would hold the server's Shutdown open
	}
	if m.server != nil {
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("http serve: %w", err))
		}
	}
	if m.stopSlack != nil {
		m.stopSlack()
	}
	if m.stopMemory != nil {
		m.stopMemory()
		<-m.memoryDone
		if m.memoryDone2 != nil {
			<-m.memoryDone2
		}
	}
	if m.Engine != nil {
		if err := m.Engine.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("engine shutdown: %w", err))
		}
	}
	if m.Hub != nil {
		if err := m.Hub.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("web chat shutdown: %w", err))
		}
	}
	if err := m.closeStore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (m *Main) closeStore() error {
	if m.Store == nil {
		return nil
	}
	err := m.Store.Close()
	m.Store = nil
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func (m *Main) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// handleReadyz answers 200 only when a customer can be served: the store answers and the knowledge base is indexed
// (Open indexes it before it marks the server ready).
func (m *Main) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !m.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := m.Store.Ping(ctx); err != nil {
		m.Logger.Warn("readyz: store ping failed", "err", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// toolAuthValues unwraps the tools' secrets for the engine, the one place that sends them.
func toolAuthValues(secrets map[string]Secret) map[string]string {
	out := make(map[string]string, len(secrets))
	for name, s := range secrets {
		out[name] = string(s)
	}
	return out
}

func openStore(ctx context.Context, cfg Config) (*sqlite.Store, error) {
	s, err := sqlite.Open(ctx, cfg.Store.Path)
	if err != nil {
		return nil, fmt.Errorf("store.path: open %s: %w", cfg.Store.Path, err)
	}
	return s, nil
}

func syncKnowledge(ctx context.Context, cfg Config, store *sqlite.Store, force bool) (knowledge.Result, error) {
	res, err := knowledge.Sync(ctx, store, cfg.Knowledge.Dir, cfg.Knowledge.BaseURL, force)
	if err != nil {
		return res, fmt.Errorf("knowledge.dir: %w", err)
	}
	return res, nil
}
