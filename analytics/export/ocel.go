package export

import (
	"bufio"
	"encoding/json"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// OCEL 2.0 output: the JSON format of the OCEL 2.0 specification (ocel-standard.org), valid against its schema
// (testdata/ocel20-schema-json.json).
//
// Events stream: each is written when it arrives and forgotten. The declarations of object and event types and
// the objects can only be complete after the last event, so the document holds "events" first and the others
// after it. JSON does not order an object's members and the OCEL readers (PM4Py, ocpa, Celonis' importer) load the
// whole document, so this costs them nothing and saves a second pass over a log of millions of events; objects and
// types, far fewer, are kept in memory until Close.

// Object types, and the qualifiers of the relationships of an event to its objects.
const (
	ObjectCustomer     = "customer"
	ObjectConversation = "conversation"
	ObjectOrder        = "order"
)

// OCELOptions configures an OCELWriter. The zero value is ready to use.
type OCELOptions struct {
	// Activity names an event's type; nil means Activity.
	Activity func(journeystate.Event) string
	// Payload says how event payloads become event attributes.
	Payload PayloadOptions
	// OmitOrders leaves out order objects; otherwise an event whose payload (or business properties) has an
	// order_id relates to the order of that id.
	OmitOrders bool
}

// OCELWriter writes one OCEL 2.0 JSON document to an io.Writer: WriteEvent for each event, in any order, then
// Close. Every event relates to its customer ("customer"), its conversation when it has one ("conversation") and
// the order its payload names ("order"); these objects are created as events name them, and AddCustomer and
// AddConversation add what is known about them besides. Object ids are "<type>:<id>" ("customer:c-1",
// "order:A-1042"), since OCEL wants them unique across types and an order number may equal a customer id.
//
// Objects carry time-stamped attributes where the log says when they changed: a customer's "stage" (from
// stage_changed events), a conversation's "owner", "team" and "agent_id" (from owner_changed events). Attributes
// that do not change carry the Unix epoch as their time, OCEL's convention for initial values.
//
// Event types declare the attributes their events carry, with the type of their values; a payload property whose
// values differ in type from one event to another is declared with the type that holds them all ("float" for
// integers and floats, "string" otherwise). Errors are sticky. An OCELWriter is not safe for concurrent use.
type OCELWriter struct {
	bw      *bufio.Writer
	opts    OCELOptions
	err     error
	started bool
	closed  bool
	events  int

	objects     map[string]*ocelObject // by object id
	objectOrder []*ocelObject
	objectTypes typeSet
	eventTypes  typeSet

	buf   []byte
	attrs []Attr
}

type ocelObject struct {
	id, typ string
	attrs   []ocelAttr
	rels    []ocelRel
	relSet  map[ocelRel]struct{} // made once rels is long, so that an order id every customer uses stays linear
}

// ocelAttr is an object attribute value and the time it took it.
type ocelAttr struct {
	Attr
	at time.Time
}

type ocelRel struct{ id, qualifier string }

// typeSet is the declarations of object or event types: their attributes and types, in the order first seen.
type typeSet struct {
	byName map[string]*typeDecl
	order  []*typeDecl
}

type typeDecl struct {
	name  string
	attrs []string
	kinds map[string]Kind
}

// epoch is the time of attribute values that hold from the start.
var epoch = time.Unix(0, 0).UTC()

// NewOCELWriter returns a writer of one OCEL 2.0 document to w. Nothing is written before the first call.
func NewOCELWriter(w io.Writer, opts OCELOptions) *OCELWriter {
	if opts.Activity == nil {
		opts.Activity = Activity
	}
	return &OCELWriter{
		bw: bufio.NewWriterSize(w, 64<<10), opts: opts, objects: map[string]*ocelObject{},
		objectTypes: typeSet{byName: map[string]*typeDecl{}}, eventTypes: typeSet{byName: map[string]*typeDecl{}},
	}
}

// AddCustomer gives the customer object of c the attributes of CustomerAttrs, except the stage, whose history the
// stage_changed events give. It contains personal data: the caller decides whether an export carries it.
func (o *OCELWriter) AddCustomer(c journeystate.Customer) error {
	if o.err != nil || o.closed {
		return o.fail(ErrClosed)
	}
	obj := o.object(ObjectCustomer, c.ID)
	for _, a := range CustomerAttrs(c) {
		if a.Key != "stage" {
			o.setAttr(obj, a, epoch)
		}
	}
	return nil
}

// AddConversation gives the conversation object of c its channel and its relationship to its customer.
func (o *OCELWriter) AddConversation(c journeystate.Conversation) error {
	if o.err != nil || o.closed {
		return o.fail(ErrClosed)
	}
	o.conversation(c.ID, c.CustomerID, c.Channel)
	return nil
}

// WriteEvent writes ev. Its attributes are actor, seq and, when set, channel and cause, then its payload's (see
// PayloadOptions); its time is in UTC with the precision it has.
func (o *OCELWriter) WriteEvent(ev journeystate.Event) error {
	if !o.begin() {
		return o.err
	}
	typ := o.opts.Activity(ev)
	o.attrs = o.attrs[:0]
	o.attrs = append(o.attrs, String("actor", string(ev.Actor)), Int("seq", ev.Seq))
	if ev.Channel != "" {
		o.attrs = append(o.attrs, String("channel", ev.Channel))
	}
	if ev.Cause != "" {
		o.attrs = append(o.attrs, String("cause", ev.Cause))
	}
	fixed := len(o.attrs)
	o.attrs = payloadAttrs(o.attrs, ev.Payload, o.opts.Payload)
	decl := o.eventTypes.declare(typ)
	for _, a := range o.attrs {
		decl.add(a)
	}

	// Objects, and what this event says about them.
	customer := o.object(ObjectCustomer, ev.CustomerID)
	var conversation, order *ocelObject
	if ev.ConversationID != "" {
		conversation = o.conversation(ev.ConversationID, ev.CustomerID, ev.Channel)
	}
	if id := orderID(o.attrs[fixed:]); id != "" && !o.opts.OmitOrders {
		order = o.object(ObjectOrder, id)
		order.relate(customer.id, "placed by")
	}
	switch ev.Type {
	case "stage_changed":
		var p journeystate.StageChangedPayload
		if json.Unmarshal(ev.Payload, &p) == nil && p.To != "" {
			o.setAttr(customer, String("stage", p.To), ev.Time)
		}
	case "owner_changed":
		var p struct {
			To      string `json:"to"`
			AgentID string `json:"agent_id"`
			Team    string `json:"team"`
		}
		if conversation != nil && json.Unmarshal(ev.Payload, &p) == nil && p.To != "" {
			o.setAttr(conversation, String("owner", p.To), ev.Time)
			o.setAttr(conversation, String("agent_id", p.AgentID), ev.Time)
			o.setAttr(conversation, String("team", p.Team), ev.Time)
		}
	}

	id := ev.ID
	if id == "" {
		id = "event:" + strconv.FormatInt(ev.Seq, 10)
	}
	b := o.buf[:0]
	if o.events > 0 {
		b = append(b, ",\n"...)
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"time":"`...)
	b = ev.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","attributes":[`...)
	for i, a := range o.attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, a.Key)
		b = append(b, `,"value":`...)
		b = appendJSONValue(b, a)
		b = append(b, '}')
	}
	b = append(b, `],"relationships":[`...)
	b = appendRel(b, customer.id, ObjectCustomer)
	if conversation != nil {
		b = append(b, ',')
		b = appendRel(b, conversation.id, ObjectConversation)
	}
	if order != nil {
		b = append(b, ',')
		b = appendRel(b, order.id, ObjectOrder)
	}
	b = append(b, "]}"...)
	o.buf = b
	o.events++
	_, err := o.bw.Write(b)
	return o.fail(err)
}

// Close writes the objects and the type declarations, ends the document and flushes; it does not close the
// underlying writer. An empty log is a valid document with four empty arrays. Close returns the first error met;
// later calls return ErrClosed.
func (o *OCELWriter) Close() error {
	if o.closed {
		return ErrClosed
	}
	if o.begin() {
		o.writeObjects()
		o.writeTypes("objectTypes", &o.objectTypes)
		o.writeTypes("eventTypes", &o.eventTypes)
		o.write([]byte("}\n"))
		o.fail(o.bw.Flush())
	}
	o.closed = true
	return o.err
}

// WriteOCEL writes the events of events, in any order, as one OCEL 2.0 document and returns how many it wrote.
// An error from the sequence stops the export and is returned as it is.
func WriteOCEL(w io.Writer, events iter.Seq2[journeystate.Event, error], opts OCELOptions) (int, error) {
	o := NewOCELWriter(w, opts)
	for ev, err := range events {
		if err != nil {
			return o.events, err
		}
		if err := o.WriteEvent(ev); err != nil {
			return o.events, err
		}
	}
	return o.events, o.Close()
}

func (o *OCELWriter) begin() bool {
	if o.closed && o.err == nil {
		o.err = ErrClosed
	}
	if o.err != nil {
		return false
	}
	if !o.started {
		o.started = true
		o.write([]byte(`{"events":[` + "\n"))
	}
	return true
}

func (o *OCELWriter) fail(err error) error {
	if o.err == nil && err != nil {
		o.err = err
	}
	return o.err
}

func (o *OCELWriter) write(b []byte) {
	if _, err := o.bw.Write(b); err != nil {
		o.fail(err)
	}
}

// object returns the object of type typ and journeybot id id, created (and its type declared) on first use.
func (o *OCELWriter) object(typ, id string) *ocelObject {
	key := typ + ":" + id
	if obj, ok := o.objects[key]; ok {
		return obj
	}
	obj := &ocelObject{id: key, typ: typ}
	o.objects[key] = obj
	o.objectOrder = append(o.objectOrder, obj)
	o.objectTypes.declare(typ)
	return obj
}

func (o *OCELWriter) conversation(id, customerID, channel string) *ocelObject {
	conv := o.object(ObjectConversation, id)
	if customerID != "" {
		conv.relate(o.object(ObjectCustomer, customerID).id, "with customer")
	}
	if channel != "" && !conv.has("channel") {
		o.setAttr(conv, String("channel", channel), epoch)
	}
	return conv
}

// setAttr records that obj's attribute a.Key took a's value at time at; a value equal to the attribute's newest is
// not recorded again.
func (o *OCELWriter) setAttr(obj *ocelObject, a Attr, at time.Time) {
	if a.Kind == KindString && a.Str == "" && !obj.has(a.Key) {
		return // nothing to say yet (no agent before the first one takes the conversation)
	}
	for i := len(obj.attrs) - 1; i >= 0; i-- {
		if obj.attrs[i].Key == a.Key {
			if obj.attrs[i].Attr == a {
				return
			}
			break
		}
	}
	obj.attrs = append(obj.attrs, ocelAttr{Attr: a, at: at})
	o.objectTypes.declare(obj.typ).add(a)
}

func (obj *ocelObject) has(key string) bool {
	for _, a := range obj.attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

func (obj *ocelObject) relate(id, qualifier string) {
	rel := ocelRel{id, qualifier}
	if obj.relSet != nil {
		if _, ok := obj.relSet[rel]; ok {
			return
		}
		obj.relSet[rel] = struct{}{}
		obj.rels = append(obj.rels, rel)
		return
	}
	for _, r := range obj.rels {
		if r == rel {
			return
		}
	}
	obj.rels = append(obj.rels, rel)
	if len(obj.rels) >= 16 {
		obj.relSet = make(map[ocelRel]struct{}, 2*len(obj.rels))
		for _, r := range obj.rels {
			obj.relSet[r] = struct{}{}
		}
	}
}

func (s *typeSet) declare(name string) *typeDecl {
	d, ok := s.byName[name]
	if !ok {
		d = &typeDecl{name: name, kinds: map[string]Kind{}}
		s.byName[name] = d
		s.order = append(s.order, d)
	}
	return d
}

// add declares attribute a of the type, widening its type when values of another type were seen.
func (d *typeDecl) add(a Attr) {
	k, ok := d.kinds[a.Key]
	switch {
	case !ok:
		d.attrs = append(d.attrs, a.Key)
		d.kinds[a.Key] = a.Kind
	case k == a.Kind:
	case (k == KindInt && a.Kind == KindFloat) || (k == KindFloat && a.Kind == KindInt):
		d.kinds[a.Key] = KindFloat
	default:
		d.kinds[a.Key] = KindString
	}
}

func (o *OCELWriter) writeObjects() {
	o.write([]byte("\n],\n" + `"objects":[` + "\n"))
	for i, obj := range o.objectOrder {
		b := o.buf[:0]
		if i > 0 {
			b = append(b, ",\n"...)
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, obj.id)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, obj.typ)
		b = append(b, `,"attributes":[`...)
		for j, a := range obj.attrs {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, a.Key)
			b = append(b, `,"time":"`...)
			b = a.at.UTC().AppendFormat(b, time.RFC3339Nano)
			b = append(b, `","value":`...)
			b = appendJSONValue(b, a.Attr)
			b = append(b, '}')
		}
		b = append(b, `],"relationships":[`...)
		for j, r := range obj.rels {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendRel(b, r.id, r.qualifier)
		}
		b = append(b, "]}"...)
		o.buf = b
		o.write(b)
	}
}

func (o *OCELWriter) writeTypes(member string, s *typeSet) {
	b := append(o.buf[:0], "\n],\n\""...)
	b = append(b, member...)
	b = append(b, "\":[\n"...)
	for i, d := range s.order {
		if i > 0 {
			b = append(b, ",\n"...)
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, d.name)
		b = append(b, `,"attributes":[`...)
		for j, name := range d.attrs {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, name)
			b = append(b, `,"type":"`...)
			b = append(b, ocelType[d.kinds[name]]...)
			b = append(b, `"}`...)
		}
		b = append(b, "]}"...)
	}
	if member == "eventTypes" {
		b = append(b, "\n]"...)
	}
	o.buf = b
	o.write(b)
}

// ocelType names the attribute types as the OCEL 2.0 specification does.
var ocelType = [...]string{KindString: "string", KindInt: "integer", KindFloat: "float", KindBool: "boolean", KindTime: "time"}

func appendRel(b []byte, id, qualifier string) []byte {
	b = append(b, `{"objectId":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"qualifier":`...)
	b = appendJSONString(b, qualifier)
	return append(b, '}')
}
