package slack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// Routes registers the Events API endpoint, POST /slack/events, and the interactivity endpoint of the hand-off
// buttons, POST /slack/interactive, on mux. The app's Event Subscriptions Request URL is
// https://YOUR-HOST/slack/events, its Interactivity Request URL https://YOUR-HOST/slack/interactive. It panics when Options.SigningSecret is empty: serving unsigned events would
// let anyone write as any customer.
func (a *Adapter) Routes(mux *http.ServeMux) {
	if a.opts.SigningSecret == "" {
		panic("slack: Routes needs Options.SigningSecret")
	}
	mux.HandleFunc("POST /slack/events", a.handleEvents)
	mux.HandleFunc("POST /slack/interactive", a.handleInteractive)
}

// verifiedBody reads the body of a request from Slack, at most MaxBodyBytes, and checks its signature; when it
// reports false it has answered the request (413, 400, or 401 for a bad or stale signature).
func (a *Adapter) verifiedBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			a.refuse(w, http.StatusRequestEntityTooLarge, "bad_event", "request body too large")
			return nil, false
		}
		a.refuse(w, http.StatusBadRequest, "bad_event", "cannot read the request body")
		return nil, false
	}
	if err := verify(a.opts.SigningSecret, r.Header, body, a.opts.Now()); err != nil {
		a.log.Warn("slack: refused an unverified request", "path", r.URL.Path, "reason", err, "remote", r.RemoteAddr)
		a.refuse(w, http.StatusUnauthorized, "bad_signature", "invalid request signature")
		return nil, false
	}
	return body, true
}

// handleEvents takes one Events API delivery: limit the body, verify the signature, parse, act, answer. Slack
// waits 3 s for the answer; the engine stores the message and starts the turn on a goroutine of its own, so the
// answer follows the commit by milliseconds. Statuses: 200 taken (or ignored, or a duplicate: Slack's retries are
// harmless); 400 not an event; 401 bad or stale signature (nothing is read further); 413 too large; 503 not taken,
// Slack should retry.
func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verifiedBody(w, r)
	if !ok {
		return
	}
	ev, err := parseEvent(body)
	if err != nil {
		a.log.Warn("slack: refused a malformed event", "err", err)
		a.refuse(w, http.StatusBadRequest, "bad_event", "malformed event")
		return
	}
	if ev.Kind == kindChallenge {
		a.metrics.event("http", "challenge")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, ev.Challenge)
		return
	}
	// A retry's number is only logged: the message's own key makes a retry harmless, whatever its number.
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		retry, _ := strconv.Atoi(n)
		a.log.Debug("slack: retried delivery", "retry", retry, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	// The client hanging up must not cut a commit in half; the budget keeps the answer within Slack's 3 s.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), ackBudget)
	defer cancel()
	outcome, err := a.handle(ctx, ev)
	a.metrics.event("http", outcome)
	if err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) refuse(w http.ResponseWriter, status int, outcome, msg string) {
	a.metrics.event("http", outcome)
	http.Error(w, msg, status)
}
