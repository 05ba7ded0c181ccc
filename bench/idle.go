package bench

import (
	"context"
	"fmt"
	"time"
)

// Settling of RSS after connections open.
const (
	rssSettleEvery = 250 * time.Millisecond
	rssSettleMax   = 10 * time.Second
)

// IdleResult is the memory that idle web-chat connections cost one server process.
type IdleResult struct {
	Server      string  `json:"server"` // "journeybot" or "bare-hub"
	Wanted      int     `json:"wanted"`
	Connected   int     `json:"connected"`
	Failed      int     `json:"failed"`
	RSSBefore   int64   `json:"rss_before_bytes"`
	RSSAfter    int64   `json:"rss_after_bytes"`
	PerConn     float64 `json:"bytes_per_conn"`
	OpenSeconds float64 `json:"open_seconds"`
	Err         string  `json:"error,omitempty"`
}

// MeasureIdle opens n idle connections to the server whose RSS rss reports (each says hello, gets its answer, then
// stays silent, answering pings), measures the RSS before and after (once it has settled) and closes them again.
func MeasureIdle(ctx context.Context, name string, rss func() (int64, error), d ChatDial, runID string, n, parallel int) IdleResult {
	r := IdleResult{Server: name, Wanted: n}
	before, err := SettledRSS(ctx, rss)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.RSSBefore = before
	start := time.Now()
	clients, failed, dialErr := DialMany(ctx, n, parallel, func(ctx context.Context, i int) (*ChatClient, error) {
		dd := d
		dd.VisitorID = fmt.Sprintf("bench-%s-i%06d", runID, i)
		return DialChat(ctx, dd, nil)
	})
	r.OpenSeconds = time.Since(start).Seconds()
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	r.Connected, r.Failed = len(clients), failed
	if dialErr != nil {
		r.Err = fmt.Sprintf("%d connections failed, first: %v", failed, dialErr)
	}
	after, err := SettledRSS(ctx, rss)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.RSSAfter = after
	if r.Connected > 0 {
		r.PerConn = float64(after-before) / float64(r.Connected)
	}
	return r
}

// SettledRSS polls rss until two readings in a row differ by less than 1% (or rssSettleMax passes) and returns the
// last reading.
func SettledRSS(ctx context.Context, rss func() (int64, error)) (int64, error) {
	prev, err := rss()
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(rssSettleMax)
	tick := time.NewTicker(rssSettleEvery)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return prev, ctx.Err()
		case <-tick.C:
		}
		cur, err := rss()
		if err != nil {
			return 0, err
		}
		if Settled(prev, cur) {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// Settled reports whether two RSS readings differ by less than 1% of the larger.
func Settled(a, b int64) bool {
	diff := max(a-b, b-a)
	return diff*100 < max(a, b)
}
