package export

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/journeybot/journeybot/journeystate"
)

// XES output. The document follows the XML serialisation of IEEE 1849-2016 and validates against its schema
// (testdata/xes-ieee-1849-2016.xsd). That schema has no target namespace, so the log element carries none either:
// ProM (OpenXES) and PM4Py match elements by local name and read it the same.

// Errors returned by the XES writer.
var (
	// ErrNoTrace means an event was written before any trace was started.
	ErrNoTrace = errors.New("xes: event outside a trace")
	// ErrNotGrouped means an event does not belong to the open trace, or (WriteXES) a customer's events came in
	// two separate runs: the events were not grouped by customer.
	ErrNotGrouped = errors.New("xes: events not grouped by customer")
	// ErrClosed means the writer was used after Close.
	ErrClosed = errors.New("export: writer closed")
)

// XESOptions configures an XESWriter. The zero value is ready to use.
type XESOptions struct {
	// LogName is the log's concept:name; "" means "journeybot".
	LogName string
	// Activity names an event's activity (its concept:name); nil means Activity.
	Activity func(journeystate.Event) string
	// Payload says how event payloads become attributes.
	Payload PayloadOptions
	// TraceAttrs, used by WriteXES, returns the attributes of a customer's trace besides its concept:name (for
	// example CustomerAttrs of the customer); nil means none.
	TraceAttrs func(customerID string) []Attr
}

// XESWriter writes one XES log to an io.Writer: a trace per customer, opened with StartTrace, then the customer's
// events with WriteEvent, then Close. It keeps no event: memory stays flat whatever the log's size. Errors are
// sticky: after the first, every method returns it. An XESWriter is not safe for concurrent use.
type XESWriter struct {
	bw      *bufio.Writer
	opts    XESOptions
	err     error
	started bool
	closed  bool
	inTrace bool
	caseID  string
	num     []byte
	attrs   []Attr
}

// NewXESWriter returns a writer of one XES log to w. Nothing is written before the first call.
func NewXESWriter(w io.Writer, opts XESOptions) *XESWriter {
	if opts.LogName == "" {
		opts.LogName = "journeybot"
	}
	if opts.Activity == nil {
		opts.Activity = Activity
	}
	return &XESWriter{bw: bufio.NewWriterSize(w, 64<<10), opts: opts}
}

// StartTrace ends the open trace, if any, and starts the trace of customerID, whose concept:name it is, with attrs
// as further trace attributes. Attribute keys that are not XML names are made into one (see WriteEvent).
func (x *XESWriter) StartTrace(customerID string, attrs ...Attr) error {
	if !x.begin() {
		return x.err
	}
	if x.inTrace {
		x.str("\t</trace>\n")
	}
	x.inTrace, x.caseID = true, customerID
	x.str("\t<trace>\n")
	x.attr("\t\t", String("concept:name", customerID))
	for _, a := range attrs {
		a.Key = xmlName(a.Key, true)
		x.attr("\t\t", a)
	}
	return x.fail(nil)
}

// WriteEvent writes ev into the open trace, which must be its customer's (ErrNoTrace, ErrNotGrouped otherwise).
// The event gets concept:name (its activity), time:timestamp (UTC, milliseconds), org:resource (its actor,
// "unknown" when empty), lifecycle:transition "complete", and the journeybot attributes event_id, seq, event_type
// and, when set, channel, conversation_id and cause, then its payload attributes (see PayloadOptions). String
// values are escaped; characters XML cannot carry (NUL, other control characters, invalid UTF-8) become U+FFFD.
func (x *XESWriter) WriteEvent(ev journeystate.Event) error {
	if !x.begin() {
		return x.err
	}
	if !x.inTrace {
		return x.fail(ErrNoTrace)
	}
	if ev.CustomerID != x.caseID {
		return x.fail(fmt.Errorf("event %s of customer %q in the trace of %q: %w", ev.ID, ev.CustomerID, x.caseID, ErrNotGrouped))
	}
	resource := string(ev.Actor)
	if resource == "" {
		resource = "unknown"
	}
	x.str("\t\t<event>\n")
	x.attr("\t\t\t", String("concept:name", x.opts.Activity(ev)))
	x.attr("\t\t\t", Time("time:timestamp", ev.Time))
	x.attr("\t\t\t", String("org:resource", resource))
	x.attr("\t\t\t", String("lifecycle:transition", "complete"))
	x.attr("\t\t\t", String("event_id", ev.ID))
	x.attr("\t\t\t", Int("seq", ev.Seq))
	x.attr("\t\t\t", String("event_type", ev.Type))
	for _, a := range [...]Attr{String("channel", ev.Channel), String("conversation_id", ev.ConversationID), String("cause", ev.Cause)} {
		if a.Str != "" {
			x.attr("\t\t\t", a)
		}
	}
	x.attrs = payloadAttrs(x.attrs[:0], ev.Payload, x.opts.Payload)
	for _, a := range x.attrs {
		a.Key = xmlName(a.Key, false) // a colon would name an extension prefix
		x.attr("\t\t\t", a)
	}
	x.str("\t\t</event>\n")
	return x.fail(nil)
}

// Close ends the open trace and the log and flushes; it does not close the underlying writer. A log with no trace
// is still a valid XES document. Close returns the first error met; later calls return ErrClosed.
func (x *XESWriter) Close() error {
	if x.closed {
		return ErrClosed
	}
	if x.begin() {
		if x.inTrace {
			x.str("\t</trace>\n")
		}
		x.str("</log>\n")
		x.fail(x.bw.Flush())
	}
	x.closed = true
	return x.err
}

// WriteXES writes the events of events, grouped by customer and in time order within each customer (the caller
// sorts: ORDER BY customer_id, seq), as one XES log with a trace per customer, and returns how many events it
// wrote. Since the journey log itself interleaves customers, a customer whose events come in two runs is an error
// (ErrNotGrouped), caught by remembering the customers already closed: memory grows with customers, not events.
// An error from the sequence stops the export and is returned as it is.
func WriteXES(w io.Writer, events iter.Seq2[journeystate.Event, error], opts XESOptions) (int, error) {
	x := NewXESWriter(w, opts)
	done := map[string]struct{}{}
	n, current, open := 0, "", false
	for ev, err := range events {
		if err != nil {
			return n, err
		}
		if !open || ev.CustomerID != current {
			if _, seen := done[ev.CustomerID]; seen {
				return n, fmt.Errorf("customer %q again after other customers: %w", ev.CustomerID, ErrNotGrouped)
			}
			if open {
				done[current] = struct{}{}
			}
			var attrs []Attr
			if opts.TraceAttrs != nil {
				attrs = opts.TraceAttrs(ev.CustomerID)
			}
			if err := x.StartTrace(ev.CustomerID, attrs...); err != nil {
				return n, err
			}
			current, open = ev.CustomerID, true
		}
		if err := x.WriteEvent(ev); err != nil {
			return n, err
		}
		n++
	}
	return n, x.Close()
}

// xesHeader declares the standard extensions whose attributes every event carries, the global attributes (so that
// tools know every trace and event has them) and the usual classifiers. Classifier names are NCNames in the schema:
// no spaces.
const xesHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!-- journeybot journey log: XES, IEEE 1849-2016 -->
<log xes.version="1849.2016">
	<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
	<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
	<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
	<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
	<global scope="trace">
		<string key="concept:name" value="__INVALID__"/>
	</global>
	<global scope="event">
		<string key="concept:name" value="__INVALID__"/>
		<date key="time:timestamp" value="1970-01-01T00:00:00.000Z"/>
		<string key="org:resource" value="unknown"/>
		<string key="lifecycle:transition" value="complete"/>
	</global>
	<classifier name="Activity" scope="event" keys="concept:name"/>
	<classifier name="ActivityLifecycle" scope="event" keys="concept:name lifecycle:transition"/>
	<classifier name="Resource" scope="event" keys="org:resource"/>
	<string key="lifecycle:model" value="standard"/>
`

// begin writes the header before the first element; it reports whether writing may go on.
func (x *XESWriter) begin() bool {
	if x.closed && x.err == nil {
		x.err = ErrClosed
	}
	if x.err != nil {
		return false
	}
	if !x.started {
		x.started = true
		x.str(xesHeader)
		x.attr("\t", String("concept:name", x.opts.LogName))
	}
	return true
}

// fail records err, or a write error of the buffered writer, as the sticky error and returns it.
func (x *XESWriter) fail(err error) error {
	if x.err == nil && err != nil {
		x.err = err
	}
	return x.err
}

func (x *XESWriter) str(s string) {
	if _, err := x.bw.WriteString(s); err != nil {
		x.fail(err)
	}
}

// attr writes one attribute element, <kind key="..." value="..."/>, with both values escaped.
func (x *XESWriter) attr(indent string, a Attr) {
	x.str(indent)
	x.str("<")
	var tag string
	x.num = x.num[:0]
	switch a.Kind {
	case KindString:
		tag = "string"
	case KindInt:
		tag, x.num = "int", strconv.AppendInt(x.num, a.Int, 10)
	case KindFloat:
		tag, x.num = "float", appendXSDouble(x.num, a.Float)
	case KindBool:
		tag, x.num = "boolean", strconv.AppendBool(x.num, a.Bool)
	case KindTime:
		tag, x.num = "date", a.Time.UTC().AppendFormat(x.num, xesTime)
	}
	x.str(tag)
	x.str(` key="`)
	x.escape(a.Key)
	x.str(`" value="`)
	if a.Kind == KindString {
		x.escape(a.Str)
	} else {
		x.bw.Write(x.num)
	}
	x.str(`"/>` + "\n")
}

// xesTime is xs:dateTime with milliseconds, the precision OpenXES reads.
const xesTime = "2006-01-02T15:04:05.000Z07:00"

// escape writes s escaped for an attribute value: xml.EscapeText escapes quotes, markup and newlines (which
// attribute normalisation would otherwise turn into spaces) and replaces what XML cannot hold by U+FFFD.
func (x *XESWriter) escape(s string) {
	if plain(s) {
		x.str(s)
		return
	}
	x.fail(xml.EscapeText(x.bw, []byte(s)))
}

// plain reports whether s needs no escaping: printable ASCII without markup characters. It saves EscapeText's
// copy for the common case.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

// appendXSDouble formats v in the lexical space of xs:double (which spells infinities INF, unlike Go).
func appendXSDouble(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "INF"...)
	case math.IsInf(v, -1):
		return append(b, "-INF"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
