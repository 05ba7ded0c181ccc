package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/journeybot/journeybot/analytics/export"
	"github.com/journeybot/journeybot/journeystate"
)

// ocelSchema is the shipped OCEL 2.0 JSON schema, compiled once; formats (date-time) are asserted.
var ocelSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open("testdata/ocel20-schema-json.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("ocel20-schema-json.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("ocel20-schema-json.json")
})

func validateOCEL(doc []byte) error {
	sch, err := ocelSchema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// Decoded OCEL 2.0, for round trips.
type ocelLog struct {
	ObjectTypes []ocelType   `json:"objectTypes"`
	EventTypes  []ocelType   `json:"eventTypes"`
	Objects     []ocelObject `json:"objects"`
	Events      []ocelEvent  `json:"events"`
}

type ocelType struct {
	Name       string `json:"name"`
	Attributes []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"attributes"`
}

type ocelObject struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes []struct {
		Name  string    `json:"name"`
		Time  time.Time `json:"time"`
		Value any       `json:"value"`
	} `json:"attributes"`
	Relationships []ocelRel `json:"relationships"`
}

type ocelEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Time       time.Time `json:"time"`
	Attributes []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"attributes"`
	Relationships []ocelRel `json:"relationships"`
}

type ocelRel struct {
	ObjectID  string `json:"objectId"`
	Qualifier string `json:"qualifier"`
}

func (e ocelEvent) attr(name string) any {
	for _, a := range e.Attributes {
		if a.Name == name {
			return a.Value
		}
	}
	return nil
}

// writeOCEL exports events with WriteOCEL, validates the document against the schema and decodes it.
func writeOCEL(t *testing.T, events []journeystate.Event, opts export.OCELOptions) ocelLog {
	t.Helper()
	var buf bytes.Buffer
	n, err := export.WriteOCEL(&buf, seq(events), opts)
	if err != nil || n != len(events) {
		t.Fatalf("WriteOCEL: %d events, %v; want %d", n, err, len(events))
	}
	return checkOCEL(t, buf.Bytes())
}

func checkOCEL(t *testing.T, doc []byte) ocelLog {
	t.Helper()
	if err := validateOCEL(doc); err != nil {
		t.Fatalf("OCEL 2.0 schema: %v", err)
	}
	var l ocelLog
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("decode OCEL: %v", err)
	}
	return l
}

func TestOCELSchemaCatchesInvalid(t *testing.T) {
	for name, doc := range map[string]string{
		"no events":            `{"objectTypes":[],"eventTypes":[],"objects":[]}`,
		"event without time":   `{"objectTypes":[],"eventTypes":[],"objects":[],"events":[{"id":"e","type":"t"}]}`,
		"time not a date-time": `{"objectTypes":[],"eventTypes":[],"objects":[],"events":[{"id":"e","type":"t","time":"yesterday"}]}`,
		"object value object":  `{"objectTypes":[],"eventTypes":[],"objects":[{"id":"o","type":"t","attributes":[{"name":"a","time":"2026-01-01T00:00:00Z","value":{}}]}],"events":[]}`,
	} {
		if err := validateOCEL([]byte(doc)); err == nil {
			t.Errorf("%s: the schema accepted %s", name, doc)
		}
	}
}

func TestOCELRoundTrip(t *testing.T) {
	events := sampleLog(t)
	var buf bytes.Buffer
	o := export.NewOCELWriter(&buf, export.OCELOptions{})
	if err := o.AddCustomer(journeystate.Customer{ID: "cust-1", Profile: journeystate.Profile{Name: "Ada"}, Stage: "evaluation",
		Traits: map[string]string{"plan": "pro"}}); err != nil {
		t.Fatal(err)
	}
	if err := o.AddConversation(journeystate.Conversation{ID: "conv-1", CustomerID: "cust-1", Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if err := o.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	l := checkOCEL(t, buf.Bytes())

	if len(l.Events) != len(events) {
		t.Fatalf("%d events, want %d", len(l.Events), len(events))
	}
	declared := map[string]map[string]string{}
	for _, et := range l.EventTypes {
		declared[et.Name] = map[string]string{}
		for _, a := range et.Attributes {
			declared[et.Name][a.Name] = a.Type
		}
	}
	for i, got := range l.Events {
		want := events[i]
		if got.ID != strings.ToValidUTF8(want.ID, "\uFFFD") || got.Type != strings.ToValidUTF8(export.Activity(want), "\uFFFD") || !got.Time.Equal(want.Time) {
			t.Errorf("event %d: %q %q %v, want %q %q %v", i, got.ID, got.Type, got.Time, want.ID, export.Activity(want), want.Time)
		}
		if got.Relationships[0] != (ocelRel{"customer:" + strings.ToValidUTF8(want.CustomerID, "\uFFFD"), "customer"}) {
			t.Errorf("event %d: first relationship %+v, want its customer", i, got.Relationships[0])
		}
		// Every attribute is declared by its event type, with a type its value fits.
		for _, a := range got.Attributes {
			typ, ok := declared[got.Type][a.Name]
			if !ok {
				t.Errorf("event %d: attribute %s not declared by type %q", i, a.Name, got.Type)
			}
			var fits bool
			switch a.Value.(type) {
			case string:
				fits = typ == "string" || typ == "time"
			case float64:
				fits = typ == "integer" || typ == "float" || typ == "string"
			case bool:
				fits = typ == "boolean" || typ == "string"
			}
			if !fits {
				t.Errorf("event %d: %s = %#v declared %s", i, a.Name, a.Value, typ)
			}
		}
	}
	if diff := cmp.Diff([]ocelRel{{"customer:cust-1", "customer"}, {"conversation:conv-1", "conversation"}}, l.Events[1].Relationships); diff != "" {
		t.Errorf("message relationships (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ocelRel{{"customer:cust-1", "customer"}, {"order:A-1042", "order"}}, l.Events[3].Relationships); diff != "" {
		t.Errorf("order relationships (-want +got):\n%s", diff)
	}
	if got := l.Events[3].attr("payload.properties.total"); got != 249.5 {
		t.Errorf("order total = %#v, want 249.5", got)
	}
	if got := l.Events[1].attr("payload.text"); got != "I'd like the <b>pro</b> plan & a refund ]]> \"now\"\n" {
		t.Errorf("message text = %q", got)
	}
	if got := l.Events[7].attr("payload.text"); got != hugeText {
		t.Errorf("huge text came back with %d bytes, want %d", len(got.(string)), len(hugeText))
	}
	hostile := l.Events[6]
	for name, want := range map[string]any{
		"cause": "]]> \x00\x01\x1b \uFFFD\uFFFD", "payload.<script>": "</script>", "payload.a b": 1.0,
		"payload.nul": "a\x00b\x1fc", "payload.bad": "x\uFFFD\uFFFDy", "payload.truncated": true,
	} {
		if got := hostile.attr(name); got != want {
			t.Errorf("hostile %s = %#v, want %#v", name, got, want)
		}
	}

	objects := map[string]ocelObject{}
	for _, obj := range l.Objects {
		objects[obj.ID] = obj
	}
	type timed struct {
		Name  string
		Time  time.Time
		Value any
	}
	attrsOf := func(id string) []timed {
		var out []timed
		for _, a := range objects[id].Attributes {
			out = append(out, timed{a.Name, a.Time, a.Value})
		}
		return out
	}
	epoch := time.Unix(0, 0).UTC()
	if diff := cmp.Diff([]timed{{"name", epoch, "Ada"}, {"trait.plan", epoch, "pro"}, {"stage", events[2].Time, "evaluation"}},
		attrsOf("customer:cust-1")); diff != "" {
		t.Errorf("customer attributes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]timed{{"channel", epoch, "web"}, {"owner", events[5].Time, "agent"}, {"agent_id", events[5].Time, "ag-7"},
		{"team", events[5].Time, "billing"}}, attrsOf("conversation:conv-1")); diff != "" {
		t.Errorf("conversation attributes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ocelRel{{"customer:cust-1", "with customer"}}, objects["conversation:conv-1"].Relationships); diff != "" {
		t.Errorf("conversation relationships (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ocelRel{{"customer:cust-1", "placed by"}}, objects["order:A-1042"].Relationships); diff != "" {
		t.Errorf("order relationships (-want +got):\n%s", diff)
	}
	var types []string
	for _, ot := range l.ObjectTypes {
		types = append(types, ot.Name)
	}
	if diff := cmp.Diff([]string{"customer", "conversation", "order"}, types); diff != "" {
		t.Errorf("object types (-want +got):\n%s", diff)
	}
	// Every relationship names an object of the document.
	for _, ev := range l.Events {
		for _, r := range ev.Relationships {
			if _, ok := objects[r.ObjectID]; !ok {
				t.Errorf("event %s relates to %s, which is not among the objects", ev.ID, r.ObjectID)
			}
		}
	}

	// Without orders: no order objects or relationships.
	l = writeOCEL(t, events, export.OCELOptions{OmitOrders: true})
	for _, obj := range l.Objects {
		if obj.Type == export.ObjectOrder {
			t.Errorf("OmitOrders: object %s", obj.ID)
		}
	}
}

func TestOCELTypeWidening(t *testing.T) {
	ev := func(seq int64, payload string) journeystate.Event {
		return journeystate.Event{ID: "e" + string(rune('0'+seq)), Seq: seq, CustomerID: "c", Type: "order_placed", Time: t0,
			Payload: json.RawMessage(payload)}
	}
	l := writeOCEL(t, []journeystate.Event{ev(1, `{"n":1,"s":1}`), ev(2, `{"n":1.5,"s":"x"}`), ev(3, `{"n":2,"s":true}`)}, export.OCELOptions{})
	got := map[string]string{}
	for _, a := range l.EventTypes[0].Attributes {
		got[a.Name] = a.Type
	}
	want := map[string]string{"actor": "string", "seq": "integer", "payload.n": "float", "payload.s": "string"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("declared types (-want +got):\n%s", diff)
	}
}

func TestOCELEmptyLog(t *testing.T) {
	var buf bytes.Buffer
	if err := export.NewOCELWriter(&buf, export.OCELOptions{}).Close(); err != nil {
		t.Fatal(err)
	}
	l := checkOCEL(t, buf.Bytes())
	if diff := cmp.Diff(ocelLog{ObjectTypes: []ocelType{}, EventTypes: []ocelType{}, Objects: []ocelObject{}, Events: []ocelEvent{}}, l); diff != "" {
		t.Errorf("empty log (-want +got):\n%s", diff)
	}
}

func TestOCELMisuse(t *testing.T) {
	o := export.NewOCELWriter(io.Discard, export.OCELOptions{})
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteEvent(journeystate.Event{CustomerID: "c", Type: "x"}); !errors.Is(err, export.ErrClosed) {
		t.Errorf("WriteEvent after Close: %v, want ErrClosed", err)
	}
	boom := errors.New("boom")
	failing := func(yield func(journeystate.Event, error) bool) { _ = yield(journeystate.Event{}, boom) }
	if _, err := export.WriteOCEL(io.Discard, failing, export.OCELOptions{}); !errors.Is(err, boom) {
		t.Errorf("WriteOCEL with a failing source: %v, want boom", err)
	}
	if _, err := export.WriteOCEL(failWriter{}, seq(sampleLog(t)), export.OCELOptions{}); err == nil {
		t.Error("WriteOCEL to a failing writer reported no error")
	}
}

// TestOCELSharedOrder: an order id many customers' events name relates to each customer once.
func TestOCELSharedOrder(t *testing.T) {
	var events []journeystate.Event
	for round := range 2 {
		for c := range 40 {
			events = append(events, journeystate.Event{ID: fmt.Sprintf("e%d-%d", round, c), CustomerID: fmt.Sprintf("c%d", c),
				Type: "order_placed", Time: t0, Payload: json.RawMessage(`{"properties":{"order_id":1}}`)})
		}
	}
	l := writeOCEL(t, events, export.OCELOptions{})
	for _, obj := range l.Objects {
		if obj.ID != "order:1" {
			continue
		}
		seen := map[ocelRel]bool{}
		for _, r := range obj.Relationships {
			if seen[r] {
				t.Errorf("relationship %v twice", r)
			}
			seen[r] = true
		}
		if len(seen) != 40 {
			t.Errorf("order:1 relates to %d customers, want 40", len(seen))
		}
		return
	}
	t.Fatal("no object order:1 (an integer order_id)")
}
