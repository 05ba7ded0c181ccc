package webchat

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hub's Prometheus collectors. Labels take values from small fixed sets only: never a visitor,
// conversation or message id.
type metrics struct {
	connections prometheus.Gauge
	frames      *prometheus.CounterVec // direction (in, out) × type
	dropped     *prometheus.CounterVec // reason (slow)
	// deltasMerged counts deltas appended to the delta queued before them: frames_total{direction="out"} less
	// this is the number of frames written.
	deltasMerged prometheus.Counter
}

// newMetrics makes the collectors and registers them with reg when it is not nil. A collector that reg already has
// (a second Hub on one registry) is shared; any other registration error is logged and the collector kept
// unregistered, since metrics must not stop the chat.
func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "journeybot_webchat_connections",
			Help: "Open web chat WebSocket connections.",
		}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_webchat_frames_total",
			Help: "Web chat frames by direction (in, out) and frame type (invalid: an incoming frame that was refused). " +
				"Outgoing deltas merged on a socket's queue are counted here and in journeybot_webchat_deltas_merged_total.",
		}, []string{"direction", "type"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeybot_webchat_dropped_connections_total",
			Help: "Web chat connections the server closed, by reason (slow: the send queue was full).",
		}, []string{"reason"}),
		deltasMerged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "journeybot_webchat_deltas_merged_total",
			Help: "Outgoing delta frames appended to the delta of the same reply queued before them, because the " +
				"socket's writer was behind: they cost no frame and no write of their own.",
		}),
	}
	if reg == nil {
		return m
	}
	m.connections = register(reg, log, m.connections)
	m.frames = register(reg, log, m.frames)
	m.dropped = register(reg, log, m.dropped)
	m.deltasMerged = register(reg, log, m.deltasMerged)
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
	log.Warn("web chat metrics not registered", "err", err)
	return c
}

func (m *metrics) frameIn(typ string)  { m.frames.WithLabelValues("in", typ).Inc() }
func (m *metrics) frameOut(typ string) { m.frames.WithLabelValues("out", typ).Inc() }
