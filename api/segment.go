package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// Limits of the Segment calls taken, by the API and by Import.
const (
	// DefaultMaxBodyBytes bounds a request body (Segment's own batch limit is 500 KB).
	DefaultMaxBodyBytes = 512 << 10
	// DefaultMaxCallBytes bounds one call, as it appears in the body (Segment's limit is 32 KB).
	DefaultMaxCallBytes = 32 << 10
	// DefaultMaxBatch is the most calls one batch may hold.
	DefaultMaxBatch = 100

	maxEventNameLen = 200 // characters of an event name as given
	maxIDLen        = 200 // characters of a userId or anonymousId
	maxMessageIDLen = 200 // characters of a messageId
	maxNameLen      = 200 // characters of a page or screen name and category
	maxDepth        = 8   // nesting of objects and arrays inside properties and traits
	// maxFuture is how far ahead of the server's clock a timestamp may be: more is a sender's bug, and an event in
	// the future would sort after everything that really happens until then.
	maxFuture = 24 * time.Hour
)

// Segment call types.
const (
	typeTrack    = "track"
	typeIdentify = "identify"
	typePage     = "page"
	typeScreen   = "screen"
)

// Event names given to page and screen calls.
const (
	eventPageViewed   = "page_viewed"
	eventScreenViewed = "screen_viewed"
)

// FieldError is one reason a call was refused. Index is the call's position in the batch (0 for a single call);
// Field is the Segment field at fault in dotted form ("event", "properties", "context.traits.email"), "" when the
// call as a whole is; Message is safe to show to the sender.
type FieldError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// call is one valid Segment call, ready to record.
type call struct {
	typ        string
	ref        bot.CustomerRef
	event      string         // normalised name; track, page and screen calls
	props      map[string]any // track, page and screen calls; may be nil
	name       string         // identify: traits.name, or firstName and lastName
	email      string         // identify: traits.email, normalised
	phone      string         // identify: traits.phone, normalised
	other      map[string]string
	time       time.Time // zero: now
	messageID  string
	sourceLine int // Import: the line the call came from
}

// decoder reads Segment calls.
type decoder struct {
	now time.Time
	// live is true for calls received now, through the API: then a call with originalTimestamp and sentAt but no
	// timestamp has its time corrected for the sender's clock skew, as Segment does. Imported calls are not.
	live         bool
	maxCallBytes int
	maxBatch     int
	phoneRegion  string
}

// bodyError is a request body that is not a call or a batch at all.
type bodyError struct{ msg string }

func (e *bodyError) Error() string { return e.msg }

// decodeBody reads a request body: one call, or {"batch": [calls]}. defaultType is the type of a call that has
// none ("" to require one; batch calls always need theirs). It returns the calls, or the field errors of every
// invalid call (and no calls), or a *bodyError when the body is not JSON of the right shape.
func (d decoder) decodeBody(body []byte, defaultType string) ([]call, []FieldError, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, nil, &bodyError{`the body must be a JSON object: one call, or {"batch": [calls]}`}
		}
		return nil, nil, &bodyError{"the body is not valid JSON"}
	}
	if top == nil {
		return nil, nil, &bodyError{`the body must be a JSON object: one call, or {"batch": [calls]}`}
	}
	rawBatch, isBatch := top["batch"]
	if !isBatch {
		c, errs := d.decodeCall(body, 0, defaultType)
		if len(errs) > 0 {
			return nil, errs, nil
		}
		return []call{c}, nil, nil
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(rawBatch, &batch); err != nil || batch == nil {
		return nil, nil, &bodyError{"batch must be an array of calls"}
	}
	if len(batch) > d.maxBatch {
		return nil, nil, &bodyError{fmt.Sprintf("a batch holds at most %d calls, this one has %d", d.maxBatch, len(batch))}
	}
	calls := make([]call, 0, len(batch))
	var all []FieldError
	for i, raw := range batch {
		c, errs := d.decodeCall(raw, i, "")
		all = append(all, errs...)
		calls = append(calls, c)
	}
	if len(all) > 0 {
		return nil, all, nil
	}
	return calls, nil, nil
}

// decodeCall reads one call; its errors carry index. defaultType is the type of a call that has none, "" to
// require one.
func (d decoder) decodeCall(raw []byte, index int, defaultType string) (call, []FieldError) {
	var errs []FieldError
	fail := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Index: index, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(raw) > d.maxCallBytes {
		fail("", "a call is at most %d KiB", d.maxCallBytes>>10)
		return call{}, errs
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		fail("", "a call must be a JSON object")
		return call{}, errs
	}
	var c call

	typ, ok := stringField(f, "type", fail)
	switch {
	case !ok:
	case typ == "" && defaultType == "":
		fail("type", "type is required: track, identify, page or screen")
	case typ == "":
		c.typ = defaultType
	case typ != typeTrack && typ != typeIdentify && typ != typePage && typ != typeScreen:
		fail("type", "type must be track, identify, page or screen, not %q", clip(typ))
	case defaultType != "" && typ != defaultType:
		fail("type", "this endpoint takes %s calls, not %s", defaultType, typ)
	default:
		c.typ = typ
	}

	c.ref.UserID = idField(f, "userId", maxIDLen, fail)
	c.ref.AnonymousID = idField(f, "anonymousId", maxIDLen, fail)
	c.messageID = idField(f, "messageId", maxMessageIDLen, fail)
	c.time = d.callTime(f, fail)

	var ctxTraits map[string]any
	if ctxObj, ok := objectField(f, "context", "context", fail); ok && ctxObj != nil {
		if v, present := ctxObj["traits"]; present && v != nil {
			if m, isObj := v.(map[string]any); isObj {
				ctxTraits = m
			} else {
				fail("context.traits", "context.traits must be an object")
			}
		}
	}

	switch c.typ {
	case typeTrack:
		name, ok := stringField(f, "event", fail)
		if ok {
			if c.event, ok = normalizeEventName(name, fail); ok && bot.IsReservedEvent(c.event) {
				fail("event", "event %q is reserved for journeybot's own log", c.event)
			}
		}
		c.props, _ = objectField(f, "properties", "properties", fail)
	case typePage, typeScreen:
		c.event = eventPageViewed
		if c.typ == typeScreen {
			c.event = eventScreenViewed
		}
		c.props, _ = objectField(f, "properties", "properties", fail)
		for _, key := range []string{"name", "category"} {
			v, ok := stringField(f, key, fail)
			if !ok || v == "" {
				continue
			}
			if utf8.RuneCountInString(v) > maxNameLen || hasControl(v) {
				fail(key, "%s must be at most %d characters, without control characters", key, maxNameLen)
				continue
			}
			if c.props == nil {
				c.props = make(map[string]any)
			}
			c.props[key] = v
		}
	case typeIdentify:
		traits, _ := objectField(f, "traits", "traits", fail)
		c.name = traitName(traits, fail)
		c.other = otherTraits(traits)
		c.email = d.contact(traits, ctxTraits, "email", fail)
		c.phone = d.contact(traits, ctxTraits, "phone", fail)
		c.ref.Email, c.ref.Phone = c.email, c.phone
	}
	if c.typ != typeIdentify && c.typ != "" {
		// A track, page or screen call may name its customer by the email or phone in context.traits, which
		// describe the user; properties describe the event (a gift's recipient, a billing contact) and never do.
		c.ref.Email = d.contact(nil, ctxTraits, "email", fail)
		c.ref.Phone = d.contact(nil, ctxTraits, "phone", fail)
	}
	refErr := slices.ContainsFunc(errs, func(e FieldError) bool {
		return e.Field == "userId" || e.Field == "anonymousId" || strings.HasSuffix(e.Field, ".email") || strings.HasSuffix(e.Field, ".phone")
	})
	if c.ref == (bot.CustomerRef{}) && c.typ != "" && !refErr {
		fail("userId", "userId or anonymousId is required (or an email or phone in traits or context.traits)")
	}
	return c, errs
}

// callTime returns when the call happened, following Segment: timestamp when given; otherwise originalTimestamp,
// corrected for the sender's clock skew by sentAt when the call is live; zero (now) when neither is given.
func (d decoder) callTime(f map[string]json.RawMessage, fail func(field, format string, args ...any)) time.Time {
	ts, tsOK := timeField(f, "timestamp", fail)
	orig, origOK := timeField(f, "originalTimestamp", fail)
	sent, sentOK := timeField(f, "sentAt", fail)
	field, t := "timestamp", ts
	switch {
	case !tsOK || !origOK || !sentOK:
		return time.Time{}
	case !ts.IsZero():
	case !orig.IsZero() && !sent.IsZero() && d.live:
		field, t = "originalTimestamp", d.now.Add(-sent.Sub(orig))
	case !orig.IsZero():
		field, t = "originalTimestamp", orig
	}
	if t.After(d.now.Add(maxFuture)) {
		fail(field, "%s is more than %s in the future", field, "a day")
		return time.Time{}
	}
	return t
}

// contact returns the email or phone (key) of the customer, from traits or else context.traits, normalised; ""
// when neither has one.
func (d decoder) contact(traits, ctxTraits map[string]any, key string, fail func(field, format string, args ...any)) string {
	field, v := "traits."+key, traits[key]
	if v == nil {
		field, v = "context.traits."+key, ctxTraits[key]
	}
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		fail(field, "%s must be a string", field)
		return ""
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	var norm string
	var err error
	if key == "email" {
		norm, err = journeystate.NormalizeEmail(s)
	} else {
		norm, err = journeystate.NormalizePhone(s, d.phoneRegion)
	}
	if err != nil {
		if key == "email" {
			fail(field, "%s is not an email address", field)
		} else {
			fail(field, "%s is not a valid phone number (give it in E.164, +14155550100)", field)
		}
		return ""
	}
	return norm
}

// traitName is traits.name, or firstName and lastName joined.
func traitName(traits map[string]any, fail func(field, format string, args ...any)) string {
	var parts []string
	for _, key := range []string{"name", "firstName", "lastName"} {
		v, present := traits[key]
		if !present || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			fail("traits."+key, "traits.%s must be a string", key)
			continue
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if key == "name" {
			return s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// otherTraits returns the traits other than name, email and phone as text: strings as they are, other values as
// their JSON.
func otherTraits(traits map[string]any) map[string]string {
	var out map[string]string
	for k, v := range traits {
		if k == "name" || k == "email" || k == "phone" || v == nil {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, _ := json.Marshal(v) // cannot fail: v was decoded from JSON
		out[k] = string(b)
	}
	return out
}

// normalizeEventName returns an event name in the journey map's lower_snake form: "Order Completed",
// "order-completed" and "orderCompleted" all become "order_completed". Letters are lowered, a word boundary in
// camelCase and every run of characters other than letters and digits become one underscore, and leading and
// trailing underscores go. It refuses (through fail) an empty name, one over maxEventNameLen characters, one with
// control characters, and one with no letter or digit.
func normalizeEventName(name string, fail func(field, format string, args ...any)) (string, bool) {
	switch {
	case strings.TrimSpace(name) == "":
		fail("event", "event is required")
		return "", false
	case utf8.RuneCountInString(name) > maxEventNameLen:
		fail("event", "event must be at most %d characters", maxEventNameLen)
		return "", false
	case hasControl(name):
		fail("event", "event must not contain control characters")
		return "", false
	}
	norm := journeystate.NormalizeEventName(name)
	if norm == "" {
		fail("event", "event must contain a letter or a digit")
		return "", false
	}
	return norm, true
}

// stringField returns the string f[key]; "" when it is absent or null. ok is false (and fail was called) when it
// is something else.
func stringField(f map[string]json.RawMessage, key string, fail func(field, format string, args ...any)) (string, bool) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		fail(key, "%s must be a string", key)
		return "", false
	}
	return s, true
}

// idField returns the id f[key]: a string of at most maxLen characters without control characters, or a number
// (some senders' user ids are), taken as written. "" when absent, null or empty.
func idField(f map[string]json.RawMessage, key string, maxLen int, fail func(field, format string, args ...any)) string {
	raw, present := f[key]
	if !present || isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			fail(key, "%s must be a string", key)
			return ""
		}
		s = n.String()
	}
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > maxLen:
		fail(key, "%s must be at most %d characters", key, maxLen)
		return ""
	case hasControl(s):
		fail(key, "%s must not contain control characters", key)
		return ""
	}
	return s
}

// timeField returns the time f[key], an RFC 3339 (ISO 8601) date and time with a zone; zero when absent or null.
// ok is false (and fail was called) when it is something else.
func timeField(f map[string]json.RawMessage, key string, fail func(field, format string, args ...any)) (time.Time, bool) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return time.Time{}, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		fail(key, "%s must be an ISO 8601 date and time string", key)
		return time.Time{}, false
	}
	t, ok := parseTime(s)
	if !ok {
		fail(key, "%s must be an ISO 8601 date and time with a zone, such as 2026-03-01T12:00:00Z", key)
		return time.Time{}, false
	}
	return t, true
}

// parseTime parses an RFC 3339 time, also with a zone offset written without a colon (+0100), as some ISO 8601
// writers do.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// objectField returns the object f[key] (nil when absent or null), its numbers kept as json.Number so that none
// loses precision. ok is false (and fail was called, naming field) when it is not an object or nests deeper than
// maxDepth.
func objectField(f map[string]json.RawMessage, key, field string, fail func(field, format string, args ...any)) (map[string]any, bool) {
	raw, present := f[key]
	if !present || isNull(raw) {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		fail(field, "%s must be an object", field)
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		fail(field, "%s must be an object", field)
		return nil, false
	}
	if depth(m) > maxDepth {
		fail(field, "%s must not nest objects or arrays more than %d deep", field, maxDepth)
		return nil, false
	}
	return m, true
}

// depth returns how deep v nests objects and arrays: 0 for a scalar.
func depth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			d = max(d, depth(x))
		}
	case []any:
		for _, x := range v {
			d = max(d, depth(x))
		}
	default:
		return 0
	}
	return d + 1
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// hasControl reports whether s holds a control character (or is not UTF-8).
func hasControl(s string) bool {
	return !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl)
}

// clip shortens a value the sender gave, for an error message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
