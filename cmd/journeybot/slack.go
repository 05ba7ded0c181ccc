package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels/slack"
)

// SlackOptions is what startSlack needs from the configuration (the slack: section, with the credentials from
// SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_APP_TOKEN).
type SlackOptions struct {
	Enabled bool
	// Mode is "events_api" (POST /slack/events, needs the signing secret and a public URL) or "socket_mode"
	// (needs the app-level token; no public URL).
	Mode                              string
	BotToken, SigningSecret, AppToken string
	APIURL                            string // "" is Slack's own
	UpdateInterval                    time.Duration
	MaxBodyBytes                      int64
	UserCacheSize                     int
	UserCacheTTL                      time.Duration
	// AgentChannels (team → channel id) and AgentChannel (the rest) are where hand-offs are posted as agent
	// threads; none: no Slack agent threads.
	AgentChannels map[string]string
	AgentChannel  string
	Links         slack.Links
}

// startSlack builds the Slack channel, registers it with the engine, and either adds POST /slack/events to mux
// (events_api) or starts Socket Mode on a goroutine (socket_mode) that runs until ctx ends; stop waits for it. With
// Enabled false it does nothing and returns a nil adapter and a stop that does nothing. It returns an error for an
// unknown mode, missing credentials, or a bot token Slack refuses (auth.test).
func startSlack(ctx context.Context, o SlackOptions, engine *bot.Engine, mux *http.ServeMux, reg prometheus.Registerer,
	logger *slog.Logger) (a *slack.Adapter, stop func(), err error) {
	if !o.Enabled {
		return nil, func() {}, nil
	}
	switch o.Mode {
	case "events_api":
		if o.SigningSecret == "" {
			return nil, nil, fmt.Errorf("slack: mode events_api needs SLACK_SIGNING_SECRET")
		}
	case "socket_mode":
		if o.AppToken == "" {
			return nil, nil, fmt.Errorf("slack: mode socket_mode needs SLACK_APP_TOKEN (an xapp- token with connections:write)")
		}
	default:
		return nil, nil, fmt.Errorf("slack.mode: %q is neither events_api nor socket_mode", o.Mode)
	}
	if o.BotToken == "" {
		return nil, nil, fmt.Errorf("slack: SLACK_BOT_TOKEN is required")
	}
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	a, err = slack.New(actx, engine, slack.Options{
		BotToken: o.BotToken, SigningSecret: o.SigningSecret, AppToken: o.AppToken, APIURL: o.APIURL,
		UpdateInterval: o.UpdateInterval, MaxBodyBytes: o.MaxBodyBytes,
		UserCacheSize: o.UserCacheSize, UserCacheTTL: o.UserCacheTTL,
		AgentChannels: o.AgentChannels, AgentChannel: o.AgentChannel, Desk: engine, Links: o.Links,
		Logger: logger, Registerer: reg,
	})
	if err != nil {
		return nil, nil, err
	}
	engine.Register(a)
	sctx, scancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.RunAgentThreads(sctx); err != nil {
			logger.Error("slack: agent threads stopped", "err", err)
		}
	}()
	stop = func() { scancel(); wg.Wait() }
	if o.Mode == "events_api" {
		a.Routes(mux)
		logger.Info("slack: Events API at POST /slack/events, buttons at POST /slack/interactive", "bot_user", a.BotUserID())
		return a, stop, nil
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.RunSocketMode(sctx); err != nil {
			logger.Error("slack: socket mode stopped", "err", err)
		}
	}()
	logger.Info("slack: socket mode", "bot_user", a.BotUserID())
	return a, stop, nil
}
