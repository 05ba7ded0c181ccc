package export_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/analytics/export"
	"github.com/journeybot/journeybot/journeystate"
)

// writeXES exports events with WriteXES and checks the result against the schema and the structural check.
func writeXES(t *testing.T, events []journeystate.Event, opts export.XESOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := export.WriteXES(&buf, seq(events), opts)
	if err != nil {
		t.Fatalf("WriteXES: %v", err)
	}
	if n != len(events) {
		t.Fatalf("WriteXES wrote %d events, want %d", n, len(events))
	}
	checkXES(t, buf.Bytes())
	return buf.Bytes()
}

// checkXES validates doc with xmllint against the shipped IEEE 1849-2016 schema when xmllint is installed, and
// always with checkXESStructure.
func checkXES(t *testing.T, doc []byte) {
	t.Helper()
	if err := checkXESStructure(doc); err != nil {
		t.Errorf("structural check: %v", err)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Log("xmllint not installed (Debian package libxml2-utils): XES schema validation skipped, the structural check ran")
		return
	}
	path := filepath.Join(t.TempDir(), "log.xes")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/xes-ieee-1849-2016.xsd", path).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint --schema: %v\n%s", err, truncateOutput(out))
	}
}

func truncateOutput(b []byte) []byte {
	if len(b) > 4000 {
		return append(b[:4000:4000], "..."...)
	}
	return b
}

// TestXMLLintCatchesInvalid makes sure the schema validation can fail: a document breaking the schema is refused.
func TestXMLLintCatchesInvalid(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (Debian package libxml2-utils)")
	}
	for name, doc := range map[string]string{
		"version not a decimal": `<log xes.version="1849-2016"/>`,
		"key not a name":        `<log xes.version="1849.2016"><trace><string key="a b" value="x"/></trace></log>`,
		"int not a long":        `<log xes.version="1849.2016"><trace><event><int key="n" value="1.5"/></event></trace></log>`,
		"trace after event":     `<log xes.version="1849.2016"><trace><event/><string key="k" value="v"/></trace></log>`,
	} {
		path := filepath.Join(t.TempDir(), "bad.xes")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/xes-ieee-1849-2016.xsd", path).CombinedOutput(); err == nil {
			t.Errorf("%s: xmllint accepted %s\n%s", name, doc, out)
		}
		if err := checkXESStructure([]byte(doc)); err == nil {
			t.Errorf("%s: the structural check accepted %s", name, doc)
		}
	}
}

var xsDecimal = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// checkXESStructure walks doc with encoding/xml and checks what the schema says, without a schema processor:
// the log element and its version; declarations before log attributes before traces; attributes before events in
// a trace; each attribute's key an XML name and its value in its type's lexical space; and that every event holds
// the attributes the log declares global.
func checkXESStructure(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var stack []string
	phase := map[string]int{} // the furthest section seen in the current parent
	var eventKeys map[string]bool
	var globals []string
	globalScope := ""
	order := map[string]map[string]int{
		"log":   {"extension": 0, "global": 1, "classifier": 2, "attr": 3, "trace": 4, "event": 5},
		"trace": {"attr": 0, "event": 1},
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			if el.Name.Space != "" {
				return fmt.Errorf("element %s in namespace %q: the schema has none", name, el.Name.Space)
			}
			attrs := map[string]string{}
			for _, a := range el.Attr {
				attrs[a.Name.Local] = a.Value
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			section := name
			if isXESAttr(name) {
				section = "attr"
			}
			switch {
			case parent == "":
				if name != "log" {
					return fmt.Errorf("root %s, want log", name)
				}
				if !xsDecimal.MatchString(attrs["xes.version"]) {
					return fmt.Errorf("xes.version %q is not an xs:decimal", attrs["xes.version"])
				}
			case parent == "log" || parent == "trace":
				rank, ok := order[parent][section]
				if !ok {
					return fmt.Errorf("%s inside %s", name, parent)
				}
				if rank < phase[parent] {
					return fmt.Errorf("%s after a later section inside %s", name, parent)
				}
				phase[parent] = rank
			case parent == "event" || parent == "global" || isXESAttr(parent):
				if !isXESAttr(name) {
					return fmt.Errorf("%s inside %s", name, parent)
				}
			default:
				return fmt.Errorf("%s inside %s", name, parent)
			}
			switch name {
			case "trace":
				phase["trace"] = 0
			case "event":
				eventKeys = map[string]bool{}
			case "global":
				globalScope = attrs["scope"]
			case "extension":
				for _, k := range []string{"name", "prefix", "uri"} {
					if attrs[k] == "" {
						return fmt.Errorf("extension without %s", k)
					}
				}
			case "classifier":
				if attrs["name"] == "" || strings.ContainsAny(attrs["name"], " \t") || attrs["keys"] == "" {
					return fmt.Errorf("classifier %q keys %q: name must be an NCName, keys set", attrs["name"], attrs["keys"])
				}
			}
			if isXESAttr(name) {
				if err := checkXESAttr(name, attrs); err != nil {
					return err
				}
				switch parent {
				case "event":
					eventKeys[attrs["key"]] = true
				case "global":
					if globalScope == "event" {
						globals = append(globals, attrs["key"])
					}
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			if el.Name.Local == "event" {
				for _, k := range globals {
					if !eventKeys[k] {
						return fmt.Errorf("an event lacks the global attribute %s", k)
					}
				}
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(bytes.TrimSpace(el)) > 0 {
				return fmt.Errorf("text %q inside %v", el, stack)
			}
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	return nil
}

func isXESAttr(name string) bool {
	switch name {
	case "string", "date", "int", "float", "boolean", "id", "list", "values":
		return true
	}
	return false
}

var xmlNameRe = regexp.MustCompile(`^[\p{L}_:][\p{L}\p{N}_:.\-]*$`)

func checkXESAttr(kind string, attrs map[string]string) error {
	key, value := attrs["key"], attrs["value"]
	if kind == "values" {
		return nil
	}
	if !xmlNameRe.MatchString(key) {
		return fmt.Errorf("%s key %q is not an XML name", kind, key)
	}
	var err error
	switch kind {
	case "date":
		_, err = time.Parse(time.RFC3339Nano, value)
	case "int":
		_, err = strconv.ParseInt(value, 10, 64)
	case "float":
		if value != "INF" && value != "-INF" && value != "NaN" {
			_, err = strconv.ParseFloat(value, 64)
		}
	case "boolean":
		if value != "true" && value != "false" && value != "1" && value != "0" {
			err = errors.New("not a boolean")
		}
	}
	if err != nil {
		return fmt.Errorf("%s %s=%q: %v", kind, key, value, err)
	}
	return nil
}

// Decoded XES, for round trips.
type xesLog struct {
	Version string     `xml:"xes.version,attr"`
	Attrs   []xesAttr  `xml:",any"`
	Traces  []xesTrace `xml:"trace"`
}

type xesTrace struct {
	Attrs  []xesAttr  `xml:",any"`
	Events []xesEvent `xml:"event"`
}

type xesEvent struct {
	Attrs []xesAttr `xml:",any"`
}

type xesAttr struct {
	XMLName xml.Name
	Key     string `xml:"key,attr"`
	Value   string `xml:"value,attr"`
}

// get returns the value and type of the attribute key, "" and "" when there is none.
func get(attrs []xesAttr, key string) (value, kind string) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, a.XMLName.Local
		}
	}
	return "", ""
}

func decodeXES(t *testing.T, doc []byte) xesLog {
	t.Helper()
	var l xesLog
	if err := xml.Unmarshal(doc, &l); err != nil {
		t.Fatalf("decode XES: %v", err)
	}
	return l
}

func TestXESRoundTrip(t *testing.T) {
	events := sampleLog(t)
	doc := writeXES(t, events, export.XESOptions{TraceAttrs: func(id string) []export.Attr {
		return export.CustomerAttrs(journeystate.Customer{ID: id, Profile: journeystate.Profile{Name: "Ada <Lovelace>"},
			Stage: "evaluation", Traits: map[string]string{"plan": "pro", "odd key!": "x"}, CreatedAt: t0.Add(-time.Hour)})
	}})
	l := decodeXES(t, doc)
	if l.Version != "1849.2016" {
		t.Errorf("xes.version = %q", l.Version)
	}
	if name, _ := get(l.Attrs, "concept:name"); name != "journeybot" {
		t.Errorf("log concept:name = %q, want journeybot", name)
	}
	if len(l.Traces) != 2 {
		t.Fatalf("%d traces, want 2", len(l.Traces))
	}
	i := 0
	for _, tr := range l.Traces {
		caseID, _ := get(tr.Attrs, "concept:name")
		if plan, _ := get(tr.Attrs, "trait.plan"); plan != "pro" {
			t.Errorf("trace %q: trait.plan = %q, want pro", caseID, plan)
		}
		if v, _ := get(tr.Attrs, "trait.odd_key_"); v != "x" {
			t.Errorf("trace %q: the trait with an odd key is missing: %+v", caseID, tr.Attrs)
		}
		if v, kind := get(tr.Attrs, "created_at"); kind != "date" || v != "2026-03-01T08:30:00.123Z" {
			t.Errorf("trace %q: created_at = %s %q", caseID, kind, v)
		}
		for _, ev := range tr.Events {
			want := events[i]
			i++
			if caseID != strings.ToValidUTF8(want.CustomerID, "\uFFFD") {
				t.Errorf("event %d in trace %q, want %q", i, caseID, want.CustomerID)
			}
			name, _ := get(ev.Attrs, "concept:name")
			if wantName := export.Activity(want); name != wantName {
				t.Errorf("event %d: concept:name %q, want %q", i, name, wantName)
			}
			ts, kind := get(ev.Attrs, "time:timestamp")
			got, err := time.Parse(time.RFC3339Nano, ts)
			if kind != "date" || err != nil || !got.Equal(want.Time.Truncate(time.Millisecond)) {
				t.Errorf("event %d: time:timestamp %s %q (%v), want %v", i, kind, ts, err, want.Time)
			}
			if typ, _ := get(ev.Attrs, "event_type"); typ != want.Type {
				t.Errorf("event %d: event_type %q, want %q", i, typ, want.Type)
			}
			if s, kind := get(ev.Attrs, "seq"); kind != "int" || s != strconv.FormatInt(want.Seq, 10) {
				t.Errorf("event %d: seq %s %q, want int %d", i, kind, s, want.Seq)
			}
		}
	}
	if i != len(events) {
		t.Errorf("%d events read back, want %d", i, len(events))
	}

	// Payload properties keep their types.
	order := l.Traces[0].Events[3].Attrs
	for key, want := range map[string][2]string{
		"payload.properties.order_id":    {"A-1042", "string"},
		"payload.properties.total":       {"249.5", "float"},
		"payload.properties.items":       {"3", "int"},
		"payload.properties.gift":        {"false", "boolean"},
		"payload.properties.lines.0.sku": {"T2", "string"},
		"payload.properties.lines.0.qty": {"1", "int"},
		"payload.properties.coupon":      {"", ""}, // null is left out
	} {
		v, kind := get(order, key)
		if diff := cmp.Diff(want, [2]string{v, kind}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
	if stage, _ := get(l.Traces[0].Events[2].Attrs, "concept:name"); stage != "evaluation" {
		t.Errorf("a stage change's activity is %q, want the stage evaluation", stage)
	}
	if v, _ := get(l.Traces[0].Events[4].Attrs, "payload.truncated"); v != "" {
		t.Errorf("the hand-off packet was truncated under the default limit")
	}
}

func TestXESHostileInput(t *testing.T) {
	events := sampleLog(t)
	l := decodeXES(t, writeXES(t, events, export.XESOptions{}))
	hostile := l.Traces[1].Events[0].Attrs
	checks := []struct{ key, want, kind string }{
		{"concept:name", "<script>alert('x')</script>", "string"},
		{"event_id", "e7\uFFFD<script>", "string"},
		{"cause", "]]> \uFFFD\uFFFD\uFFFD \uFFFD\uFFFD", "string"},
		{"conversation_id", "conv-\uFFFD", "string"},
		{"payload._script_", "</script>", "string"},
		{"payload.a_b", "1", "int"},
		{"payload.1st", "true", "boolean"},
		{"payload.größe", "L", "string"},
		{"payload.k_v", "colon", "string"},
		{"payload._", "emoji", "string"},
		{"payload.big", "1.2345678901234568e+29", "float"},
		{"payload.nul", "a\uFFFDb\uFFFDc", "string"},
		{"payload.bad", "x\uFFFD\uFFFDy", "string"},
		{"payload.arr.0", "1", "int"},
		{"payload.arr.1", "two", "string"},
		{"payload.arr.2.0", "3", "int"},
		{"payload.deep.a.b.c.d.e.f.g.h.i", "", ""}, // beyond the depth limit
		{"payload.truncated", "true", "boolean"},
	}
	for _, c := range checks {
		v, kind := get(hostile, c.key)
		if v != c.want || kind != c.kind {
			t.Errorf("%s = %s %q, want %s %q", c.key, kind, v, c.kind, c.want)
		}
	}
	if v, _ := get(l.Traces[0].Events[1].Attrs, "payload.text"); v != "I'd like the <b>pro</b> plan & a refund ]]> \"now\"\n" {
		t.Errorf("message text with markup and a newline came back as %q", v)
	}
	if v, _ := get(l.Traces[1].Events[1].Attrs, "payload.text"); v != hugeText {
		t.Errorf("the huge message came back with %d bytes, want %d", len(v), len(hugeText))
	}
	if v, _ := get(l.Traces[1].Events[2].Attrs, "payload"); v != "not json <x>" {
		t.Errorf("a payload that is not JSON came back as %q", v)
	}
	if v, _ := get(l.Traces[1].Events[2].Attrs, "org:resource"); v != "unknown" {
		t.Errorf("org:resource of an event without actor = %q, want unknown", v)
	}

	// Limits.
	l = decodeXES(t, writeXES(t, events, export.XESOptions{Payload: export.PayloadOptions{MaxValueLen: 1001, MaxAttrs: 3}}))
	text, _ := get(l.Traces[1].Events[1].Attrs, "payload.text")
	if len(text) > 1001 || !utf8.ValidString(text) || !strings.HasPrefix(hugeText, text) {
		t.Errorf("MaxValueLen 1001 gave %d bytes (valid UTF-8 %v)", len(text), utf8.ValidString(text))
	}
	n := 0
	for _, a := range l.Traces[0].Events[3].Attrs {
		if strings.HasPrefix(a.Key, "payload.properties.") {
			n++
		}
	}
	if v, _ := get(l.Traces[0].Events[3].Attrs, "payload.truncated"); n != 3 || v != "true" {
		t.Errorf("MaxAttrs 3: %d payload attributes, truncated %q", n, v)
	}
	l = decodeXES(t, writeXES(t, events, export.XESOptions{Payload: export.PayloadOptions{Omit: true}}))
	for _, tr := range l.Traces {
		for _, ev := range tr.Events {
			for _, a := range ev.Attrs {
				if strings.HasPrefix(a.Key, "payload") {
					t.Errorf("Omit: attribute %s written", a.Key)
				}
			}
		}
	}
}

func TestXESEmptyLog(t *testing.T) {
	var buf bytes.Buffer
	if err := export.NewXESWriter(&buf, export.XESOptions{}).Close(); err != nil {
		t.Fatal(err)
	}
	checkXES(t, buf.Bytes())
	if l := decodeXES(t, buf.Bytes()); len(l.Traces) != 0 {
		t.Errorf("%d traces in an empty log", len(l.Traces))
	}
	// WriteXES over no events gives the same document.
	var buf2 bytes.Buffer
	if n, err := export.WriteXES(&buf2, seq(nil), export.XESOptions{}); err != nil || n != 0 {
		t.Fatalf("WriteXES of nothing: %d, %v", n, err)
	}
	if buf.String() != buf2.String() {
		t.Errorf("WriteXES of nothing differs from an empty writer's log")
	}
	// A trace without events is valid too.
	buf.Reset()
	x := export.NewXESWriter(&buf, export.XESOptions{LogName: "q1 & q2"})
	if err := x.StartTrace("lonely"); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	checkXES(t, buf.Bytes())
}

func TestXESMisuse(t *testing.T) {
	ev := journeystate.Event{ID: "e1", CustomerID: "a", Type: "message", Time: t0}
	x := export.NewXESWriter(io.Discard, export.XESOptions{})
	if err := x.WriteEvent(ev); !errors.Is(err, export.ErrNoTrace) {
		t.Errorf("event before a trace: %v, want ErrNoTrace", err)
	}
	if err := x.Close(); !errors.Is(err, export.ErrNoTrace) {
		t.Errorf("Close after an error: %v, want the first error", err)
	}
	if err := x.Close(); !errors.Is(err, export.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}

	x = export.NewXESWriter(io.Discard, export.XESOptions{})
	_ = x.StartTrace("b")
	if err := x.WriteEvent(ev); !errors.Is(err, export.ErrNotGrouped) {
		t.Errorf("event of another customer: %v, want ErrNotGrouped", err)
	}

	interleaved := []journeystate.Event{ev, {CustomerID: "b", Type: "x", Time: t0}, ev}
	if _, err := export.WriteXES(io.Discard, seq(interleaved), export.XESOptions{}); !errors.Is(err, export.ErrNotGrouped) {
		t.Errorf("WriteXES of interleaved customers: %v, want ErrNotGrouped", err)
	}

	boom := errors.New("boom")
	failing := func(yield func(journeystate.Event, error) bool) {
		_ = yield(ev, nil) && yield(journeystate.Event{}, boom)
	}
	if _, err := export.WriteXES(io.Discard, failing, export.XESOptions{}); !errors.Is(err, boom) {
		t.Errorf("WriteXES with a failing source: %v, want boom", err)
	}

	if _, err := export.WriteXES(failWriter{}, seq([]journeystate.Event{ev}), export.XESOptions{}); err == nil {
		t.Error("WriteXES to a failing writer reported no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
