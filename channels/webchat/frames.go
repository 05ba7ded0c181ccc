package webchat

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// Frame types of the protocol (docs/webchat-protocol.md).
const (
	typeHello      = "hello"
	typeMessage    = "message"
	typeIdentify   = "identify"
	typeWelcome    = "welcome"
	typeAck        = "ack"
	typeTyping     = "typing"
	typeDelta      = "delta"
	typeIdentified = "identified"
	typeError      = "error"
)

// clientFrame is one decoded and validated client frame. For a hello, VisitorID (possibly empty: the server makes
// one) and LastSeq are set; for a message, ID and Text (as sent, not trimmed); for an identify, the claims UserID,
// Email, Phone, Name (as sent) and Hash (lowercase), validated by validateIdentify.
type clientFrame struct {
	Type      string `json:"type"`
	VisitorID string `json:"visitor_id,omitempty"`
	LastSeq   int64  `json:"last_seq,omitempty"`
	ID        string `json:"id,omitempty"`
	Text      string `json:"text,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Name      string `json:"name,omitempty"`
	Hash      string `json:"hash,omitempty"`
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
			return clientFrame{}, &frameError{Code: codeBadFrame, ID: validIDOrEmpty(f), Frame: identifyOrEmpty(f),
				Message: "A field of the frame has the wrong type."}
		}
		return clientFrame{}, &frameError{Code: errNotObject.Code, ID: peekMessageID(data), Message: errNotObject.Message}
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
	case typeIdentify:
		return validateIdentify(f)
	default:
		return clientFrame{}, &frameError{Code: codeBadFrame, Message: "Unknown frame type."}
	}
}

var errNotObject = &frameError{Code: codeBadFrame, Message: "A frame must be one JSON object."}

// identifyOrEmpty names the identify frame type for the error frame's "frame" field when f is one.
func identifyOrEmpty(f clientFrame) string {
	if f.Type == typeIdentify {
		return typeIdentify
	}
	return ""
}

func validIDOrEmpty(f clientFrame) string {
	if f.Type == typeMessage && validMessageID(f.ID) {
		return f.ID
	}
	return ""
}

// peekMessageID returns the id of a message frame that cannot be decoded whole (malformed, or only its beginning
// read), so that its refusal can name the message: the value of the top-level "id" key when "type" is "message"
// and the id is valid, as far as data can be read; "" otherwise. Keys match case-insensitively and the last one
// read wins, as in json.Unmarshal.
func peekMessageID(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	var typ, id string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		if !strings.EqualFold(key, "type") && !strings.EqualFold(key, "id") {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				break
			}
			continue
		}
		tok, err = dec.Token()
		value, ok := tok.(string)
		if err != nil || !ok {
			break // cut short, or not a string: a nested value would also confuse the token stream
		}
		if strings.EqualFold(key, "type") {
			typ = value
		} else {
			id = value
		}
	}
	if typ == typeMessage && validMessageID(id) {
		return id
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
	Type           string            `json:"type"`
	VisitorID      string            `json:"visitor_id"`
	ConversationID string            `json:"conversation_id"`
	Messages       []json.RawMessage `json:"messages"` // encoded wireMessage values
	Truncated      bool              `json:"truncated"`
	Limits         welcomeLimits     `json:"limits"`
}

// welcomeLimits tells a client the size limits of what it sends.
type welcomeLimits struct {
	MaxMessageChars int `json:"max_message_chars"`
	MaxFrameBytes   int `json:"max_frame_bytes"`
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

// typingFrame says that someone is writing. Author and AgentName are set for an agent only: a frame without them is
// about the bot, byte for byte the frame clients knew before agents could type.
type typingFrame struct {
	Type      string `json:"type"`
	On        bool   `json:"on"`
	Author    string `json:"author,omitempty"`
	AgentName string `json:"agent_name,omitempty"`
}

type deltaFrame struct {
	Type    string `json:"type"`
	ReplyID string `json:"reply_id"`
	Text    string `json:"text"`
}

type errorFrame struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Frame   string `json:"frame,omitempty"` // "identify" for a refused identify; absent otherwise
	Code    string `json:"code"`
	Message string `json:"message"`
}

// identifiedFrame answers an identify. CustomerName is the profile name of the customer the visitor now is, sent
// only when the identify was verified: the visitor has then proved to be that customer.
type identifiedFrame struct {
	Type         string `json:"type"`
	Verified     bool   `json:"verified"`
	CustomerName string `json:"customer_name,omitempty"`
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
	// AgentName names the agent who wrote an agent message, or whom a notice is about. The agent's id stays
	// inside: it is a console user id, nothing for the customer.
	AgentName string `json:"agent_name,omitempty"`
	// Notice is what a system message announces (journeystate.Notice*): clients show it as a status line.
	Notice string `json:"notice,omitempty"`
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
		AgentName:      m.Meta.AgentName,
		Notice:         m.Meta.Notice,
	}
	for _, c := range m.Meta.Citations {
		w.Citations = append(w.Citations, wireCitation{Title: c.Title, Source: c.Source, URL: c.URL})
	}
	return w
}

// welcomeBytes encodes a welcome frame of at most maxBytes bytes. It carries the newest of msgs (oldest first) that
// fit; truncated is set when some were left out or when more is true (older messages exist that msgs lacks).
func welcomeBytes(visitorID string, conv journeystate.Conversation, msgs []journeystate.Message, more bool,
	limits welcomeLimits, maxBytes int) []byte {
	f := welcomeFrame{Type: typeWelcome, VisitorID: visitorID, ConversationID: conv.ID,
		Messages: []json.RawMessage{}, Limits: limits}
	budget := maxBytes - len(mustJSON(f)) // truncated false: "false" is longer than "true"
	kept := make([]json.RawMessage, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		b := mustJSON(toWire(msgs[i]))
		need := len(b)
		if len(kept) > 0 {
			need++ // the comma
		}
		if need > budget {
			break
		}
		budget -= need
		kept = append(kept, b)
	}
	slices.Reverse(kept)
	f.Messages = kept
	f.Truncated = more || len(kept) < len(msgs)
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
