package bot

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/journeybot/journeybot/journeystate"
)

// CustomerRef names a customer the way the company's systems know them. At least one field is required; UserID
// wins over the others, then Email, Phone and AnonymousID.
type CustomerRef struct {
	UserID      string // the company's own user id
	AnonymousID string // an analytics anonymous id (Segment's anonymousId)
	Email       string // normalised by the engine
	Phone       string // normalised to E.164 by the engine
}

// BusinessEvent is something the company's systems report about a customer: "order_placed", "viewed_pricing".
type BusinessEvent struct {
	Name       string
	Customer   CustomerRef
	Properties map[string]any // may be nil
	// Time is when it happened; zero means now. A back-filled event keeps its own time.
	Time time.Time
	// Key is the idempotency key: an event with a key already used is not stored again.
	Key string
	// Source says where it came from, e.g. "api:crm" (the API token's name) or "import"; stored as the cause.
	Source string
}

// Traits is a Segment identify call: what the company's systems know about a customer.
type Traits struct {
	Customer CustomerRef
	// Name, Email and Phone, when set, fill the profile; Email and Phone also become verified identities (the
	// company's own systems vouch for them), which may join this customer with one known on another channel.
	Name, Email, Phone string
	// Other are the remaining traits, stored as text.
	Other  map[string]string
	Time   time.Time
	Key    string
	Source string
}

// TrackResult is what Track did.
type TrackResult struct {
	CustomerID string
	Event      journeystate.Event
	// Duplicate is true when an event with the same key was stored before; nothing was written.
	Duplicate bool
	// Stage is the customer's journey stage after the event; StageChanged says whether the event moved it.
	Stage        string
	StageChanged bool
}

// ErrBadReference is wrapped by Track and Identify when the CustomerRef names nobody (every field empty) or holds
// an email address or phone number that is not one; its text is safe to show to the caller.
var ErrBadReference = errors.New("bad customer reference")

// Track records a business event in the customer's journey log (creating the customer when the reference is new)
// and moves the customer's stage when the journey map says so. It returns ErrBadReference (wrapped) for a bad
// reference, and store errors wrapped.
func (e *Engine) Track(ctx context.Context, ev BusinessEvent) (TrackResult, error) {
	_ = json.Marshal
	return TrackResult{}, errors.New("track: not implemented yet")
}

// Identify records what the company's systems know about a customer (creating the customer when the reference is
// new): profile, traits and verified email and phone identities, merging customers where verified identities meet.
// It returns ErrBadReference (wrapped) for a bad reference, and store errors wrapped.
func (e *Engine) Identify(ctx context.Context, t Traits) (journeystate.IdentifyResult, error) {
	return journeystate.IdentifyResult{}, errors.New("identify: not implemented yet")
}

// Identification is who a channel's user says they are: the web widget's identify call, a Slack profile.
type Identification struct {
	UserID, Email, Phone, Name string
	// Verified is true when the channel proved the claim (the widget's HMAC of the user id with the site's
	// secret): the ids become verified identities and may merge customers. Otherwise they are kept as claims only.
	Verified bool
	// Evidence says how it was proved, for the merge record, e.g. "widget identify with a valid HMAC".
	Evidence string
}

// IdentifyUser records who the user known on a channel as externalID says they are (see Identification): their
// customer gains the identities, and is merged with the customer who already holds a verified one of them, when
// the merge rules allow. It returns the result, whose Customer is the customer the user now is; ErrBadReference
// (wrapped) for an email or phone that is not one; store errors wrapped.
func (e *Engine) IdentifyUser(ctx context.Context, channel, externalID string, who Identification) (journeystate.IdentifyResult, error) {
	return journeystate.IdentifyResult{}, errors.New("identify user: not implemented yet")
}
