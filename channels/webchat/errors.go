package webchat

import (
	"errors"
	"fmt"
	"strings"

	"github.com/journeybot/journeybot/bot"
)

// Error codes of the error frame.
const (
	codeBadFrame      = "bad_frame"
	codeBadRequest    = "bad_request"
	codeTooLarge      = "too_large"
	codeHelloRequired = "hello_required"
	codeUnavailable   = "unavailable"
	codeRateLimited   = "rate_limited"
)

// frameError is a refusal that goes to the client as an error frame. Message is safe to show to the customer; ID is
// the client's message id when the error is about one message; Frame is "identify" when it is about an identify
// frame, so that a client can tell its refusal from one the customer should see.
type frameError struct {
	Code    string
	ID      string
	Frame   string
	Message string
}

func (e *frameError) Error() string { return e.Code + ": " + e.Message }

func (e *frameError) bytes() []byte {
	return mustJSON(errorFrame{Type: typeError, ID: e.ID, Frame: e.Frame, Code: e.Code, Message: e.Message})
}

// textTooLong is the refusal of a message over MaxMessageChars.
func (h *Hub) textTooLong(id string) *frameError {
	return &frameError{Code: codeTooLarge, ID: id,
		Message: fmt.Sprintf("That message is too long (%d characters at most).", h.opts.MaxMessageChars)}
}

// frameTooLarge is the refusal of a frame over MaxFrameBytes; id is the message id read from its beginning, if any.
func (h *Hub) frameTooLarge(id string) *frameError {
	return &frameError{Code: codeTooLarge, ID: id,
		Message: fmt.Sprintf("That message is too large (%d bytes at most).", h.opts.MaxFrameBytes)}
}

// errBinaryFrame is the refusal of a binary frame; id is the message id read from it, if any.
func errBinaryFrame(id string) *frameError {
	return &frameError{Code: codeBadFrame, ID: id, Message: "Binary frames are not supported: send JSON text frames."}
}

var (
	errVisitorChange  = &frameError{Code: codeBadRequest, Message: "The visitor id cannot change on an open connection."}
	errWelcomePending = &frameError{Code: codeBadRequest, Message: "Wait for the welcome before sending hello again."}
)

func errHelloRequired(id string) *frameError {
	return &frameError{Code: codeHelloRequired, ID: id, Message: "Send hello before sending messages."}
}

// engineError maps an error of the engine to the error frame the client gets: this is the one place where engine
// errors become client-visible. Errors that are not the engine's documented refusals are logged with their cause
// and shown as unavailable with a fixed text, so that no internal detail reaches the client. Visitor ids are
// secrets: the cause is logged with visitorID (the caller's) blanked out, since engine and store errors may name it.
func (h *Hub) engineError(err error, visitorID, id, op string) *frameError {
	switch {
	case errors.Is(err, bot.ErrEmptyMessage):
		return &frameError{Code: codeBadRequest, ID: id, Message: "The message is empty."}
	case errors.Is(err, bot.ErrTooLong):
		return h.textTooLong(id)
	case errors.Is(err, bot.ErrShuttingDown):
		// Nothing was stored; the widget keeps the message and sends it again after reconnecting.
		return &frameError{Code: codeUnavailable, ID: id, Message: "The chat is restarting. Your message will be sent again shortly."}
	default:
		h.log.Error("web chat engine call failed", "op", op, "err", redact(err.Error(), visitorID))
		msg := "We could not save your message just now. It will be sent again shortly."
		if id == "" {
			msg = "The chat is unavailable just now. Reconnecting shortly."
		}
		return &frameError{Code: codeUnavailable, ID: id, Message: msg}
	}
}

// redact replaces every occurrence of secret in text with a placeholder.
func redact(text, secret string) string {
	if secret == "" {
		return text
	}
	return strings.ReplaceAll(text, secret, "[visitor]")
}
