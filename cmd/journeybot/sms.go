package main

// The SMS channel's configuration and wiring; serve.go calls newSMSChannel.

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeybot/journeybot/channels/sms"
)

// SMSConfig is the Twilio SMS channel (the "sms" key of config.yaml).
type SMSConfig struct {
	// Enabled turns the channel on: POST /sms/twilio and /sms/twilio/status are served and replies sent.
	Enabled bool `koanf:"enabled"`
	// AccountSID and AuthToken are the Twilio account's (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN); the token also
	// checks webhook signatures.
	AccountSID string `koanf:"account_sid"`
	AuthToken  Secret `koanf:"auth_token"`
	// From is the number replies go out from when a conversation names none (E.164); replies to a customer's
	// message go out from the number they wrote to.
	From string `koanf:"from"`
	// APIBaseURL is Twilio's REST API; a test points it at a fake.
	APIBaseURL string `koanf:"api_base_url"`
	// HelpText answers HELP and INFO; "" leaves them to Twilio's own opt-out handling.
	HelpText string `koanf:"help_text"`
	// MaxSegments is how many SMS segments one outgoing message may take; MaxParts how many messages one reply may
	// take.
	MaxSegments int `koanf:"max_segments"`
	MaxParts    int `koanf:"max_parts"`
}

// defaultSMSConfig is the sms section's defaults: off.
func defaultSMSConfig() SMSConfig {
	return SMSConfig{
		APIBaseURL:  sms.DefaultAPIBaseURL,
		HelpText:    "Reply STOP to stop messages, START to resume. Msg & data rates may apply.",
		MaxSegments: 4,
		MaxParts:    5,
	}
}

// validateSMS returns what is wrong with an enabled sms section, each error naming its key; nothing when disabled.
func validateSMS(c SMSConfig, publicURL string) []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if c.AccountSID == "" {
		errs = append(errs, errors.New("sms.account_sid: required when sms.enabled (or set TWILIO_ACCOUNT_SID)"))
	}
	if c.AuthToken == "" {
		errs = append(errs, errors.New("sms.auth_token: required when sms.enabled (or set TWILIO_AUTH_TOKEN)"))
	}
	if strings.TrimSpace(publicURL) == "" {
		errs = append(errs, errors.New("server.public_url: required when sms.enabled: Twilio signs webhooks with the URL it calls"))
	}
	if c.MaxSegments < 1 || c.MaxSegments > 10 {
		errs = append(errs, fmt.Errorf("sms.max_segments: must be between 1 and 10, got %d", c.MaxSegments))
	}
	if c.MaxParts < 1 || c.MaxParts > 10 {
		errs = append(errs, fmt.Errorf("sms.max_parts: must be between 1 and 10, got %d", c.MaxParts))
	}
	return errs
}

// newSMSChannel returns the SMS channel for c, or nil when it is disabled. The caller registers it with the engine
// and its routes on the mux.
func newSMSChannel(c SMSConfig, publicURL string, engine sms.Engine, reg prometheus.Registerer, log *slog.Logger) (*sms.Channel, error) {
	if !c.Enabled {
		return nil, nil
	}
	ch, err := sms.New(engine, sms.Options{
		AccountSID:  c.AccountSID,
		AuthToken:   string(c.AuthToken),
		PublicURL:   publicURL,
		From:        c.From,
		APIBaseURL:  c.APIBaseURL,
		HelpText:    c.HelpText,
		MaxSegments: c.MaxSegments,
		MaxParts:    c.MaxParts,
		Logger:      log,
		Registerer:  reg,
	})
	if err != nil {
		return nil, fmt.Errorf("sms: %w", err)
	}
	return ch, nil
}
