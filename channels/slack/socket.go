package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode receives events and button clicks (interactive envelopes, acknowledged at once and worked as
// POST /slack/interactive works them) over Socket Mode until ctx ends, reconnecting as Slack asks; it needs
// Options.AppToken. Every events_api envelope goes through the same handling as an Events API request and is
// acknowledged once handled, unless Slack should deliver it again (the store failed, or the engine is shutting
// down: Slack redelivers an envelope that is not acknowledged). It returns nil when ctx ends, and an error when the
// app token is missing or refused.
func (a *Adapter) RunSocketMode(ctx context.Context) error {
	if a.opts.AppToken == "" {
		return errors.New("slack socket mode: an app-level token is required")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := socketmode.New(a.api,
		socketmode.OptionLog(slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)))
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()

	var handlers sync.WaitGroup
	defer handlers.Wait()
	slots := make(chan struct{}, maxSocketHandlers)
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case evt := <-client.Events:
			switch evt.Type {
			case socketmode.EventTypeEventsAPI:
				req := evt.Request
				if req == nil {
					continue
				}
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					continue
				}
				handlers.Go(func() {
					defer func() { <-slots }()
					a.handleEnvelope(ctx, client, *req)
				})
			case socketmode.EventTypeInteractive:
				// A button click: acknowledged at once (Slack shows the clicker an error after 3 s, and does not
				// deliver a click again), worked after.
				req := evt.Request
				if req == nil {
					continue
				}
				a.ack(ctx, client, *req)
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					continue
				}
				handlers.Go(func() {
					defer func() { <-slots }()
					a.handleInteractiveEnvelope(ctx, *req)
				})
			case socketmode.EventTypeConnected:
				a.log.Info("slack: socket mode connected")
			case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
				a.log.Warn("slack: socket mode", "event", string(evt.Type), "detail", evt.Data)
			case socketmode.EventTypeErrorBadMessage:
				// slack-go's own event parser refused the frame (a block or file shape it does not know); ours reads
				// only what it needs, so take the raw envelope back and handle it as any other.
				req, ok := badMessageRequest(evt.Data)
				if !ok {
					a.metrics.event("socket", "bad_event")
					a.log.Warn("slack: socket mode message that is not an events_api envelope")
					continue
				}
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					continue
				}
				handlers.Go(func() {
					defer func() { <-slots }()
					a.handleEnvelope(ctx, client, req)
				})
			case socketmode.EventTypeInvalidAuth:
				return errors.New("slack socket mode: the app-level token was refused (invalid_auth)")
			}
		}
	}
}

// handleEnvelope handles one events_api envelope and acknowledges it unless Slack should deliver it again.
func (a *Adapter) handleEnvelope(ctx context.Context, client *socketmode.Client, req socketmode.Request) {
	ev, err := parseEvent(req.Payload)
	if err != nil {
		a.metrics.event("socket", "bad_event")
		a.log.Warn("slack: refused a malformed event", "err", err)
		a.ack(ctx, client, req) // redelivering it would not make it better
		return
	}
	hctx, cancel := context.WithTimeout(ctx, ackBudget)
	defer cancel()
	outcome, err := a.handle(hctx, ev)
	a.metrics.event("socket", outcome)
	if err != nil {
		return
	}
	a.ack(ctx, client, req)
}

func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, req socketmode.Request) {
	if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		a.log.Warn("slack: socket mode ack", "err", err)
	}
}

// badMessageRequest returns the events_api envelope inside a frame slack-go could not parse, ok false for anything
// else.
func badMessageRequest(data any) (socketmode.Request, bool) {
	var raw json.RawMessage
	switch d := data.(type) {
	case *socketmode.ErrorBadMessage:
		raw = d.Message
	case socketmode.ErrorBadMessage:
		raw = d.Message
	default:
		return socketmode.Request{}, false
	}
	var req socketmode.Request
	if err := json.Unmarshal(raw, &req); err != nil || req.Type != socketmode.RequestTypeEventsAPI || req.EnvelopeID == "" {
		return socketmode.Request{}, false
	}
	return req, true
}
