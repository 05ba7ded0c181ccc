package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// Error codes of an error response.
const (
	codeUnauthorized = "unauthorized"
	codeForbidden    = "forbidden"
	codeTooLarge     = "too_large"
	codeMediaType    = "unsupported_media_type"
	codeBadRequest   = "bad_request" // the body is not JSON of the right shape
	codeInvalid      = "invalid"     // one or more calls are invalid: see errors
	codeNotFound     = "not_found"
	codeConflict     = "conflict"
	codeUnavailable  = "unavailable"
	codeInternal     = "internal"
)

// apiError is a refusal or failure as the client sees it. Message and Errors are safe to show; cause is for the
// log. Results, when set, say what was stored before the failure.
type apiError struct {
	Status  int
	Code    string
	Message string
	Errors  []FieldError
	Results []result
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.cause }

// errorBody is the JSON of an error response.
type errorBody struct {
	Success bool         `json:"success"`
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Errors  []FieldError `json:"errors,omitempty"`
	Results []result     `json:"results,omitempty"`
}

func errUnauthorized(cause error) *apiError {
	msg := "an API token is required: Authorization: Bearer TOKEN"
	if errors.Is(cause, errBadCredentials) {
		msg = "the API token is not valid"
	}
	return &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: msg, cause: cause}
}

var errMediaType = &apiError{Status: http.StatusUnsupportedMediaType, Code: codeMediaType,
	Message: "the body must be JSON: Content-Type: application/json"}

// errInvalid is the refusal of calls with field errors: nothing was stored.
func errInvalid(errs []FieldError) *apiError {
	msg := "a call is invalid; nothing was stored"
	if len(errs) > 1 {
		msg = "calls are invalid; nothing was stored"
	}
	return &apiError{Status: http.StatusBadRequest, Code: codeInvalid, Message: msg, Errors: errs}
}

// readError maps an error reading the body.
func readError(err error, limit int64) *apiError {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge,
			Message: fmt.Sprintf("the body is larger than %d KiB", limit>>10), cause: err}
	}
	return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: "the body could not be read", cause: err}
}

// storeError maps an error of the Recorder or Merger: the documented refusals become client errors with a safe
// message, anything else a failure whose cause is only logged.
func storeError(err error) *apiError {
	switch {
	case errors.Is(err, bot.ErrBadReference):
		return &apiError{Status: http.StatusBadRequest, Code: codeInvalid, Message: bot.ErrBadReference.Error(), cause: err}
	case errors.Is(err, journeystate.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: "not found", cause: err}
	case errors.Is(err, journeystate.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: codeConflict, Message: "conflict with the current state", cause: err}
	case errors.Is(err, bot.ErrShuttingDown):
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "the server is restarting; retry shortly", cause: err}
	default:
		return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "internal error; retry later", cause: err}
	}
}

// fail answers a request with err: this is the one place where errors become status codes. An *apiError is sent
// as it is; anything else is a 500 with a fixed message. Server-side causes are logged, with the token's name but
// never the token.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, tokenName string, err error) {
	e, ok := errors.AsType[*apiError](err)
	if !ok {
		e = &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "internal error; retry later", cause: err}
	}
	switch {
	case e.Status >= 500:
		h.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "token", tokenName, "err", e.cause)
	case e.cause != nil:
		h.log.Info("api request refused", "method", r.Method, "path", r.URL.Path, "token", tokenName, "status", e.Status, "err", e.cause)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Add("WWW-Authenticate", `Bearer realm="journeybot"`)
		w.Header().Add("WWW-Authenticate", `Basic realm="journeybot"`)
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, e.Status, errorBody{Code: e.Code, Message: e.Message, Errors: e.Errors, Results: e.Results})
}

// writeJSON sends v as the JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"success":false,"code":"internal","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
