package main

// This file holds journeybot's configuration: its keys and defaults (loading: config_load.go; checks:
// config_check.go). Packages never read configuration themselves; main copies these values into their
// constructors.

import (
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/api"
	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/redact"
	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/journeystate"
)

// Config is journeybot's whole configuration. Each field's koanf tag is its key in config.yaml; the environment
// variable JOURNEYBOT_ + the key path in capitals with dots as underscores overrides it.
type Config struct {
	Server    ServerConfig    `koanf:"server"`
	Log       LogConfig       `koanf:"log"`
	Store     StoreConfig     `koanf:"store"`
	Company   CompanyConfig   `koanf:"company"`
	Persona   PersonaConfig   `koanf:"persona"`
	Model     ModelConfig     `koanf:"model"`
	Bot       BotConfig       `koanf:"bot"`
	Knowledge KnowledgeConfig `koanf:"knowledge"`
	Prompts   PromptsConfig   `koanf:"prompts"`
	Webchat   WebchatConfig   `koanf:"webchat"`
	Identity  IdentityConfig  `koanf:"identity"`
	Memory    MemoryConfig    `koanf:"memory"`
	Redaction RedactionConfig `koanf:"redaction"`
	API       APIConfig       `koanf:"api"`
	Demo      DemoConfig      `koanf:"demo"`
	SMS       SMSConfig       `koanf:"sms"`
	Slack     SlackConfig     `koanf:"slack"`
	Handoff   HandoffConfig   `koanf:"handoff"`
	Console   ConsoleConfig   `koanf:"console"`
	// Journey is the journey map, decoded whole (config:"yaml") with journeystate's yaml tags.
	Journey journeystate.JourneyMap `koanf:"journey" config:"yaml"`
	// Tools are the company's own HTTP tools the model may call, decoded whole with bot.HTTPTool's yaml tags.
	Tools []bot.HTTPTool `koanf:"tools" config:"yaml"`

	// ToolAuth holds, by tool name, the value of each tool's auth header, read from the variable its auth_env
	// names. It is not a key of its own.
	ToolAuth map[string]Secret `koanf:"-"`
}

// ServerConfig is the HTTP server.
type ServerConfig struct {
	Addr            string        `koanf:"addr"`             // listen address, host:port
	PublicURL       string        `koanf:"public_url"`       // how customers and webhooks reach the server
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"` // how long a graceful stop may take
}

// LogConfig is the slog output.
type LogConfig struct {
	Level  string `koanf:"level"`  // debug, info, warn or error
	Format string `koanf:"format"` // text or json
}

// StoreConfig is the storage backend.
type StoreConfig struct {
	Driver string `koanf:"driver"` // "sqlite"
	Path   string `koanf:"path"`   // the SQLite database file
}

// CompanyConfig is the business the bot speaks for.
type CompanyConfig struct {
	Name        string `koanf:"name"`
	Description string `koanf:"description"`
	Website     string `koanf:"website"`
}

// PersonaConfig is who the bot is.
type PersonaConfig struct {
	Name         string `koanf:"name"`
	Tone         string `koanf:"tone"`
	Instructions string `koanf:"instructions"`
}

// ModelConfig is the OpenAI-compatible model; with no APIKey the offline responder answers.
type ModelConfig struct {
	APIKey      Secret  `koanf:"api_key"`
	BaseURL     string  `koanf:"base_url"` // includes the version path, e.g. "http://localhost:11434/v1"
	Name        string  `koanf:"name"`
	Temperature float32 `koanf:"temperature"` // 0 to 2, as in llm.Request
	MaxTokens   int     `koanf:"max_tokens"`
	MaxRetries  int     `koanf:"max_retries"`
}

// BotConfig bounds a bot turn.
type BotConfig struct {
	TurnDeadline      time.Duration `koanf:"turn_deadline"` // the longest a customer waits for an answer
	MaxToolSteps      int           `koanf:"max_tool_steps"`
	HistoryMessages   int           `koanf:"history_messages"`
	KnowledgePassages int           `koanf:"knowledge_passages"`
	MaxMessageChars   int           `koanf:"max_message_chars"`
	// MaxConcurrentModelCalls bounds the model calls in flight; 0 means no bound.
	MaxConcurrentModelCalls int `koanf:"max_concurrent_model_calls"`
	// TimelineTokens is the budget of the customer's cross-channel timeline in the prompt; 0 leaves it out.
	TimelineTokens int `koanf:"timeline_tokens"`
}

// KnowledgeConfig is the knowledge base.
type KnowledgeConfig struct {
	Dir     string `koanf:"dir"`      // folder of Markdown pages
	BaseURL string `koanf:"base_url"` // where the pages live on the company's site; "" for no links
}

// PromptsConfig is the prompt templates.
type PromptsConfig struct {
	Dir string `koanf:"dir"` // folder of *.tmpl overriding the built-in templates; "" for none
}

// WebchatConfig is the web-chat WebSocket.
type WebchatConfig struct {
	AllowedOrigins []string `koanf:"allowed_origins"` // origins besides the server's own
	MaxFrameBytes  int      `koanf:"max_frame_bytes"`
	SendQueue      int      `koanf:"send_queue"`
	// IdentitySecret verifies the widget's identify calls (HMAC-SHA256 of the user id); "" accepts them as claims.
	IdentitySecret Secret `koanf:"identity_secret"`
}

// IdentityConfig is how customers are recognised across channels.
type IdentityConfig struct {
	PhoneRegion string `koanf:"phone_region"` // ISO 3166 region of numbers written without a country code
}

// SlackConfig is the Slack channel; the credentials usually come from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and
// SLACK_APP_TOKEN.
type SlackConfig struct {
	Enabled        bool          `koanf:"enabled"`
	Mode           string        `koanf:"mode"` // events_api or socket_mode
	BotToken       Secret        `koanf:"bot_token"`
	SigningSecret  Secret        `koanf:"signing_secret"`
	AppToken       Secret        `koanf:"app_token"`
	APIURL         string        `koanf:"api_url"`         // "" is https://slack.com/api/; tests point it at a fake
	UpdateInterval time.Duration `koanf:"update_interval"` // shortest gap between two updates of a streamed answer
	MaxBodyBytes   int           `koanf:"max_body_bytes"`
	UserCacheSize  int           `koanf:"user_cache_size"`
	UserCacheTTL   time.Duration `koanf:"user_cache_ttl"`
}

// DemoConfig is the demo company's living example.
// HandoffConfig is the handoff section: when conversations go to people, and to which team.
type HandoffConfig struct {
	Enabled          bool          `koanf:"enabled"`
	RequestPhrases   []string      `koanf:"request_phrases"`
	RequestIntent    string        `koanf:"request_intent"`
	NegativePhrases  []string      `koanf:"negative_phrases"`
	RuleCooldown     time.Duration `koanf:"rule_cooldown"`
	AverageHandle    time.Duration `koanf:"average_handle"`
	AutoAssign       bool          `koanf:"auto_assign"`
	DispatchInterval time.Duration `koanf:"dispatch_interval"`
	CloseIdleAfter   time.Duration `koanf:"close_idle_after"`
	// SlackChannel is the Slack channel id where hand-offs of teams without a slack_channel of their own are posted
	// as agent threads; "" posts none.
	SlackChannel  string            `koanf:"slack_channel"`
	Teams         []routing.Team    `koanf:"teams" config:"yaml"`
	Rules         []bot.HandoffRule `koanf:"rules" config:"yaml"`
	CannedReplies []CannedReply     `koanf:"canned_replies" config:"yaml"`
}

// CannedReply is a ready answer agents insert in the console.
type CannedReply struct {
	Title string `yaml:"title"`
	Text  string `yaml:"text"`
}

// ConsoleConfig is the console section: the agent console and dashboard under /console/.
type ConsoleConfig struct {
	// SecureCookies marks the console's cookies Secure; they are whenever server.public_url is https too.
	SecureCookies bool          `koanf:"secure_cookies"`
	SessionTTL    time.Duration `koanf:"session_ttl"`
}

type DemoConfig struct {
	// Enabled seeds a demo customer with a cross-channel journey and lets the demo page sign in as them.
	Enabled bool `koanf:"enabled"`
}

// APIConfig is the HTTP API for the company's own systems (/api/v1).
type APIConfig struct {
	// Tokens are the API tokens, only their hashes, decoded whole with api.Token's yaml tags.
	Tokens []api.Token `koanf:"tokens" config:"yaml"`
}

// RedactionConfig is what is removed from text before the model sees it (and, with BeforeStoring, before it is
// stored).
type RedactionConfig struct {
	Cards         bool     `koanf:"cards"`          // card numbers that pass the Luhn check
	NationalIDs   []string `koanf:"national_ids"`   // built-in national id patterns, see redact.KnownNationalIDs
	BeforeStoring bool     `koanf:"before_storing"` // customer messages are stored redacted too
	// Rules are the operator's own patterns, decoded whole with redact.Rule's yaml tags.
	Rules []redact.Rule `koanf:"rules" config:"yaml"`
}

// MemoryConfig is what the bot remembers of customers.
type MemoryConfig struct {
	FactKeys     []string      `koanf:"fact_keys"`     // keys remember_fact may store
	QuietAfter   time.Duration `koanf:"quiet_after"`   // silence after which a conversation is summarised; 0: never
	SummaryChars int           `koanf:"summary_chars"` // the longest summary
}

// DefaultConfig returns the configuration journeybot runs with when nothing is set: the values config.yaml documents.
func DefaultConfig() Config {
	return Config{
		Server: ServerConfig{Addr: ":8080", PublicURL: "http://localhost:8080", ShutdownTimeout: 30 * time.Second},
		Log:    LogConfig{Level: "info", Format: "text"},
		Store:  StoreConfig{Driver: "sqlite", Path: "data/journeybot.db"},
		Company: CompanyConfig{
			Name: "Hearthly",
			Description: "Hearthly makes a smart thermostat and wireless room sensors, sold online at hearthly.com " +
				"and shipped to the United States and Canada.",
			Website: "https://hearthly.com",
		},
		Persona: PersonaConfig{Name: "Ember", Tone: "warm, brief and plain-spoken"},
		Model: ModelConfig{
			BaseURL: "https://api.openai.com/v1", Name: "gpt-4o-mini",
			Temperature: 0.3, MaxTokens: 600, MaxRetries: 3,
		},
		Bot: BotConfig{
			TurnDeadline: 20 * time.Second, MaxToolSteps: 4, HistoryMessages: 20, KnowledgePassages: 3,
			MaxMessageChars: 4000, MaxConcurrentModelCalls: 1000, TimelineTokens: 1200,
		},
		Knowledge: KnowledgeConfig{Dir: "knowledge"},
		Webchat:   WebchatConfig{AllowedOrigins: []string{}, MaxFrameBytes: 16384, SendQueue: 256},
		Identity:  IdentityConfig{PhoneRegion: "US"},
		Tools:     []bot.HTTPTool{},
		API:       APIConfig{Tokens: []api.Token{}},
		SMS:       defaultSMSConfig(),
		Slack: SlackConfig{Mode: "events_api", UpdateInterval: time.Second, MaxBodyBytes: 1 << 20,
			UserCacheSize: 10000, UserCacheTTL: time.Hour},
		Redaction: RedactionConfig{Cards: true, NationalIDs: []string{"us_ssn", "ca_sin"}, Rules: []redact.Rule{}},
		Memory: MemoryConfig{
			FactKeys:   []string{"thermostat_model", "heating_system", "home_type", "preferred_contact"},
			QuietAfter: 30 * time.Minute, SummaryChars: 1500,
		},
		Handoff: HandoffConfig{
			Enabled: true,
			RequestPhrases: []string{"talk to a human", "speak to a human", "talk to a person", "speak to a person",
				"real person", "human agent", "live agent", "talk to an agent", "speak to an agent",
				"talk to someone", "speak to someone", "customer service", "representative"},
			NegativePhrases: []string{"useless", "ridiculous", "terrible", "awful", "worst", "unacceptable",
				"frustrated", "frustrating", "angry", "furious", "waste of time", "not helpful", "not helping", "doesn't help",
				"makes no sense"},
			RuleCooldown: 24 * time.Hour, AverageHandle: 6 * time.Minute, AutoAssign: true,
			DispatchInterval: 5 * time.Second, CloseIdleAfter: 24 * time.Hour,
			Teams: []routing.Team{}, Rules: []bot.HandoffRule{}, CannedReplies: []CannedReply{},
		},
		Console: ConsoleConfig{SessionTTL: 12 * time.Hour},
	}
}

// ModelEnabled reports whether a model is configured (an API key is set); otherwise the offline responder answers.
// A local server that needs no key (Ollama, llama.cpp) is switched on with any key, as in OpenAI's SDKs.
func (c Config) ModelEnabled() bool { return c.Model.APIKey != "" }

// names returns the name of each element of xs: how String shows a list section.
func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

// String lists every key and its value, one "key = value" per line with text quoted, and secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	v := reflect.ValueOf(c)
	for _, f := range configFields() {
		switch x := v.FieldByIndex(f.index).Interface().(type) {
		case Secret:
			fmt.Fprintf(&b, "%s = %q\n", f.key, x.String())
		case string, []string:
			fmt.Fprintf(&b, "%s = %q\n", f.key, x)
		case []api.Token:
			fmt.Fprintf(&b, "%s = %q\n", f.key, names(x, func(e api.Token) string { return e.Name }))
		case []redact.Rule:
			fmt.Fprintf(&b, "%s = %q\n", f.key, names(x, func(e redact.Rule) string { return e.Name }))
		case []routing.Team:
			fmt.Fprintf(&b, "%s = %q\n", f.key, names(x, func(e routing.Team) string { return e.Name }))
		case []bot.HandoffRule:
			fmt.Fprintf(&b, "%s = %q\n", f.key, names(x, func(e bot.HandoffRule) string { return e.Name }))
		case []CannedReply:
			fmt.Fprintf(&b, "%s = %d replies\n", f.key, len(x))
		case []bot.HTTPTool:
			fmt.Fprintf(&b, "%s = %q\n", f.key, names(x, func(e bot.HTTPTool) string { return e.Name }))
		case map[string]Secret:
			continue
		case journeystate.JourneyMap:
			fmt.Fprintf(&b, "%s = %d stages, %d paths, %d goals, %d intents\n", f.key, len(x.Stages), len(x.Paths),
				len(x.Goals), len(x.Intents))
		default:
			fmt.Fprintf(&b, "%s = %v\n", f.key, x)
		}
	}
	return b.String()
}

// Secret is text that must never be printed or logged: fmt, slog and text encoders show "[redacted]" (or nothing
// when it is empty). Convert it with string() only to hand it to the client that needs it.
type Secret string

// String returns "[redacted]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString returns the redacted text quoted, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue returns the redacted text, for slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText returns the redacted text, for JSON and YAML encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
