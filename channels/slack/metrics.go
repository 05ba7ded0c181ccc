package slack

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	slackapi "github.com/slack-go/slack"
)

// metrics are the channel's Prometheus collectors. Labels take values from small fixed sets only: never a user,
// channel or message id.
type metrics struct {
	events *prometheus.CounterVec // transport (http, socket) × outcome
	calls  *prometheus.CounterVec // method × result (ok, rate_limited, error)
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_slack_events_total",
			Help: "Slack events by transport (http, socket) and outcome (message, duplicate, edit, delete, ignored, " +
				"challenge, bad_signature, bad_event, refused, error, action, agent_reply).",
		}, []string{"transport", "outcome"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_slack_api_calls_total",
			Help: "Slack Web API calls by method and result (ok, rate_limited, error).",
		}, []string{"method", "result"}),
	}
	if reg != nil {
		m.events = register(reg, log, m.events)
		m.calls = register(reg, log, m.calls)
	}
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
	log.Warn("slack metrics not registered", "err", err)
	return c
}

func (m *metrics) event(transport, outcome string) {
	m.events.WithLabelValues(transport, outcome).Inc()
}

func (m *metrics) call(method string, err error) {
	var limited *slackapi.RateLimitedError
	result := "ok"
	switch {
	case errors.As(err, &limited):
		result = "rate_limited"
	case err != nil:
		result = "error"
	}
	m.calls.WithLabelValues(method, result).Inc()
}
