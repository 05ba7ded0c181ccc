package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"
)

// call runs one Web API call, method naming it for metrics and errors. When Slack answers 429 it waits the
// Retry-After it asked for and tries again, at most maxRateRetries times and only for waits up to MaxRetryAfter
// and within ctx; it returns the last error otherwise.
func (a *Adapter) call(ctx context.Context, method string, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, apiWait)
		err := fn(cctx)
		cancel()
		a.metrics.call(method, err)
		var limited *slackapi.RateLimitedError
		if !errors.As(err, &limited) || attempt >= maxRateRetries || limited.RetryAfter > a.opts.MaxRetryAfter {
			return err
		}
		a.log.Debug("slack: rate limited", "method", method, "retry_after", limited.RetryAfter)
		t := time.NewTimer(limited.RetryAfter)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (waiting out a rate limit: %w)", err, ctx.Err())
		}
	}
}

// postOnce is post without waiting out a rate limit.
func (a *Adapter) postOnce(ctx context.Context, where threadKey, text string) (string, error) {
	_, ts, err := a.api.PostMessageContext(ctx, where.Channel, postOptions(where, text)...)
	a.metrics.call("chat.postMessage", err)
	return ts, err
}

// updateOnce is update without waiting out a rate limit.
func (a *Adapter) updateOnce(ctx context.Context, channel, ts, text string) error {
	_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, slackapi.MsgOptionText(text, false))
	a.metrics.call("chat.update", err)
	return err
}

func postOptions(where threadKey, text string) []slackapi.MsgOption {
	// The text is escaped already (toMrkdwn); links are not unfurled, so that a reply does not grow previews of
	// pages the model named.
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false), slackapi.MsgOptionDisableLinkUnfurl()}
	if where.ThreadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(where.ThreadTS))
	}
	return opts
}

// post posts text (already mrkdwn) in the thread and returns the new message's ts.
func (a *Adapter) post(ctx context.Context, where threadKey, text string) (string, error) {
	opts := postOptions(where, text)
	var ts string
	err := a.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = a.api.PostMessageContext(ctx, where.Channel, opts...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.postMessage: %w", err)
	}
	return ts, nil
}

// update replaces the text of the message ts in channel.
func (a *Adapter) update(ctx context.Context, channel, ts, text string) error {
	err := a.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, slackapi.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	return nil
}
