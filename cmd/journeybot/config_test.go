package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/journeybot/journeybot/api"
	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/redact"
	"github.com/journeybot/journeybot/bot/routing"
	"github.com/journeybot/journeybot/journeystate"
)

const shippedConfig = "../../config.yaml"

func TestShippedConfigIsTheDefault(t *testing.T) {
	got, err := LoadConfig(shippedConfig, nil)
	if err != nil {
		t.Fatalf("LoadConfig(%s): %v", shippedConfig, err)
	}
	// The journey map is the demo company's: the defaults have none (journeys off), config.yaml ships Hearthly's.
	if len(got.Journey.Stages) < 4 || len(got.Journey.Paths) == 0 || len(got.Journey.Intents) == 0 {
		t.Errorf("config.yaml's journey map has %d stages, %d paths and %d intents; want a realistic demo map",
			len(got.Journey.Stages), len(got.Journey.Paths), len(got.Journey.Intents))
	}
	got.Journey = journeystate.JourneyMap{}
	// So is the demo: on in the file made for trying journeybot out, off by default.
	if !got.Demo.Enabled {
		t.Error("config.yaml does not turn the demo on")
	}
	got.Demo.Enabled = false
	// And the hand-off teams, rules, request intent and canned replies, which name the demo map's stages and intents.
	if len(got.Handoff.Teams) == 0 || len(got.Handoff.Rules) == 0 || len(got.Handoff.CannedReplies) == 0 || got.Handoff.RequestIntent == "" {
		t.Error("config.yaml does not ship the demo company's hand-off teams, rules, request intent and canned replies")
	}
	got.Handoff.Teams, got.Handoff.Rules, got.Handoff.CannedReplies = []routing.Team{}, []bot.HandoffRule{}, []CannedReply{}
	got.Handoff.RequestIntent = ""
	if diff := cmp.Diff(DefaultConfig(), got); diff != "" {
		t.Errorf("config.yaml differs from DefaultConfig (-want +got):\n%s", diff)
	}
	if got.ModelEnabled() {
		t.Error("config.yaml enables a model; it must work as shipped with none")
	}
}

// TestShippedConfigDocumentsEveryKey checks that config.yaml sets every key (rather than leaning on a default) and
// names its environment variable.
func TestShippedConfigDocumentsEveryKey(t *testing.T) {
	k := koanf.New(".")
	if err := k.Load(file.Provider(shippedConfig), yaml.Parser()); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range configFields() {
		if !k.Exists(f.key) {
			t.Errorf("config.yaml does not set %s", f.key)
		}
		if !bytes.Contains(text, []byte(f.env)) {
			t.Errorf("config.yaml does not name %s's variable %s", f.key, f.env)
		}
	}
}

func TestLoadConfigWithoutFileIsTheDefault(t *testing.T) {
	got, err := LoadConfig("", nil)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if diff := cmp.Diff(DefaultConfig(), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := LoadConfig(path, nil)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadConfig(%s) error = %v, want one naming the file", path, err)
	}
}

func TestLoadConfigEveryKey(t *testing.T) {
	got, err := LoadConfig(filepath.Join("testdata", "custom.yaml"), []string{"ACME_API_TOKEN=Bearer acme-secret"})
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := Config{
		Server:  ServerConfig{Addr: "127.0.0.1:9090", PublicURL: "https://chat.example.com", ShutdownTimeout: 45 * time.Second},
		Log:     LogConfig{Level: "debug", Format: "json"},
		Store:   StoreConfig{Driver: "sqlite", Path: "/var/lib/journeybot/db.sqlite"},
		Company: CompanyConfig{Name: "Acme", Description: "Acme sells anvils.\nMostly to coyotes.\n", Website: "https://acme.example"},
		Persona: PersonaConfig{Name: "Wile", Tone: "dry", Instructions: "Never recommend rockets."},
		Model: ModelConfig{
			APIKey: "sk-file-key", BaseURL: "http://localhost:11434/v1", Name: "llama3.2",
			Temperature: 1.5, MaxTokens: 1200, MaxRetries: 0,
		},
		Bot: BotConfig{
			TurnDeadline: 90 * time.Second, MaxToolSteps: 0, HistoryMessages: 50, KnowledgePassages: 5,
			MaxMessageChars: 2000, MaxConcurrentModelCalls: 7, TimelineTokens: 500,
		},
		Knowledge: KnowledgeConfig{Dir: "/srv/kb", BaseURL: "https://acme.example/help/"},
		Prompts:   PromptsConfig{Dir: "/etc/journeybot/prompts"},
		Webchat: WebchatConfig{
			AllowedOrigins: []string{"https://acme.example", "http://localhost:3000"}, MaxFrameBytes: 32768, SendQueue: 64,
			IdentitySecret: "site-secret",
		},
		Identity: IdentityConfig{PhoneRegion: "GB"},
		Memory:   MemoryConfig{FactKeys: []string{"anvil_size"}, QuietAfter: 2 * time.Hour, SummaryChars: 800},
		Journey: journeystate.JourneyMap{
			Stages: []journeystate.Stage{
				{Name: "browsing", Description: "Looking at anvils.", EnterOn: journeystate.EnterOn{Events: []string{"page_viewed"}}},
				{Name: "owner", Description: "Owns an anvil.", Guidance: "Help them drop it.", Greeting: "Welcome back!",
					EnterOn: journeystate.EnterOn{Events: []string{"order_placed"}, Rules: []journeystate.Rule{
						{Event: "viewed_pricing", Count: 3, Within: journeystate.Duration(7 * 24 * time.Hour)},
					}}},
			},
			Paths: []journeystate.Path{{Name: "main", Stages: []string{"browsing", "owner"}}},
		},
		Tools: []bot.HTTPTool{{
			Name: "order_status", Description: "Look up an order.",
			Parameters: map[string]any{
				"type":       "object",
				"properties": map[string]any{"order_id": map[string]any{"type": "string"}},
				"required":   []any{"order_id"},
			},
			URL:        "https://api.acme.example/customers/{customer.user_id}/orders/{args.order_id}",
			AuthHeader: "Authorization", AuthEnv: "ACME_API_TOKEN", Timeout: 3 * time.Second,
		}},
		ToolAuth: map[string]Secret{"order_status": "Bearer acme-secret"},
		Demo:     DemoConfig{Enabled: false}, // it may not be on with an identity secret
		SMS: SMSConfig{Enabled: true, AccountSID: "AC00000000000000000000000000000000", AuthToken: "twilio-token",
			From: "+15005550006", APIBaseURL: "http://127.0.0.1:9/twilio", HelpText: "Text STOP to stop.",
			MaxSegments: 2, MaxParts: 3},
		Slack: SlackConfig{Enabled: true, Mode: "socket_mode", BotToken: "xoxb-test", SigningSecret: "slack-secret",
			AppToken: "xapp-test", APIURL: "http://127.0.0.1:9/slack/api/", UpdateInterval: 2 * time.Second,
			MaxBodyBytes: 65536, UserCacheSize: 50, UserCacheTTL: 10 * time.Minute},
		API: APIConfig{Tokens: []api.Token{{Name: "crm", Hash: "sha256:5ce6f2158d5866e4d2c3522a47ad4b6ff3c550585faefaba141daa6a1aadbeb8",
			Scopes: []string{"events:write", "customers:read"}}}},
		Redaction: RedactionConfig{Cards: false, NationalIDs: []string{"uk_nino"}, BeforeStoring: true,
			Rules: []redact.Rule{{Name: "account number", Pattern: `\bAC-\d{6}\b`}}},
		Handoff: HandoffConfig{Enabled: false, RequestPhrases: []string{"get me a human"}, NegativePhrases: []string{"bah"},
			RuleCooldown: time.Hour, AverageHandle: 3 * time.Minute, AutoAssign: false, DispatchInterval: 2 * time.Second,
			CloseIdleAfter: 2 * time.Hour, SlackChannel: "C0AGENTS",
			Teams: []routing.Team{{Name: "anvils", Default: true, Skills: []string{"owner", "vip"}, TimeZone: "America/Denver",
				Label: "Mountain", Hours: []string{"Mon-Fri 08:00-16:00"}, Holidays: []string{"2026-12-25"},
				SLA: 20 * time.Minute, Fallback: routing.FallbackBot, SlackChannel: "C0ANVILS"}},
			Rules: []bot.HandoffRule{{Name: "vip", Trait: "plan=gold", Urgency: journeystate.UrgencyHigh, Team: "anvils",
				Reason: "Gold customer."}},
			CannedReplies: []CannedReply{{Title: "Hello", Text: "Hello from Acme."}}},
		Console: ConsoleConfig{SecureCookies: true, SessionTTL: 8 * time.Hour},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !got.ModelEnabled() {
		t.Error("ModelEnabled() = false with an API key set")
	}
}

func TestLoadConfigEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		change  func(*Config)
	}{
		{"nothing", []string{"HOME=/root", "PATH=/bin"}, func(*Config) {}},
		{"string", []string{"JOURNEYBOT_SERVER_ADDR=127.0.0.1:1234"}, func(c *Config) { c.Server.Addr = "127.0.0.1:1234" }},
		{"underscore in key", []string{"JOURNEYBOT_SERVER_PUBLIC_URL=https://x.example"}, func(c *Config) {
			c.Server.PublicURL = "https://x.example"
		}},
		{"duration", []string{"JOURNEYBOT_BOT_TURN_DEADLINE=45s"}, func(c *Config) { c.Bot.TurnDeadline = 45 * time.Second }},
		{"int", []string{"JOURNEYBOT_WEBCHAT_SEND_QUEUE= 32 "}, func(c *Config) { c.Webchat.SendQueue = 32 }},
		{"float", []string{"JOURNEYBOT_MODEL_TEMPERATURE=0"}, func(c *Config) { c.Model.Temperature = 0 }},
		{"list", []string{"JOURNEYBOT_WEBCHAT_ALLOWED_ORIGINS=https://a.example, http://b.example:8080,,"}, func(c *Config) {
			c.Webchat.AllowedOrigins = []string{"https://a.example", "http://b.example:8080"}
		}},
		{"empty list", []string{"JOURNEYBOT_WEBCHAT_ALLOWED_ORIGINS="}, func(*Config) {}},
		{"empty string", []string{"JOURNEYBOT_COMPANY_WEBSITE="}, func(c *Config) { c.Company.Website = "" }},
		{"api key", []string{"JOURNEYBOT_MODEL_API_KEY=sk-env"}, func(c *Config) { c.Model.APIKey = "sk-env" }},
		{"openai", []string{"OPENAI_API_KEY=sk-openai", "OPENAI_BASE_URL=http://127.0.0.1:11434/v1", "OPENAI_MODEL=llama3.2"},
			func(c *Config) {
				c.Model.APIKey, c.Model.BaseURL, c.Model.Name = "sk-openai", "http://127.0.0.1:11434/v1", "llama3.2"
			}},
		{"empty openai ignored", []string{"OPENAI_API_KEY=", "OPENAI_BASE_URL="}, func(*Config) {}},
		{"other openai ignored", []string{"OPENAI_ORG_ID=org-1", "OPENAI_PROJECT_ID=p"}, func(*Config) {}},
		{"twilio and slack", []string{"TWILIO_ACCOUNT_SID=AC1", "TWILIO_AUTH_TOKEN=tok", "SLACK_BOT_TOKEN=xoxb-1",
			"SLACK_SIGNING_SECRET=sig", "SLACK_APP_TOKEN=xapp-1", "PATH=/usr/bin", "HOME=/root"}, func(c *Config) {
			c.SMS.AccountSID, c.SMS.AuthToken = "AC1", "tok"
			c.Slack.BotToken, c.Slack.SigningSecret, c.Slack.AppToken = "xoxb-1", "sig", "xapp-1"
		}},
		{"config path is not a key", []string{"JOURNEYBOT_CONFIG=/etc/journeybot.yaml"}, func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := DefaultConfig()
			tt.change(&want)
			got, err := LoadConfig("", tt.environ)
			if err != nil {
				t.Fatalf("LoadConfig(%q): %v", tt.environ, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	path := filepath.Join("testdata", "partial.yaml") // model.name gpt-4.1-mini, api_key sk-from-file
	tests := []struct {
		name              string
		environ           []string
		wantName, wantKey string
		wantBase          string
	}{
		{"file over default", nil, "gpt-4.1-mini", "sk-from-file", "https://file.example/v1"},
		{"OPENAI_* over file", []string{"OPENAI_MODEL=o-env", "OPENAI_API_KEY=sk-o", "OPENAI_BASE_URL=http://o.example/v1"},
			"o-env", "sk-o", "http://o.example/v1"},
		{"empty OPENAI_* leaves file", []string{"OPENAI_API_KEY="}, "gpt-4.1-mini", "sk-from-file", "https://file.example/v1"},
		{"JOURNEYBOT_* over OPENAI_*", []string{
			"JOURNEYBOT_MODEL_NAME=j-env", "OPENAI_MODEL=o-env", "OPENAI_API_KEY=sk-o", "JOURNEYBOT_MODEL_API_KEY=sk-j",
			"JOURNEYBOT_MODEL_BASE_URL=http://j.example/v1", "OPENAI_BASE_URL=http://o.example/v1",
		}, "j-env", "sk-j", "http://j.example/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(path, tt.environ)
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got.Model.Name != tt.wantName || string(got.Model.APIKey) != tt.wantKey || got.Model.BaseURL != tt.wantBase {
				t.Errorf("model = %q, %q, %q; want %q, %q, %q", got.Model.Name, string(got.Model.APIKey), got.Model.BaseURL,
					tt.wantName, tt.wantKey, tt.wantBase)
			}
			if got.Server.Addr != ":9000" || got.Bot.TurnDeadline != 20*time.Second {
				t.Errorf("server.addr, bot.turn_deadline = %q, %s; want the file's :9000 and the default 20s",
					got.Server.Addr, got.Bot.TurnDeadline)
			}
		})
	}
}

// TestLoadConfigRefuses checks that each bad file or variable is refused with an error that names the key (or
// variable), says what is wrong, and says where the value came from.
func TestLoadConfigRefuses(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string // written to config.yaml when not empty
		environ []string
		want    []string // substrings of the error
	}{
		{name: "unknown key", yaml: "bot:\n  turn_dedline: 20s\n",
			want: []string{`config.yaml: unknown key "bot.turn_dedline"`, `did you mean "bot.turn_deadline"`}},
		{name: "unknown section", yaml: "slak:\n  token: x\n", want: []string{`unknown key "slak.token"`}},
		{name: "key under a value", yaml: "server:\n  addr:\n    port: 80\n", want: []string{`unknown key "server.addr.port"`}},
		{name: "value for a section", yaml: "server: 8080\n", want: []string{"server: must be a section of keys, got 8080"}},
		{name: "yaml syntax", yaml: "server:\n  addr: [\n", want: []string{"config.yaml", "yaml"}},
		{name: "duration", yaml: "bot:\n  turn_deadline: soon\n",
			want: []string{`config.yaml: bot.turn_deadline: must be a duration like "20s", got "soon"`}},
		{name: "duration without unit", yaml: "server:\n  shutdown_timeout: 30\n",
			want: []string{`server.shutdown_timeout: must be a duration like "30s", got 30`}},
		{name: "duration out of range", yaml: "bot:\n  turn_deadline: 0s\n",
			want: []string{"bot.turn_deadline: must be between 1s and 5m0s, got 0s"}},
		{name: "temperature too high", yaml: "model:\n  temperature: 3\n",
			want: []string{"config.yaml: model.temperature: must be between 0 and 2, got 3"}},
		{name: "temperature not a number", yaml: "model:\n  temperature: hot\n",
			want: []string{`model.temperature: must be a number, got "hot"`}},
		{name: "whole number", yaml: "model:\n  max_tokens: 1.5\n", want: []string{"model.max_tokens: must be a whole number, got 1.5"}},
		{name: "number too small", yaml: "model:\n  max_tokens: 0\n", want: []string{"model.max_tokens: must be between 1 and"}},
		{name: "negative", yaml: "model:\n  max_retries: -1\n", want: []string{"model.max_retries: must be between 0 and 10, got -1"}},
		{name: "text", yaml: "company:\n  name: 42\n", want: []string{"company.name: must be text, got 42"}},
		{name: "empty name", yaml: "persona:\n  name: \"  \"\n", want: []string{"persona.name: must not be empty"}},
		{name: "log level", yaml: "log:\n  level: verbose\n",
			want: []string{`log.level: must be one of debug, info, warn, error, got "verbose"`}},
		{name: "log format", yaml: "log:\n  format: xml\n", want: []string{`log.format: must be one of text, json, got "xml"`}},
		{name: "driver", yaml: "store:\n  driver: postgres\n", want: []string{`store.driver: must be one of sqlite, got "postgres"`}},
		{name: "addr", yaml: "server:\n  addr: \"8080\"\n", want: []string{`server.addr: must be host:port`, `got "8080"`}},
		{name: "public url relative", yaml: "server:\n  public_url: localhost:8080\n",
			want: []string{`server.public_url: must be an absolute http(s) URL`, `got "localhost:8080"`}},
		{name: "public url scheme", yaml: "server:\n  public_url: ftp://example.com\n", want: []string{"server.public_url: must be"}},
		{name: "base url", yaml: "model:\n  base_url: api.openai.com/v1\n", want: []string{"model.base_url: must be an absolute http(s) URL"}},
		{name: "knowledge base url", yaml: "knowledge:\n  base_url: /help\n", want: []string{"knowledge.base_url: must be"}},
		{name: "origin with path", yaml: "webchat:\n  allowed_origins: [\"https://a.example\", \"https://b.example/chat\"]\n",
			want: []string{`webchat.allowed_origins: item 2 must be an origin`, `got "https://b.example/chat"`}},
		{name: "origins not a list", yaml: "webchat:\n  allowed_origins: https://a.example\n",
			want: []string{`webchat.allowed_origins: must be a list of text, got "https://a.example"`}},
		{name: "frame bytes", yaml: "webchat:\n  max_frame_bytes: 10\n", want: []string{"webchat.max_frame_bytes: must be between 1024"}},
		{name: "unknown variable", environ: []string{"JOURNEYBOT_BOT_TURN_DEDLINE=20s"},
			want: []string{"environment: unknown variable JOURNEYBOT_BOT_TURN_DEDLINE", `did you mean "JOURNEYBOT_BOT_TURN_DEADLINE"`}},
		{name: "variable for a section", environ: []string{"JOURNEYBOT_SERVER=x"}, want: []string{"unknown variable JOURNEYBOT_SERVER"}},
		{name: "bad variable", environ: []string{"JOURNEYBOT_BOT_TURN_DEADLINE=soon"},
			want: []string{`JOURNEYBOT_BOT_TURN_DEADLINE: bot.turn_deadline: must be a duration like "20s", got "soon"`}},
		{name: "bad number variable", environ: []string{"JOURNEYBOT_MODEL_MAX_TOKENS=many"},
			want: []string{`JOURNEYBOT_MODEL_MAX_TOKENS: model.max_tokens: must be a whole number, got "many"`}},
		{name: "out of range variable", environ: []string{"JOURNEYBOT_MODEL_TEMPERATURE=2.5"},
			want: []string{"JOURNEYBOT_MODEL_TEMPERATURE: model.temperature: must be between 0 and 2, got 2.5"}},
		{name: "NaN variable", environ: []string{"JOURNEYBOT_MODEL_TEMPERATURE=NaN"},
			want: []string{"model.temperature: must be between 0 and 2, got NaN"}},
		{name: "bad OPENAI_BASE_URL", environ: []string{"OPENAI_BASE_URL=localhost:11434"},
			want: []string{"OPENAI_BASE_URL: model.base_url: must be an absolute http(s) URL"}},
		{name: "journey unknown field", yaml: "journey:\n  stages:\n    - name: a\n      colour: red\n",
			want: []string{"config.yaml: journey:", "field colour not found"}},
		{name: "journey unknown stage in path",
			yaml: "journey:\n  stages:\n    - name: a\n      description: A.\n  paths:\n    - name: p\n      stages: [a, purchse]\n",
			want: []string{"journey:", `unknown stage "purchse"`}},
		{name: "journey duplicate stage",
			yaml: "journey:\n  stages:\n    - name: a\n      description: A.\n    - name: a\n      description: B.\n",
			want: []string{"journey:", "duplicate", `"a"`}},
		{name: "journey rule on unknown field",
			yaml: "journey:\n  stages:\n    - name: a\n      description: A.\n      enter_on:\n        rules:\n" +
				"          - event: e\n            count: 1\n            within: 1d\n            where:\n" +
				"              - field: colour\n                equals: red\n",
			want: []string{"journey:", "colour"}},
		{name: "journey not a section", yaml: "journey: 3\n", want: []string{"journey:"}},
		{name: "journey variable", environ: []string{`JOURNEYBOT_JOURNEY={"stages": [{"name": "A"}]}`},
			want: []string{"JOURNEYBOT_JOURNEY: journey:"}},
		{name: "tool without its secret", yaml: "tools:\n  - name: t\n    description: T.\n    parameters: {type: object}\n" +
			"    url: https://x.example/{customer.id}\n    auth_header: Authorization\n    auth_env: T_TOKEN\n",
			want: []string{`tool "t": its auth_env variable T_TOKEN is not set`}},
		{name: "tool with a bad url", yaml: "tools:\n  - name: t\n    description: T.\n    parameters: {type: object}\n    url: ftp://x\n",
			want: []string{"tools:", `tool "t"`}},
		{name: "token hash", yaml: "api:\n  tokens:\n    - name: crm\n      hash: abc\n      scopes: [events:write]\n",
			want: []string{"api.tokens:", "crm"}},
		{name: "redaction rule", yaml: "redaction:\n  rules:\n    - name: x\n      pattern: '(['\n", want: []string{"redaction:", "x"}},
		{name: "national id", yaml: "redaction:\n  national_ids: [fr_insee]\n", want: []string{"redaction:", "fr_insee"}},
		{name: "bool", yaml: "redaction:\n  cards: maybe\n", want: []string{"redaction.cards: must be true or false"}},
		{name: "demo with a real secret", yaml: "demo:\n  enabled: true\n", environ: []string{"JOURNEYBOT_WEBCHAT_IDENTITY_SECRET=s3cret-0123456789"},
			want: []string{"demo.enabled: must be false when webchat.identity_secret is set"}},
		{name: "sms without credentials", yaml: "sms:\n  enabled: true\n",
			want: []string{"sms.account_sid: required", "sms.auth_token: required"}},
		{name: "slack without tokens", yaml: "slack:\n  enabled: true\n",
			want: []string{"slack.bot_token: required", "slack.signing_secret: required in mode events_api"}},
		{name: "slack mode", yaml: "slack:\n  mode: rtm\n", want: []string{`slack.mode: must be one of events_api, socket_mode`}},
		{name: "fact key", yaml: "memory:\n  fact_keys: [\"Model Number\"]\n", want: []string{"memory.fact_keys: item 1"}},
		{name: "phone region", yaml: "identity:\n  phone_region: usa\n", want: []string{"identity.phone_region"}},
		{name: "handoff rule", yaml: "handoff:\n  rules:\n    - name: x\n      stage: nirvana\n",
			want: []string{"handoff: handoff rule \"x\": stage \"nirvana\" is not a stage of the journey map"}},
		{name: "handoff team hours", yaml: "handoff:\n  teams:\n    - name: t\n      hours: [\"Someday 9-5\"]\n      fallback: bot\n",
			want: []string{"handoff:", "Someday"}},
		{name: "handoff unknown key", yaml: "handoff:\n  teams:\n    - name: t\n      fallback: bot\n      captain: me\n",
			want: []string{"captain"}},
		{name: "canned reply", yaml: "handoff:\n  canned_replies:\n    - title: x\n", want: []string{"handoff.canned_replies[0]: needs a title and a text"}},
		{name: "session ttl", yaml: "console:\n  session_ttl: 1s\n", want: []string{"console.session_ttl"}},
		{name: "every problem at once", yaml: "bot:\n  turn_deadline: soon\nlog:\n  level: loud\n",
			environ: []string{"JOURNEYBOT_NOPE=1"},
			want:    []string{"bot.turn_deadline", "log.level", "JOURNEYBOT_NOPE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = filepath.Join(t.TempDir(), "config.yaml")
				if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadConfig(path, tt.environ)
			if err == nil {
				t.Fatalf("LoadConfig succeeded, want an error; got config:\n%s", got)
			}
			if diff := cmp.Diff(Config{}, got); diff != "" {
				t.Errorf("LoadConfig returned a config with its error (-want +got):\n%s", diff)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigRedactsAPIKey(t *testing.T) {
	const key = "sk-very-secret-0123456789"
	cfg, err := LoadConfig("", []string{"OPENAI_API_KEY=" + key})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ModelEnabled() || string(cfg.Model.APIKey) != key {
		t.Fatalf("ModelEnabled() = %v, key = %q; want true and the key itself", cfg.ModelEnabled(), string(cfg.Model.APIKey))
	}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{cfg, &cfg, cfg.Model, cfg.Model.APIKey} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	outputs = append(outputs, cfg.String())
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("text", "config", cfg, "model", cfg.Model, "key", cfg.Model.APIKey)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("json", "config", cfg, "model", cfg.Model, "key", cfg.Model.APIKey)
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		if strings.Contains(out, key) || strings.Contains(out, key[3:12]) {
			t.Errorf("output shows the API key: %s", out)
		}
	}
	if !strings.Contains(cfg.String(), `model.api_key = "[redacted]"`+"\n") {
		t.Errorf("String() does not mark the key as set:\n%s", cfg)
	}
	if got := DefaultConfig().String(); !strings.Contains(got, `model.api_key = ""`+"\n") {
		t.Errorf("String() of an unset key should show it empty:\n%s", got)
	}
}

func TestConfigStringListsEveryKey(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(DefaultConfig().String(), "\n"), "\n")
	var got []string
	for _, l := range lines {
		key, _, _ := strings.Cut(l, " = ")
		got = append(got, key)
	}
	var want []string
	for _, f := range configFields() {
		want = append(want, f.key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("String() keys = %q, want %q", got, want)
	}
	if !slices.Contains(lines, "bot.turn_deadline = 20s") {
		t.Errorf("String() lacks bot.turn_deadline = 20s:\n%s", DefaultConfig())
	}
}
