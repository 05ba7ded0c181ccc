package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeybot/journeybot/journeystate"
)

const (
	// maxUndoBodyBytes bounds the body of an undo request: a reason and nothing else.
	maxUndoBodyBytes = 4 << 10
	// maxReasonLen bounds the reason of an undo, in characters.
	maxReasonLen = 500
)

// mergeJSON is a merge as the API shows it.
type mergeJSON struct {
	ID         string       `json:"id"`
	SurvivorID string       `json:"survivor_id"`
	AbsorbedID string       `json:"absorbed_id"`
	Identity   identityJSON `json:"identity"`
	Evidence   string       `json:"evidence"`
	Actor      string       `json:"actor"`
	CreatedAt  time.Time    `json:"created_at"`
	UndoneAt   time.Time    `json:"undone_at,omitzero"`
	UndoneWhy  string       `json:"undone_cause,omitempty"`
}

// identityJSON is the verified identity both customers of a merge held.
type identityJSON struct {
	Channel    string `json:"channel"`
	ExternalID string `json:"external_id"`
	Level      string `json:"level"`
}

type mergesBody struct {
	Success bool        `json:"success"`
	Merges  []mergeJSON `json:"merges"`
}

type undoRequest struct {
	Reason string `json:"reason"`
}

type undoBody struct {
	Success    bool   `json:"success"`
	SurvivorID string `json:"survivor_id"`
	RestoredID string `json:"restored_id"`
}

// serveMerges is GET /api/v1/customers/{id}/merges: the merges the customer took part in, newest first.
func (h *Handler) serveMerges(w http.ResponseWriter, r *http.Request) {
	tok, err := h.authorize(r, ScopeCustomersRead)
	if err != nil {
		h.fail(w, r, tok.Name, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeWait)
	defer cancel()
	merges, err := h.opts.Merges.Merges(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, tok.Name, storeError(err))
		return
	}
	out := mergesBody{Success: true, Merges: make([]mergeJSON, 0, len(merges))}
	for _, m := range merges {
		out.Merges = append(out.Merges, mergeJSON{
			ID: m.ID, SurvivorID: m.SurvivorID, AbsorbedID: m.AbsorbedID,
			Identity: identityJSON{Channel: m.Claim.Channel, ExternalID: m.Claim.ExternalID, Level: string(m.Claim.Level)},
			Evidence: m.Evidence, Actor: string(m.Actor), CreatedAt: m.CreatedAt, UndoneAt: m.UndoneAt, UndoneWhy: m.UndoneCause,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// serveUndo is POST /api/v1/merges/{id}/undo with an optional body {"reason": "..."}: the absorbed customer stands
// on its own again. The cause recorded is "api:TOKEN-NAME" and the reason.
func (h *Handler) serveUndo(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUndoBodyBytes)
	tok, err := h.authorize(r, ScopeCustomersWrite)
	if err != nil {
		h.fail(w, r, tok.Name, err)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.fail(w, r, tok.Name, readError(err, maxUndoBodyBytes))
		return
	}
	var req undoRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		if !isJSON(r.Header.Get("Content-Type")) {
			h.fail(w, r, tok.Name, errMediaType)
			return
		}
		if err := json.Unmarshal(body, &req); err != nil {
			h.fail(w, r, tok.Name, &apiError{Status: http.StatusBadRequest, Code: codeBadRequest,
				Message: `the body must be empty or a JSON object {"reason": "..."}`})
			return
		}
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if utf8.RuneCountInString(req.Reason) > maxReasonLen || hasControl(req.Reason) {
		h.fail(w, r, tok.Name, errInvalid([]FieldError{{Field: "reason",
			Message: "reason must be at most 500 characters, without control characters"}}))
		return
	}
	cause := "api:" + tok.Name
	if req.Reason != "" {
		cause += ": " + req.Reason
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeWait)
	defer cancel()
	survivor, restored, err := h.opts.Merges.Unmerge(ctx, r.PathValue("id"), journeystate.ActorSystem, cause)
	if err != nil {
		h.fail(w, r, tok.Name, storeError(err))
		return
	}
	writeJSON(w, http.StatusOK, undoBody{Success: true, SurvivorID: survivor.ID, RestoredID: restored.ID})
}
