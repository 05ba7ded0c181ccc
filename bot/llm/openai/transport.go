package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// maxRetryAfterNoDeadline is the longest Retry-After honoured for a call whose context has no deadline; a longer one
// gives up at once, so that no call sleeps without bound.
const maxRetryAfterNoDeadline = time.Minute

// maxStreamBytes bounds a raw response body, stream or error.
const maxStreamBytes = 8 << 20

// maxIdleConnsPerHost keeps connections to the one model server warm under load (go-cleanhttp's default is
// GOMAXPROCS+1, which makes a busy bot redial on most calls).
const maxIdleConnsPerHost = 256

// errBodyTooLarge is a response body longer than maxStreamBytes.
var errBodyTooLarge = fmt.Errorf("response body longer than %d bytes", maxStreamBytes)

// newHTTPClient returns the client go-openai calls through: retrying 429s, 5xx (but 501) and network errors with
// exponential backoff or the server's Retry-After, bounded in the bytes it reads, and without http.Client.Timeout,
// which would cut long streams; every call's own context bounds it instead.
func newHTTPClient(cfg Config, log *slog.Logger) *http.Client {
	transport := cleanhttp.DefaultPooledTransport()
	transport.MaxIdleConnsPerHost = maxIdleConnsPerHost
	rc := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: limitTransport{next: transport, limit: maxStreamBytes}},
		Logger:       nil, // its messages carry no secrets but are noise; retries are logged by the hook below
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   retryPolicy(log, time.Now),
		Backoff:      backoff(time.Now),
		ErrorHandler: giveUp,
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, retry int) {
			if retry > 0 {
				log.Warn("retrying model call", "attempt", retry+1)
			}
		},
	}
	return rc.StandardClient()
}

// retryPolicy is retryablehttp's default policy (no retry once ctx has ended; retry network errors, 429 and 5xx but
// 501), except that a Retry-After the call cannot wait for (past ctx's deadline, or over a minute without one)
// stops at once, handing the error response to go-openai.
func retryPolicy(log *slog.Logger, now func() time.Time) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retry, checkErr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		if !retry || resp == nil {
			return retry, checkErr
		}
		wait, ok := retryAfter(resp.Header, now())
		if !ok {
			return true, nil
		}
		limit := maxRetryAfterNoDeadline
		if deadline, has := ctx.Deadline(); has {
			limit = deadline.Sub(now())
		}
		if wait > limit {
			log.Warn("model call not retried: Retry-After exceeds the time left", "status", resp.StatusCode,
				"retry_after", wait, "time_left", limit)
			return false, nil
		}
		return true, nil
	}
}

// backoff waits what the server's Retry-After asks, whatever the status, and otherwise backs off exponentially
// between lo and hi.
func backoff(now func() time.Time) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil {
			if wait, ok := retryAfter(resp.Header, now()); ok {
				return wait
			}
		}
		return retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
	}
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date. A date in the past means no wait.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// giveUp runs when retryablehttp stops retrying with an error. A last response is passed on unread, so that
// go-openai turns its body into an *APIError with the status and the server's message.
func giveUp(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	if err == nil {
		err = errors.New("no response")
	}
	return nil, fmt.Errorf("giving up after %d attempt(s): %w", attempts, err)
}

// limitTransport makes each response body fail once it passes limit bytes.
type limitTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.limit}
	}
	return resp, err
}

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
