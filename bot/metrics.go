package bot

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// Metrics are the engine's Prometheus metrics. A nil *Metrics records nothing. Labels never carry customer or
// conversation ids.
type Metrics struct {
	turnSeconds  *prometheus.HistogramVec
	modelSeconds *prometheus.HistogramVec
	tokens       *prometheus.CounterVec
	messages     *prometheus.CounterVec
	fallbacks    *prometheus.CounterVec
	stages       *prometheus.CounterVec
	merges       *prometheus.CounterVec
	handoffs     *prometheus.CounterVec
	queueDepth   *prometheus.GaugeVec
	queueWait    *prometheus.HistogramVec
	missed       prometheus.Counter
	ratings      *prometheus.CounterVec
}

// NewMetrics creates the engine's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		turnSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "journeybot_turn_duration_seconds",
			Help:    "Time from the start of a bot turn to its stored reply, by reply source (model, offline, fallback).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 4, 8, 15, 30},
		}, []string{"source"}),
		modelSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "journeybot_model_call_duration_seconds",
			Help:    "Duration of one model call, by outcome (ok, error, timeout).",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 4, 8, 15, 30},
		}, []string{"outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_model_tokens_total",
			Help: "Tokens used by model calls, by kind (prompt, completion).",
		}, []string{"kind"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_messages_total",
			Help: "Messages stored, by channel and author.",
		}, []string{"channel", "author"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_model_fallbacks_total",
			Help: "Turns answered by the offline responder because the model failed, by reason (timeout, unavailable, busy, other).",
		}, []string{"reason"}),
		stages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_stage_changes_total",
			Help: "Customers moved into a journey stage by the journey map's rules, by stage.",
		}, []string{"stage"}),
		merges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_customer_merges_total",
			Help: "Customers found to be one person where verified identities met, by outcome (merged, refused).",
		}, []string{"outcome"}),
	}
	m.handoffs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "journeybot_handoffs_total",
		Help: "Conversations handed to people, by trigger (customer_request, model, agent, rule:<name>) and the customer's journey stage.",
	}, []string{"trigger", "stage"})
	m.queueDepth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "journeybot_queue_depth",
		Help: "Conversations waiting in the queue for an agent, by team (\"\" for no team), as the dispatcher last counted.",
	}, []string{"team"})
	m.queueWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "journeybot_queue_wait_seconds",
		Help:    "How long conversations waited in the queue, by team and how the wait ended (taken, assigned, fallback, closed).",
		Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 86400},
	}, []string{"team", "outcome"})
	m.missed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "journeybot_updates_missed_total",
		Help: "Conversation updates a slow subscriber (a console page, Slack agent threads) missed.",
	})
	m.ratings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "journeybot_ratings_total",
		Help: "Customers' ratings of closed conversations, by channel and rating (1 to 5).",
	}, []string{"channel", "rating"})
	reg.MustRegister(m.turnSeconds, m.modelSeconds, m.tokens, m.messages, m.fallbacks, m.stages, m.merges,
		m.handoffs, m.queueDepth, m.queueWait, m.missed, m.ratings)
	return m
}

func (m *Metrics) handoff(trigger, stage string) {
	if m != nil {
		m.handoffs.WithLabelValues(trigger, stage).Inc()
	}
}

func (m *Metrics) queueWaited(team, outcome string, d time.Duration) {
	if m != nil {
		m.queueWait.WithLabelValues(team, outcome).Observe(d.Seconds())
	}
}

func (m *Metrics) setQueueDepth(depth map[string]int) {
	if m != nil {
		for team, n := range depth {
			m.queueDepth.WithLabelValues(team).Set(float64(n))
		}
	}
}

func (m *Metrics) rating(channel string, n int) {
	if m != nil {
		m.ratings.WithLabelValues(channel, strconv.Itoa(n)).Inc()
	}
}

func (m *Metrics) updatesMissed(n int) {
	if m != nil {
		m.missed.Add(float64(n))
	}
}

func (m *Metrics) stageChange(stage string) {
	if m != nil {
		m.stages.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) identify(res journeystate.IdentifyResult) {
	if m != nil {
		m.merges.WithLabelValues("merged").Add(float64(len(res.Merges)))
		m.merges.WithLabelValues("refused").Add(float64(len(res.Refused)))
	}
}

func (m *Metrics) turn(source string, d time.Duration) {
	if m != nil {
		m.turnSeconds.WithLabelValues(source).Observe(d.Seconds())
	}
}

func (m *Metrics) modelCall(d time.Duration, u llm.Usage, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = errorReason(err)
	}
	m.modelSeconds.WithLabelValues(outcome).Observe(d.Seconds())
	m.tokens.WithLabelValues("prompt").Add(float64(u.PromptTokens))
	m.tokens.WithLabelValues("completion").Add(float64(u.CompletionTokens))
}

func (m *Metrics) message(channel string, author journeystate.Actor) {
	if m != nil {
		m.messages.WithLabelValues(channel, string(author)).Inc()
	}
}

func (m *Metrics) fallback(err error) {
	if m != nil {
		m.fallbacks.WithLabelValues(errorReason(err)).Inc()
	}
}

func errorReason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, llm.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, errBusy):
		return "busy"
	default:
		return "other"
	}
}
