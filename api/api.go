// Package api is journeybot's HTTP API for the company's own systems: business events in the Segment Tracking API
// format (POST /api/v1/events, with track, identify, page and screen calls and batches of them), and merge
// management (list a customer's merges, undo one). It also back-fills events from files (Import), with the same
// validation as the API. docs/events-api.md is its reference for callers.
//
// Every request carries an API token from the configuration, which holds only the token's hash; each token has
// scopes. The package must not store anything itself (the Recorder does), must not store part of a batch without
// saying exactly which calls were stored, and must not log a token or the body of a call.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// Recorder is the part of bot.Engine that records business events.
type Recorder interface {
	// Track records a business event; it returns bot.ErrBadReference (wrapped) for a customer reference that names
	// nobody, and store errors wrapped.
	Track(ctx context.Context, ev bot.BusinessEvent) (bot.TrackResult, error)
	// Identify records what the company knows about a customer; errors as Track's.
	Identify(ctx context.Context, t bot.Traits) (journeystate.IdentifyResult, error)
}

var _ Recorder = (*bot.Engine)(nil)

// Merger is the part of bot.Engine that manages customer merges.
type Merger interface {
	// Merges returns the merges the customer took part in, newest first; journeystate.ErrNotFound when there is
	// no such customer.
	Merges(ctx context.Context, customerID string) ([]journeystate.Merge, error)
	// Unmerge undoes a merge and returns both customers; journeystate.ErrNotFound for an unknown merge,
	// journeystate.ErrConflict for one already undone (or that can no longer be undone).
	Unmerge(ctx context.Context, mergeID string, actor journeystate.Actor, cause string) (survivor, restored journeystate.Customer, err error)
}

// storeWait bounds the recording of one request's calls, and one merge call.
const storeWait = 30 * time.Second

// Options configures a Handler. Zero fields take the defaults given.
type Options struct {
	// Tokens are the API tokens accepted. With none, every request is refused with 401.
	Tokens []Token
	// Merges manages merges; nil leaves the merge endpoints out (Routes does not register them).
	Merges Merger
	// PhoneRegion is the region (ISO 3166, "US") of phone numbers written without a country code, as the engine
	// reads them; "" accepts only numbers with one.
	PhoneRegion string
	// Logger gets the causes of failures; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// MaxBodyBytes bounds a request body; default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxCallBytes bounds one call; default DefaultMaxCallBytes.
	MaxCallBytes int
	// MaxBatch is the most calls in a batch; default DefaultMaxBatch.
	MaxBatch int
}

// Handler serves the API. It is safe for concurrent use.
type Handler struct {
	rec    Recorder
	opts   Options
	tokens tokenSet
	log    *slog.Logger
}

// New returns a Handler recording through rec. It returns an error, naming the token, for a token that is not
// valid: a bad name or hash, an unknown scope, a name or hash used twice.
func New(rec Recorder, opts Options) (*Handler, error) {
	tokens, err := newTokenSet(opts.Tokens)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("api: a recorder is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxCallBytes <= 0 {
		opts.MaxCallBytes = DefaultMaxCallBytes
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	return &Handler{rec: rec, opts: opts, tokens: tokens, log: opts.Logger}, nil
}

// Routes registers the API on mux:
//
//	POST /api/v1/events                   one call or {"batch": [calls]}   events:write
//	POST /api/v1/batch                    the same (Segment's path)        events:write
//	POST /api/v1/track, identify, page, screen   one call of that type     events:write
//	GET  /api/v1/customers/{id}/merges    the customer's merges            customers:read
//	POST /api/v1/merges/{id}/undo         undo a merge                     customers:write
//
// The aliases let a Segment library whose host is set to https://HOST/api send to this server unchanged. The merge
// endpoints are registered only when Options.Merges is set.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/events", h.serveEvents(""))
	mux.HandleFunc("POST /api/v1/batch", h.serveEvents(""))
	for _, typ := range []string{typeTrack, typeIdentify, typePage, typeScreen} {
		mux.HandleFunc("POST /api/v1/"+typ, h.serveEvents(typ))
	}
	if h.opts.Merges != nil {
		mux.HandleFunc("GET /api/v1/customers/{id}/merges", h.serveMerges)
		mux.HandleFunc("POST /api/v1/merges/{id}/undo", h.serveUndo)
	}
}

// authorize returns the request's token when it holds scope; otherwise an *apiError: 401, or 403 with the token
// (for the log).
func (h *Handler) authorize(r *http.Request, scope string) (Token, error) {
	t, err := h.tokens.authenticate(r)
	if err != nil {
		return Token{}, errUnauthorized(err)
	}
	if !t.has(scope) {
		return t, &apiError{Status: http.StatusForbidden, Code: codeForbidden,
			Message: fmt.Sprintf("this token lacks the %s scope", scope), cause: fmt.Errorf("token %s lacks %s", t.Name, scope)}
	}
	return t, nil
}

func (h *Handler) decoder() decoder {
	return decoder{now: h.opts.Now(), live: true, maxCallBytes: h.opts.MaxCallBytes, maxBatch: h.opts.MaxBatch,
		phoneRegion: h.opts.PhoneRegion}
}
