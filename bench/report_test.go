package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func step(target string, rate float64, p50, p99 time.Duration, ok int) TurnStep {
	return TurnStep{
		Target: target, Rate: rate,
		Tally: Tally{Offered: ok, OK: ok},
		Total: Summary{Count: ok, P50: p50, P99: p99},
		First: Summary{Count: ok, P50: p50 / 4, P99: p99 / 4},
	}
}

func TestCompareTurns(t *testing.T) {
	ms := time.Millisecond
	steps := []TurnStep{
		step(TargetJourneybot, 50, 1410*ms, 1450*ms, 100),
		step(TargetProxy, 50, 1401*ms, 1420*ms, 100),
		step(TargetDirect, 50, 1400*ms, 1410*ms, 100),
		step(TargetJourneybot, 1000, 3000*ms, 9000*ms, 1000),
		step(TargetProxy, 1000, 1500*ms, 2000*ms, 1000),
		step(TargetJourneybot, 200, 1500*ms, 1500*ms, 10), // no proxy step: no comparison
	}
	got := CompareTurns(steps)
	want := []TurnCompare{
		{
			Rate: 50, OverProxyP50: 9 * ms, OverProxyP99: 30 * ms,
			ModelMeasured: true, OverModelP50: 10 * ms, OverModelP99: 40 * ms, ProxyOverModelP50: ms,
			RatioP50: 1410.0 / 1401, RatioP99: 1450.0 / 1420, FirstDeltaExtraP50: (1410*ms - 1401*ms) / 4, Pass: true,
		},
		{Rate: 1000, OverProxyP50: 1500 * ms, OverProxyP99: 7000 * ms, RatioP50: 2, RatioP99: 4.5,
			FirstDeltaExtraP50: 375 * ms, Pass: false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CompareTurns mismatch (-want +got):\n%s", diff)
	}
}

func TestCompareTurnsFailsWhenTurnsAreLost(t *testing.T) {
	jb := step(TargetJourneybot, 50, time.Second, time.Second, 90)
	jb.Tally.Offered = 100
	jb.Tally.TimedOut = 10
	got := CompareTurns([]TurnStep{jb, step(TargetProxy, 50, time.Second, time.Second, 100)})
	if len(got) != 1 || got[0].Pass {
		t.Errorf("CompareTurns = %+v, want one failing comparison: 10 turns went unanswered", got)
	}
}

func TestReportOutput(t *testing.T) {
	ms := time.Millisecond
	steps := []TurnStep{
		step(TargetJourneybot, 50, 1410*ms, 1450*ms, 100),
		step(TargetProxy, 50, 1401*ms, 1420*ms, 100),
	}
	rep := &Report{
		Started: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Machine: Machine{CPUs: 2, CPU: "AMD EPYC", MemBytes: 24 << 30, Go: "go1.26.8", OS: "linux/amd64"},
		Mock:    MockOptions{FirstToken: 200 * ms, TokensPerSec: 50, Tokens: 60},
		Turns:   steps,
		Compare: CompareTurns(steps),
		Idle: []IdleResult{
			{Server: "journeybot", Wanted: 10, Connected: 10, RSSBefore: 10 << 20, RSSAfter: 11 << 20, PerConn: 30 << 10},
			{Server: "bare-hub", Wanted: 10, Connected: 10, RSSBefore: 5 << 20, RSSAfter: 6 << 20, PerConn: 25 << 10},
		},
		IdleRate: 1.2,
		Pipeline: &PipelineResult{Customers: 10, Rate: 5000, Achieved: 5100, Tally: Tally{Offered: 100, OK: 100},
			Ack: Summary{Count: 100, P50: 3 * ms, P99: 20 * ms}, Answering: "offline responder"},
		Ceiling: &CeilingResult{Batch: 256, PerSec: 20000},
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	for _, want := range []string{
		"TURN OVERHEAD", "journeybot", "1410.0", "IDLE WEB-CHAT CONNECTIONS", "1.20× (target ≤ 1.1×) FAIL",
		"MESSAGE PIPELINE", "offline responder", "target ≥ 5000 msgs/s at p99 < 50ms: PASS", "26% of it (goal ≥ 70%) FAIL",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var line bytes.Buffer
	if err := rep.WriteJSON(&line); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(line.String(), "\n"); n != 1 {
		t.Errorf("JSON output has %d newlines, want exactly 1 (one line)", n)
	}
	var back Report
	if err := json.Unmarshal(line.Bytes(), &back); err != nil {
		t.Fatalf("JSON line does not decode: %v", err)
	}
	if diff := cmp.Diff(rep, &back); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
}
