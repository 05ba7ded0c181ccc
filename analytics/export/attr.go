package export

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/journeybot/journeybot/journeystate"
)

// Kind is the type of an attribute value; both formats distinguish the same five.
type Kind uint8

// Attribute kinds.
const (
	KindString Kind = iota
	KindInt
	KindFloat
	KindBool
	KindTime
)

// Attr is a typed attribute: a trace or object attribute passed by the caller, or a payload property. Only the
// field of its Kind is meaningful. Build one with String, Int, Float, Bool or Time.
type Attr struct {
	Key   string
	Kind  Kind
	Str   string
	Int   int64
	Float float64
	Bool  bool
	Time  time.Time
}

// String returns a string attribute.
func String(key, v string) Attr { return Attr{Key: key, Kind: KindString, Str: v} }

// Int returns an integer attribute.
func Int(key string, v int64) Attr { return Attr{Key: key, Kind: KindInt, Int: v} }

// Float returns a floating-point attribute.
func Float(key string, v float64) Attr { return Attr{Key: key, Kind: KindFloat, Float: v} }

// Bool returns a boolean attribute.
func Bool(key string, v bool) Attr { return Attr{Key: key, Kind: KindBool, Bool: v} }

// Time returns a timestamp attribute.
func Time(key string, v time.Time) Attr { return Attr{Key: key, Kind: KindTime, Time: v} }

// CustomerAttrs returns the attributes of a customer worth a trace or an object: profile fields that are set, the
// current stage, traits as "trait.<name>" (sorted) and the creation time. It contains personal data: the caller
// decides whether an export carries it.
func CustomerAttrs(c journeystate.Customer) []Attr {
	var out []Attr
	for _, f := range []struct{ k, v string }{
		{"name", c.Profile.Name}, {"email", c.Profile.Email}, {"phone", c.Profile.Phone}, {"stage", c.Stage},
	} {
		if f.v != "" {
			out = append(out, String(f.k, f.v))
		}
	}
	for _, k := range sortedKeys(c.Traits) {
		out = append(out, String("trait."+k, c.Traits[k]))
	}
	if !c.CreatedAt.IsZero() {
		out = append(out, Time("created_at", c.CreatedAt))
	}
	return out
}

// Activity is the default activity of an event: the stage moved into for a "stage_changed" event, the event type
// otherwise. Process maps then show the journey's stages next to the events between them.
func Activity(ev journeystate.Event) string {
	if ev.Type == "stage_changed" {
		var p journeystate.StageChangedPayload
		if json.Unmarshal(ev.Payload, &p) == nil && p.To != "" {
			return p.To
		}
	}
	return ev.Type
}

// PayloadOptions says how an event's JSON payload becomes attributes. Nested objects and arrays are flattened into
// dotted keys under "payload." ("payload.properties.order_id", "payload.items.0.sku"), in the payload's own order;
// strings, integers, other numbers and booleans keep their type; nulls are left out. A payload that is not valid
// JSON becomes one string attribute "payload" holding its text.
type PayloadOptions struct {
	// Omit leaves payloads out entirely (for example to export without message text).
	Omit bool
	// MaxAttrs bounds the attributes taken from one payload (a hand-off packet holds a whole timeline); 0 means
	// DefaultMaxPayloadAttrs. When some are left out the event gets the boolean attribute "payload.truncated".
	MaxAttrs int
	// MaxDepth bounds the nesting followed; deeper values are left out (and "payload.truncated" set). 0 means 8.
	MaxDepth int
	// MaxValueLen cuts string values to at most this many bytes (on a character boundary); 0 means no limit.
	MaxValueLen int
}

// DefaultMaxPayloadAttrs is the PayloadOptions.MaxAttrs used when it is 0.
const DefaultMaxPayloadAttrs = 64

const payloadPrefix = "payload."

// payloadAttrs appends the attributes of payload to dst. It returns dst unchanged for an empty payload.
func payloadAttrs(dst []Attr, payload json.RawMessage, po PayloadOptions) []Attr {
	if po.Omit || len(bytes.TrimSpace(payload)) == 0 || string(bytes.TrimSpace(payload)) == "null" {
		return dst
	}
	if !json.Valid(payload) {
		return append(dst, String("payload", cut(string(payload), po.MaxValueLen)))
	}
	f := flattener{dec: json.NewDecoder(bytes.NewReader(payload)), po: po, out: dst, max: po.MaxAttrs, depth: po.MaxDepth}
	if f.max <= 0 {
		f.max = DefaultMaxPayloadAttrs
	}
	if f.depth <= 0 {
		f.depth = 8
	}
	f.dec.UseNumber()
	f.value("payload", 0)
	if f.truncated {
		f.out = append(f.out, Bool(payloadPrefix+"truncated", true))
	}
	return f.out
}

type flattener struct {
	dec       *json.Decoder
	po        PayloadOptions
	out       []Attr
	n, max    int
	depth     int
	truncated bool
}

// value reads one JSON value and emits it under key. The payload was checked with json.Valid, so Token errors
// cannot happen; should one, the walk stops.
func (f *flattener) value(key string, level int) bool {
	tok, err := f.dec.Token()
	if err != nil {
		return false
	}
	switch t := tok.(type) {
	case json.Delim:
		if level >= f.depth {
			f.truncated = true
			return f.skip()
		}
		if t == '{' {
			for f.dec.More() {
				kt, err := f.dec.Token()
				if err != nil {
					return false
				}
				k, _ := kt.(string)
				if !f.value(key+"."+k, level+1) {
					return false
				}
			}
		} else {
			for i := 0; f.dec.More(); i++ {
				if !f.value(key+"."+strconv.Itoa(i), level+1) {
					return false
				}
			}
		}
		_, err = f.dec.Token() // the closing delimiter
		return err == nil
	case nil:
		return true
	}
	if f.n >= f.max {
		f.truncated = true
		return true
	}
	f.n++
	switch t := tok.(type) {
	case string:
		f.out = append(f.out, String(key, cut(t, f.po.MaxValueLen)))
	case bool:
		f.out = append(f.out, Bool(key, t))
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			f.out = append(f.out, Int(key, i))
		} else if v, err := strconv.ParseFloat(string(t), 64); err == nil {
			f.out = append(f.out, Float(key, v))
		} else {
			f.out = append(f.out, String(key, string(t))) // beyond float64: keep the digits
		}
	}
	return true
}

// skip reads past the rest of the object or array whose opening delimiter was just read.
func (f *flattener) skip() bool {
	for depth := 1; depth > 0; {
		tok, err := f.dec.Token()
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return true
}

// cut shortens s to at most n bytes without splitting a character; n <= 0 means no limit.
func cut(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// orderID returns the order an event is about: the payload's "order_id", or its business properties' one.
func orderID(attrs []Attr) string {
	for _, a := range attrs {
		if a.Key == payloadPrefix+"order_id" || a.Key == payloadPrefix+"properties.order_id" {
			switch a.Kind {
			case KindString:
				return a.Str
			case KindInt:
				return strconv.FormatInt(a.Int, 10)
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
