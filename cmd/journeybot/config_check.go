package main

// Checking configuration values: every refusal names the key and the reason.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeybot/journeybot/api"
	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/bot/redact"
)

// validate checks the values that their types alone do not: ranges, choices, URLs and addresses. Each error names the
// key and, through origin, where its value came from.
func (c Config) validate(origin map[string]string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		err := fmt.Errorf("%s: "+format, append([]any{key}, args...)...)
		if from, ok := origin[key]; ok {
			err = fmt.Errorf("%s: %w", from, err)
		}
		errs = append(errs, err)
	}
	oneOf := func(key, got string, choices ...string) {
		if !slices.Contains(choices, got) {
			bad(key, "must be one of %s, got %q", strings.Join(choices, ", "), got)
		}
	}
	between := func(key string, got, lo, hi int) {
		if got < lo || got > hi {
			bad(key, "must be between %d and %d, got %d", lo, hi, got)
		}
	}
	within := func(key string, got, lo, hi time.Duration) {
		if got < lo || got > hi {
			bad(key, "must be between %s and %s, got %s", lo, hi, got)
		}
	}
	notEmpty := func(key, got string) {
		if strings.TrimSpace(got) == "" {
			bad(key, "must not be empty")
		}
	}
	absURL := func(key, got string, example string) {
		if err := checkHTTPURL(got); err != nil {
			bad(key, "must be an absolute http(s) URL like %q, got %q", example, got)
		}
	}

	host, port, err := net.SplitHostPort(c.Server.Addr)
	if err != nil || !validPort(port) || strings.ContainsAny(host, " /") {
		bad("server.addr", `must be host:port like ":8080" or "127.0.0.1:8080", got %q`, c.Server.Addr)
	}
	absURL("server.public_url", c.Server.PublicURL, "https://chat.example.com")
	within("server.shutdown_timeout", c.Server.ShutdownTimeout, time.Second, 10*time.Minute)
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf("log.format", c.Log.Format, "text", "json")
	oneOf("store.driver", c.Store.Driver, "sqlite")
	notEmpty("store.path", c.Store.Path)
	notEmpty("company.name", c.Company.Name)
	if c.Company.Website != "" {
		absURL("company.website", c.Company.Website, "https://www.example.com")
	}
	notEmpty("persona.name", c.Persona.Name)
	absURL("model.base_url", c.Model.BaseURL, "https://api.openai.com/v1")
	notEmpty("model.name", c.Model.Name)
	if t := c.Model.Temperature; !(t >= 0 && t <= 2) { // written so that NaN fails too
		bad("model.temperature", "must be between 0 and 2, got %g", t)
	}
	between("model.max_tokens", c.Model.MaxTokens, 1, 128000)
	between("model.max_retries", c.Model.MaxRetries, 0, 10)
	within("bot.turn_deadline", c.Bot.TurnDeadline, time.Second, 5*time.Minute)
	between("bot.max_tool_steps", c.Bot.MaxToolSteps, 0, 20)
	between("bot.history_messages", c.Bot.HistoryMessages, 0, 200)
	between("bot.knowledge_passages", c.Bot.KnowledgePassages, 0, 20)
	between("bot.max_message_chars", c.Bot.MaxMessageChars, 1, 100000)
	between("bot.max_concurrent_model_calls", c.Bot.MaxConcurrentModelCalls, 0, 100000)
	notEmpty("knowledge.dir", c.Knowledge.Dir)
	if c.Knowledge.BaseURL != "" {
		absURL("knowledge.base_url", c.Knowledge.BaseURL, "https://www.example.com/help/")
	}
	for i, o := range c.Webchat.AllowedOrigins {
		if u, err := url.Parse(o); checkHTTPURL(o) != nil || err != nil || u.Path != "" || u.RawQuery != "" {
			bad("webchat.allowed_origins",
				`item %d must be an origin (scheme and host, no path) like "https://www.example.com", got %q`, i+1, o)
		}
	}
	between("webchat.max_frame_bytes", c.Webchat.MaxFrameBytes, 1024, 1<<20)
	between("webchat.send_queue", c.Webchat.SendQueue, 1, 65536)
	between("bot.timeline_tokens", c.Bot.TimelineTokens, 0, 32000)
	if r := c.Identity.PhoneRegion; r != "" && (len(r) != 2 || strings.ToUpper(r) != r || !isLetters(r)) {
		bad("identity.phone_region", `must be a two-letter ISO 3166 region in capitals like "US", or "", got %q`, r)
	}
	for i, k := range c.Memory.FactKeys {
		if !isLowerSnake(k) || len(k) > 64 {
			bad("memory.fact_keys", "item %d must be a lower_snake name like \"thermostat_model\", got %q", i+1, k)
		}
	}
	if c.Memory.QuietAfter != 0 {
		within("memory.quiet_after", c.Memory.QuietAfter, time.Minute, 30*24*time.Hour)
	}
	between("memory.summary_chars", c.Memory.SummaryChars, 100, 20000)
	if err := api.CheckTokens(c.API.Tokens); err != nil {
		for _, e := range splitJoined(err) {
			bad("api.tokens", "%v", e)
		}
	}
	errs = append(errs, validateSMS(c.SMS, c.Server.PublicURL)...)
	oneOf("slack.mode", c.Slack.Mode, "events_api", "socket_mode")
	if c.Slack.APIURL != "" {
		absURL("slack.api_url", c.Slack.APIURL, "https://slack.com/api/")
	}
	within("slack.update_interval", c.Slack.UpdateInterval, 200*time.Millisecond, time.Minute)
	between("slack.max_body_bytes", c.Slack.MaxBodyBytes, 1024, 16<<20)
	between("slack.user_cache_size", c.Slack.UserCacheSize, 1, 1000000)
	within("slack.user_cache_ttl", c.Slack.UserCacheTTL, time.Minute, 7*24*time.Hour)
	if c.Slack.Enabled {
		if c.Slack.BotToken == "" {
			bad("slack.bot_token", "required when slack.enabled (set SLACK_BOT_TOKEN, an xoxb- token)")
		}
		if c.Slack.Mode == "events_api" && c.Slack.SigningSecret == "" {
			bad("slack.signing_secret", "required in mode events_api (set SLACK_SIGNING_SECRET)")
		}
		if c.Slack.Mode == "socket_mode" && c.Slack.AppToken == "" {
			bad("slack.app_token", "required in mode socket_mode (set SLACK_APP_TOKEN, an xapp- token with connections:write)")
		}
	}
	if c.Demo.Enabled && c.Webchat.IdentitySecret != "" {
		bad("demo.enabled", "must be false when webchat.identity_secret is set: the demo page signs its customer's id "+
			"with that secret for anyone who asks (the demo makes a secret of its own when none is set)")
	}
	if _, err := c.Redactor(); err != nil {
		bad("redaction", "%v", err)
	}
	if err := bot.ValidateHTTPTools(c.Tools); err != nil {
		for _, e := range splitJoined(err) {
			bad("tools", "%v", e)
		}
	}
	if err := c.Journey.Validate(); err != nil {
		for _, e := range splitJoined(err) {
			bad("journey", "%v", e)
		}
	}
	within("handoff.rule_cooldown", c.Handoff.RuleCooldown, 0, 30*24*time.Hour)
	within("handoff.average_handle", c.Handoff.AverageHandle, time.Second, 24*time.Hour)
	within("handoff.dispatch_interval", c.Handoff.DispatchInterval, 100*time.Millisecond, time.Hour)
	if c.Handoff.CloseIdleAfter != 0 {
		within("handoff.close_idle_after", c.Handoff.CloseIdleAfter, time.Minute, 30*24*time.Hour)
	}
	within("console.session_ttl", c.Console.SessionTTL, 5*time.Minute, 30*24*time.Hour)
	if err := c.BotHandoff().Validate(c.Journey); err != nil {
		for _, e := range splitJoined(err) {
			bad("handoff", "%v", e)
		}
	}
	for i, r := range c.Handoff.CannedReplies {
		if strings.TrimSpace(r.Title) == "" || strings.TrimSpace(r.Text) == "" {
			bad(fmt.Sprintf("handoff.canned_replies[%d]", i), "needs a title and a text")
		}
	}
	return errs
}

// BotHandoff returns the engine's hand-off configuration the handoff section describes (without the agent
// directory, which the server adds).
func (c Config) BotHandoff() bot.HandoffConfig {
	h := c.Handoff
	return bot.HandoffConfig{Enabled: h.Enabled, Teams: h.Teams, RequestPhrases: h.RequestPhrases,
		RequestIntent: h.RequestIntent, NegativePhrases: h.NegativePhrases, Rules: h.Rules,
		RuleCooldown: h.RuleCooldown, AverageHandle: h.AverageHandle, AutoAssign: h.AutoAssign,
		CloseIdleAfter: h.CloseIdleAfter}
}

// Redactor returns the redactor the redaction section describes.
func (c Config) Redactor() (*redact.Redactor, error) {
	return redact.New(redact.Options{Cards: c.Redaction.Cards, NationalIDs: c.Redaction.NationalIDs, Rules: c.Redaction.Rules})
}

// splitJoined returns the errors an errors.Join holds, or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// isLowerSnake reports whether s is a lower_snake name: a letter, then letters, digits and single underscores.
func isLowerSnake(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// checkHTTPURL returns an error unless s is an absolute http or https URL with a host and no user info.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.User != nil, u.Fragment != "":
		return errors.New("not an absolute http(s) URL")
	}
	return nil
}

// validPort reports whether p is a port number, 0 to 65535 (0: any free port).
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}
