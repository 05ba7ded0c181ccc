package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/journeybot/journeybot/bot"
)

// eventsBody is the JSON of a successful events response: one result per call, in order.
type eventsBody struct {
	Success bool     `json:"success"`
	Results []result `json:"results"`
}

// serveEvents returns the handler of POST /api/v1/events and its aliases; defaultType is the type of a single
// call that has none ("" to require one).
func (h *Handler) serveEvents(defaultType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
		tok, err := h.authorize(r, ScopeEventsWrite)
		if err != nil {
			h.fail(w, r, tok.Name, err)
			return
		}
		if !isJSON(r.Header.Get("Content-Type")) {
			h.fail(w, r, tok.Name, errMediaType)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			h.fail(w, r, tok.Name, readError(err, h.opts.MaxBodyBytes))
			return
		}
		calls, fieldErrs, err := h.decoder().decodeBody(body, defaultType)
		if err != nil {
			h.fail(w, r, tok.Name, &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: err.Error()})
			return
		}
		if len(fieldErrs) > 0 {
			h.fail(w, r, tok.Name, errInvalid(fieldErrs))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), storeWait)
		defer cancel()
		results, err := h.recordAll(ctx, calls, tok.Name)
		if err != nil {
			h.fail(w, r, tok.Name, err)
			return
		}
		writeJSON(w, http.StatusOK, eventsBody{Success: true, Results: results})
	}
}

// recordAll records the calls in order, stopping at the first failure. On failure it returns an *apiError whose
// Results give every call's fate (stored or duplicate before the failure, failed, then not_stored), so that
// nothing is half-stored silently.
func (h *Handler) recordAll(ctx context.Context, calls []call, sender string) ([]result, error) {
	results := make([]result, 0, len(calls))
	for i, c := range calls {
		res, err := record(ctx, h.rec, c, sender, "api:"+sender)
		if err == nil {
			res.Index = i
			results = append(results, res)
			continue
		}
		e := storeError(err)
		results = append(results, result{Index: i, Status: statusFailed})
		for j := i + 1; j < len(calls); j++ {
			results = append(results, result{Index: j, Status: statusNotStored})
		}
		e.Results = results
		msg := e.Message
		if errors.Is(err, bot.ErrBadReference) {
			msg = "the customer reference names nobody or holds a bad email address or phone number"
			e.Errors = []FieldError{{Index: i, Field: "userId", Message: msg}}
		}
		e.Message = fmt.Sprintf("call %d was not stored (%s); %d calls before it were stored, none after it", i, msg, i)
		if i == 0 {
			e.Message = fmt.Sprintf("call 0 was not stored (%s); nothing was stored", msg)
		}
		return nil, e
	}
	return results, nil
}

// isJSON reports whether a Content-Type is application/json (any parameters, such as charset, allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
