package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Targets from DESIGN.md's performance table.
const (
	TargetTurnRatioP50   = 1.5   // journeybot/proxy turn latency, p50
	TargetTurnRatioP99   = 2.0   // journeybot/proxy turn latency, p99
	TargetIdleRatio      = 1.1   // journeybot/bare hub memory per idle connection
	TargetPipelineRate   = 5000. // msgs/s through the durable pipeline
	TargetPipelineP99    = 50 * time.Millisecond
	TargetCeilingShare   = 0.70 // of the store's batched-commit ceiling (goal)
	TargetFirstTokenRely = time.Millisecond
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs     int    `json:"nproc"`
	CPU      string `json:"cpu"`
	MemBytes int64  `json:"mem_bytes"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	LoadAvg  string `json:"loadavg"` // 1, 5 and 15 minute load averages when the run started
}

// TurnCompare sets journeybot against the bare proxy and the model at one rate. The Over* figures are differences
// of percentiles (journeybot's p50 minus the other's p50, and so on), not percentiles of differences.
type TurnCompare struct {
	Rate float64 `json:"offered_per_s"`
	// OverProxy*: what journeybot adds beyond a bare reverse proxy to the same mock model.
	OverProxyP50 time.Duration `json:"journeybot_over_proxy_p50_ns"`
	OverProxyP99 time.Duration `json:"journeybot_over_proxy_p99_ns"`
	// ModelMeasured says whether a direct step was run; without one the OverModel figures are unknown (0).
	ModelMeasured bool `json:"model_measured"`
	// OverModel*: what journeybot adds on top of the model's own time as a client sees it (the direct step).
	OverModelP50 time.Duration `json:"journeybot_over_model_p50_ns"`
	OverModelP99 time.Duration `json:"journeybot_over_model_p99_ns"`
	// ProxyOverModelP50 is the floor: what the bare proxy adds on top of the model.
	ProxyOverModelP50 time.Duration `json:"proxy_over_model_p50_ns"`
	RatioP50          float64       `json:"ratio_p50"` // journeybot/proxy total latency
	RatioP99          float64       `json:"ratio_p99"`
	// FirstDeltaExtraP50 is journeybot's first delta minus the proxy's first chunk, p50: an upper bound on the time
	// journeybot takes to relay the first token, since it includes the turn's work before the model call.
	FirstDeltaExtraP50 time.Duration `json:"first_delta_extra_p50_ns"`
	// Pass: both ratios within target and every offered turn answered.
	Pass bool `json:"pass"`
}

// Report is everything one benchmark run measured.
type Report struct {
	Started  time.Time       `json:"started"`
	Command  string          `json:"command"`
	Machine  Machine         `json:"machine"`
	Mock     MockOptions     `json:"mock"`
	Turns    []TurnStep      `json:"turns,omitempty"`
	Compare  []TurnCompare   `json:"turn_compare,omitempty"`
	Idle     []IdleResult    `json:"idle,omitempty"`
	IdleRate float64         `json:"idle_ratio,omitempty"` // journeybot/bare hub bytes per connection
	Pipeline *PipelineResult `json:"pipeline,omitempty"`
	Ceiling  *CeilingResult  `json:"ceiling,omitempty"`
	Errors   []string        `json:"errors,omitempty"`
}

// CompareTurns derives the journeybot-versus-baseline figures from the turn steps, one per rate that has a journeybot
// and a proxy step. Without a direct step the model time is unknown and the Added figures are 0.
func CompareTurns(steps []TurnStep) []TurnCompare {
	by := map[float64]map[string]TurnStep{}
	var rates []float64
	for _, s := range steps {
		if by[s.Rate] == nil {
			by[s.Rate] = map[string]TurnStep{}
			rates = append(rates, s.Rate)
		}
		by[s.Rate][s.Target] = s
	}
	var out []TurnCompare
	for _, rate := range rates {
		jb, ok1 := by[rate][TargetJourneybot]
		px, ok2 := by[rate][TargetProxy]
		if !ok1 || !ok2 || jb.Total.Count == 0 || px.Total.Count == 0 {
			continue
		}
		c := TurnCompare{
			Rate:         rate,
			OverProxyP50: jb.Total.P50 - px.Total.P50,
			OverProxyP99: jb.Total.P99 - px.Total.P99,
			RatioP50:     Ratio(jb.Total.P50, px.Total.P50),
			RatioP99:     Ratio(jb.Total.P99, px.Total.P99),
		}
		if jb.First.Count > 0 && px.First.Count > 0 {
			c.FirstDeltaExtraP50 = jb.First.P50 - px.First.P50
		}
		if dr, ok := by[rate][TargetDirect]; ok && dr.Total.Count > 0 {
			c.ModelMeasured = true
			c.OverModelP50, c.OverModelP99 = jb.Total.P50-dr.Total.P50, jb.Total.P99-dr.Total.P99
			c.ProxyOverModelP50 = px.Total.P50 - dr.Total.P50
		}
		c.Pass = c.RatioP50 <= TargetTurnRatioP50 && c.RatioP99 <= TargetTurnRatioP99 &&
			jb.Tally.OK == jb.Tally.Offered
		out = append(out, c)
	}
	return out
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// WriteTable writes r as plain-text tables.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "journeybot-bench %s\n", r.Started.Format(time.RFC3339))
	fmt.Fprintf(w, "machine: %d CPUs, %s, %.1f GiB, %s %s, load average %s at start\n", r.Machine.CPUs, r.Machine.CPU,
		float64(r.Machine.MemBytes)/(1<<30), r.Machine.Go, r.Machine.OS, r.Machine.LoadAvg)
	fmt.Fprintf(w, "mock model: first token %s, %.0f tokens/s, %d tokens per answer (model time %s)\n",
		r.Mock.FirstToken, r.Mock.TokensPerSec, r.Mock.Tokens, r.Mock.ModelTime().Round(time.Millisecond))
	if len(r.Turns) > 0 {
		r.writeTurns(w)
	}
	if len(r.Idle) > 0 {
		r.writeIdle(w)
	}
	if r.Pipeline != nil {
		r.writePipeline(w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

func (r *Report) writeTurns(w io.Writer) {
	fmt.Fprintf(w, "\nTURN OVERHEAD: open loop, latency in ms from each turn's due time\n")
	fmt.Fprintf(w, "(journeybot: web-chat message → final bot message, first = first delta; proxy/direct: streaming\n")
	fmt.Fprintf(w, "chat completion → [DONE], first = first content chunk)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\toffered/s\tachieved/s\tok\tfail\ttimeout\tdropped\tp50\tp99\tp99.9\tfirst p50\tfirst p99\t")
	for _, s := range r.Turns {
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", s.Target, s.Rate, s.Achieved,
			s.Tally.OK, s.Tally.Failed, s.Tally.TimedOut, s.Tally.Dropped,
			ms(s.Total.P50), ms(s.Total.P99), ms(s.Total.P999), ms(s.First.P50), ms(s.First.P99))
	}
	tw.Flush()
	fmt.Fprintln(w, "(percentiles cover answered requests only; failed and timed-out ones are counted, not timed)")
	if len(r.Compare) == 0 {
		return
	}
	fmt.Fprintf(w, "\njourneybot vs bare reverse proxy (targets: ratio p50 ≤ %.1f, p99 ≤ %.1f, every turn answered)\n",
		TargetTurnRatioP50, TargetTurnRatioP99)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "offered/s\tjb-proxy p50\tjb-proxy p99\tjb-model p50\tjb-model p99\tproxy-model p50\tratio p50\tratio p99\tfirst delta extra p50\tverdict\t")
	for _, c := range r.Compare {
		model := []string{"n/a", "n/a", "n/a"}
		if c.ModelMeasured {
			model = []string{ms(c.OverModelP50), ms(c.OverModelP99), ms(c.ProxyOverModelP50)}
		}
		fmt.Fprintf(tw, "%.0f\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%s\t%s\t\n", c.Rate, ms(c.OverProxyP50),
			ms(c.OverProxyP99), model[0], model[1], model[2], c.RatioP50, c.RatioP99, ms(c.FirstDeltaExtraP50), verdict(c.Pass))
	}
	tw.Flush()
	fmt.Fprintln(w, "(ms; a-b = a's percentile minus b's; model = direct requests to the mock, n/a with -direct=false;")
	fmt.Fprintln(w, " first delta extra = journeybot's first delta minus the proxy's first chunk, p50)")
	for _, s := range r.Turns {
		if s.Err != "" {
			fmt.Fprintf(w, "%s at %.0f/s, first failure: %s\n", s.Target, s.Rate, s.Err)
		}
	}
}

func (r *Report) writeIdle(w io.Writer) {
	fmt.Fprintf(w, "\nIDLE WEB-CHAT CONNECTIONS: RSS of the server process before and after\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\twanted\tconnected\tfailed\tRSS before MiB\tRSS after MiB\tKiB/conn\topen s\t")
	for _, i := range r.Idle {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", i.Server, i.Wanted, i.Connected, i.Failed,
			float64(i.RSSBefore)/(1<<20), float64(i.RSSAfter)/(1<<20), i.PerConn/1024, i.OpenSeconds)
	}
	tw.Flush()
	if r.IdleRate > 0 {
		fmt.Fprintf(w, "memory per connection journeybot/bare-hub: %.2f× (target ≤ %.1f×) %s\n", r.IdleRate,
			TargetIdleRatio, verdict(r.IdleRate <= TargetIdleRatio && r.Idle[0].Failed == 0 && r.Idle[len(r.Idle)-1].Failed == 0))
	}
}

func (r *Report) writePipeline(w io.Writer) {
	p := r.Pipeline
	fmt.Fprintf(w, "\nMESSAGE PIPELINE: customer → committed row → ack, open loop, ms from due time\n(%s)\n", p.Answering)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "customers\toffered/s\tachieved/s\tok\tfail\ttimeout\tdropped\tack p50\tack p99\tack p99.9\tbot replies\t")
	fmt.Fprintf(tw, "%d\t%.0f\t%.1f\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t\n", p.Customers, p.Rate, p.Achieved,
		p.Tally.OK, p.Tally.Failed, p.Tally.TimedOut, p.Tally.Dropped, ms(p.Ack.P50), ms(p.Ack.P99), ms(p.Ack.P999),
		p.BotReplies)
	tw.Flush()
	fmt.Fprintln(w, "(percentiles cover acknowledged messages only; timed-out ones are counted, not timed)")
	pass := p.Achieved >= TargetPipelineRate && p.Ack.P99 < TargetPipelineP99 && p.Tally.OK == p.Tally.Offered
	fmt.Fprintf(w, "target ≥ %.0f msgs/s at p99 < %s: %s\n", TargetPipelineRate, TargetPipelineP99, verdict(pass))
	if c := r.Ceiling; c != nil && c.PerSec > 0 {
		share := p.Achieved / c.PerSec
		fmt.Fprintf(w, "store ceiling (SQLite, one writer, %d messages per transaction, WAL synchronous=FULL): %.0f msgs/s;\n"+
			"pipeline achieved %.0f%% of it (goal ≥ %.0f%%) %s\n", c.Batch, c.PerSec, share*100,
			TargetCeilingShare*100, verdict(share >= TargetCeilingShare))
	}
}

// WriteJSON writes r as one line of JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
