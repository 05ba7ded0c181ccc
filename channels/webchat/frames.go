package webchat

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// Frame types of the protocol (docs/webchat-protocol.md).
const (
	typeHello   = "hello"
	typeMessage = "message"
	typeWelcome = "welcome"
	typeAck     = "ack"
	typeTyping  = "typing"
	typeDelta   = "delta"
	typeError   = "error"
)

// clientFrame is one decoded and validated client frame. For a hello, VisitorID (possibly empty: the server makes
// one) and LastSeq are set; for a message, ID and Text (as sent, not trimmed).
type clientFrame struct {
	Type      string `json:"type"`
	VisitorID string `json:"visitor_id,omitempty"`
	LastSeq   int64  `json:"last_seq,omitempty"`
	ID        string `json:"id,omitempty"`
	Text      string `json:"text,omitempty"`
}

// decodeFrame parses and validates one client text frame. Its errors are *frameError values carrying the code and
// the customer-safe text of the error frame to send; for a message, the error carries the message id when that id
// is valid. The text length limit is not checked here (it is an option of the Hub).
func decodeFrame(data []byte) (clientFrame, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return clientFrame{}, errNotObject
	}
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return clientFrame{}, &frameError{Code: codeBadFrame, ID: validIDOrEmpty(f), Message: "A field of the frame has the wrong type."}
		}
		return clientFrame{}, errNotObject
	}
	switch f.Type {
	case typeHello:
		if f.VisitorID != "" && !validVisitorID(f.VisitorID) {
			return clientFrame{}, &frameError{Code: codeBadRequest, Message: "The visitor id is invalid."}
		}
		if f.LastSeq < 0 {
			return clientFrame{}, &frameError{Code: codeBadRequest, Message: "last_seq must not be negative."}
		}
		return clientFrame{Type: typeHello, VisitorID: f.VisitorID, LastSeq: f.LastSeq}, nil
	case typeMessage:
		if !validMessageID(f.ID) {
			return clientFrame{}, &frameError{Code: codeBadRequest, Message: "The message id is missing or invalid."}
		}
		if strings.TrimSpace(f.Text) == "" {
			return clientFrame{}, &frameError{Code: codeBadRequest, ID: f.ID, Message: "The message is empty."}
		}
		return clientFrame{Type: typeMessage, ID: f.ID, Text: f.Text}, nil
	default:
		return clientFrame{}, &frameError{Code: codeBadFrame, Message: "Unknown frame type."}
	}
}

var errNotObject = &frameError{Code: codeBadFrame, Message: "A frame must be one JSON object."}

func validIDOrEmpty(f clientFrame) string {
	if f.Type == typeMessage && validMessageID(f.ID) {
		return f.ID
	}
	return ""
}

// validVisitorID reports whether id is 8–64 characters of A-Z a-z 0-9 _ -.
func validVisitorID(id string) bool {
	return len(id) >= 8 && len(id) <= 64 && allIn(id, "_-")
}

// validMessageID reports whether id is 1–64 characters of A-Z a-z 0-9 _ - : .
func validMessageID(id string) bool {
	return len(id) >= 1 && len(id) <= 64 && allIn(id, "_-:.")
}

func allIn(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte(extra, b) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// Server frames. Each is encoded once and the bytes are shared by every socket it goes to.

type welcomeFrame struct {
	Type           string        `json:"type"`
	VisitorID      string        `json:"visitor_id"`
	ConversationID string        `json:"conversation_id"`
	Messages       []wireMessage `json:"messages"`
}

type ackFrame struct {
	Type           string `json:"type"`
	ID             string `json:"id"`
	Seq            int64  `json:"seq"`
	ConversationID string `json:"conversation_id"`
	Duplicate      bool   `json:"duplicate"`
}

type messageFrame struct {
	Type    string      `json:"type"`
	Message wireMessage `json:"message"`
}

type typingFrame struct {
	Type string `json:"type"`
	On   bool   `json:"on"`
}

type deltaFrame struct {
	Type    string `json:"type"`
	ReplyID string `json:"reply_id"`
	Text    string `json:"text"`
}

type errorFrame struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// wireMessage is MESSAGE in the protocol.
type wireMessage struct {
	ID             string         `json:"id"`
	ConversationID string         `json:"conversation_id"`
	Seq            int64          `json:"seq"`
	Author         string         `json:"author"`
	ClientID       string         `json:"client_id"`
	Text           string         `json:"text"`
	CreatedAt      string         `json:"created_at"`
	Source         string         `json:"source,omitempty"`
	Citations      []wireCitation `json:"citations,omitempty"`
}

type wireCitation struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url"`
}

// createdAtLayout is RFC 3339 in UTC with milliseconds, as in the protocol's example.
const createdAtLayout = "2006-01-02T15:04:05.000Z07:00"

func toWire(m journeystate.Message) wireMessage {
	w := wireMessage{
		ID:             m.ID,
		ConversationID: m.ConversationID,
		Seq:            m.Seq,
		Author:         string(m.Author),
		ClientID:       m.ClientID,
		Text:           m.Text,
		CreatedAt:      m.CreatedAt.UTC().Format(createdAtLayout),
		Source:         m.Meta.Source,
	}
	for _, c := range m.Meta.Citations {
		w.Citations = append(w.Citations, wireCitation{Title: c.Title, Source: c.Source, URL: c.URL})
	}
	return w
}

func welcomeBytes(visitorID string, conv journeystate.Conversation, msgs []journeystate.Message) []byte {
	f := welcomeFrame{Type: typeWelcome, VisitorID: visitorID, ConversationID: conv.ID, Messages: make([]wireMessage, 0, len(msgs))}
	for _, m := range msgs {
		f.Messages = append(f.Messages, toWire(m))
	}
	return mustJSON(f)
}

// mustJSON encodes a server frame. The frame types hold only strings, numbers and bools, so encoding cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("webchat: encode frame: " + err.Error())
	}
	return b
}
