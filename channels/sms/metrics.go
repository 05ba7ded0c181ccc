package sms

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the channel's Prometheus collectors. Labels take values from small fixed sets only: never a number,
// a sid or a message.
type metrics struct {
	segments *prometheus.CounterVec // encoding (gsm7, ucs2)
	sent     prometheus.Counter
	failed   *prometheus.CounterVec // reason (opted_out, api, no_sender)
	webhooks *prometheus.CounterVec // kind (message, status) × result
}

// newMetrics makes the collectors and registers them with reg when it is not nil. A collector reg already has is
// shared; any other registration error is logged: metrics must not stop the channel.
func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		segments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_sms_segments_total",
			Help: "SMS segments sent (what carriers bill), by encoding: gsm7 (160/153 characters a segment) or " +
				"ucs2 (70/67).",
		}, []string{"encoding"}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "journeybot_sms_messages_sent_total",
			Help: "SMS messages Twilio accepted for sending (a long reply is several).",
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_sms_messages_failed_total",
			Help: "SMS messages not sent, by reason: opted_out (the number opted out), api (Twilio refused or " +
				"could not be reached), no_sender (no number to send from).",
		}, []string{"reason"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_sms_webhooks_total",
			Help: "Twilio webhooks by kind (message, status) and result (ok, duplicate, forbidden, invalid, " +
				"too_large, error, unavailable).",
		}, []string{"kind", "result"}),
	}
	if reg == nil {
		return m
	}
	m.segments = register(reg, log, m.segments)
	m.sent = register(reg, log, m.sent)
	m.failed = register(reg, log, m.failed)
	m.webhooks = register(reg, log, m.webhooks)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, log *slog.Logger, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	log.Warn("sms metrics not registered", "err", err)
	return c
}
