package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	name := strings.TrimSpace(ev.Name)
	if name == "" {
		return TrackResult{}, errors.New("track: the event needs a name")
	}
	if IsReservedEvent(name) {
		return TrackResult{}, fmt.Errorf("track: %q is an event journeybot records itself", name)
	}
	cust, err := e.resolveRef(ctx, ev.Customer)
	if err != nil {
		return TrackResult{}, fmt.Errorf("track: %w", err)
	}
	payload, err := json.Marshal(map[string]any{"properties": ev.Properties})
	if ev.Properties == nil {
		payload, err = []byte(`{"properties":{}}`), nil
	}
	if err != nil {
		return TrackResult{}, fmt.Errorf("track: properties: %w", err)
	}
	stored, dup, err := e.cfg.Store.AppendEvent(ctx, journeystate.Event{
		CustomerID: cust.ID, Type: name, Channel: ChannelAPI, Actor: journeystate.ActorSystem, Cause: ev.Source,
		Payload: payload, Key: ev.Key, Time: ev.Time,
	})
	if err != nil {
		return TrackResult{}, fmt.Errorf("track: %w", err)
	}
	res := TrackResult{CustomerID: stored.CustomerID, Event: stored, Duplicate: dup, Stage: cust.Stage}
	before := cust.Stage
	if dup {
		// A retry, perhaps of a call whose stage move failed after the event was stored: decide it again (moving
		// nobody when it did move them).
		if c, err := e.cfg.Store.Customer(ctx, stored.CustomerID); err == nil {
			before = c.Stage
		}
	}
	res.Stage, err = e.advanceStage(ctx, stored.CustomerID, stored)
	if err != nil {
		// The event is stored: the stage is derived again with the next one.
		e.log.Error("track: advance stage", "customer", stored.CustomerID, "err", err)
	}
	res.StageChanged = res.Stage != before
	return res, nil
}

// ChannelAPI is the channel of events the company's systems send (the events API, imports).
const ChannelAPI = "api"

// resolveRef returns the customer a reference names, creating one known by that reference when there is none. The
// company's systems are trusted: their user ids, emails and phone numbers are verified identities.
func (e *Engine) resolveRef(ctx context.Context, ref CustomerRef) (journeystate.Customer, error) {
	claim := journeystate.IdentityClaim{Level: journeystate.LevelVerified}
	switch {
	case strings.TrimSpace(ref.UserID) != "":
		claim.Channel, claim.ExternalID = journeystate.IdentityUser, strings.TrimSpace(ref.UserID)
	case strings.TrimSpace(ref.Email) != "":
		email, err := journeystate.NormalizeEmail(ref.Email)
		if err != nil {
			return journeystate.Customer{}, fmt.Errorf("%w: %v", ErrBadReference, err)
		}
		claim.Channel, claim.ExternalID, claim.Profile.Email = journeystate.IdentityEmail, email, email
	case strings.TrimSpace(ref.Phone) != "":
		phone, err := journeystate.NormalizePhone(ref.Phone, e.cfg.PhoneRegion)
		if err != nil {
			return journeystate.Customer{}, fmt.Errorf("%w: %v", ErrBadReference, err)
		}
		claim.Channel, claim.ExternalID, claim.Profile.Phone = journeystate.IdentityPhone, phone, phone
	case strings.TrimSpace(ref.AnonymousID) != "":
		claim.Channel, claim.ExternalID = journeystate.IdentityAnonymousID, strings.TrimSpace(ref.AnonymousID)
		claim.Level = journeystate.LevelAnonymous
	default:
		return journeystate.Customer{}, fmt.Errorf("%w: a user id, anonymous id, email or phone is required", ErrBadReference)
	}
	if len(claim.ExternalID) > maxExternalIDBytes {
		return journeystate.Customer{}, fmt.Errorf("%w: the %s is longer than %d bytes", ErrBadReference, claim.Channel, maxExternalIDBytes)
	}
	cust, err := e.cfg.Store.ResolveIdentity(ctx, claim)
	if err != nil {
		return journeystate.Customer{}, fmt.Errorf("resolve customer: %w", err)
	}
	return cust, nil
}

// maxExternalIDBytes bounds an id the company's systems send.
const maxExternalIDBytes = 256

// Identify records what the company's systems know about a customer (creating the customer when the reference is
// new): profile, traits and verified email and phone identities, merging customers where verified identities meet.
// A reference with an anonymous id and no user id names the anonymous customer, whom the email and phone then join
// with any customer already known by them.
// It returns ErrBadReference (wrapped) for a bad reference, and store errors wrapped.
func (e *Engine) Identify(ctx context.Context, t Traits) (journeystate.IdentifyResult, error) {
	ref := t.Customer
	if ref.UserID == "" && ref.AnonymousID != "" {
		// The anonymous visitor is who the traits describe: they become that customer's, which joins the one
		// already known by the same email or phone.
		ref.Email, ref.Phone = "", ""
	}
	cust, err := e.resolveRef(ctx, ref)
	if err != nil {
		return journeystate.IdentifyResult{}, fmt.Errorf("identify: %w", err)
	}
	var claims []journeystate.IdentityClaim
	profile := journeystate.Profile{Name: strings.TrimSpace(t.Name)}
	if t.Email != "" {
		email, err := journeystate.NormalizeEmail(t.Email)
		if err != nil {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify: %w: %v", ErrBadReference, err)
		}
		profile.Email = email
		claims = append(claims, journeystate.IdentityClaim{Channel: journeystate.IdentityEmail, ExternalID: email,
			Level: journeystate.LevelVerified, Profile: journeystate.Profile{Email: email}})
	}
	if t.Phone != "" {
		phone, err := journeystate.NormalizePhone(t.Phone, e.cfg.PhoneRegion)
		if err != nil {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify: %w: %v", ErrBadReference, err)
		}
		profile.Phone = phone
		claims = append(claims, journeystate.IdentityClaim{Channel: journeystate.IdentityPhone, ExternalID: phone,
			Level: journeystate.LevelVerified, Profile: journeystate.Profile{Phone: phone}})
	}
	source := cmpOr(t.Source, "api")
	if profile != (journeystate.Profile{}) || len(t.Other) > 0 {
		if cust, err = e.cfg.Store.UpdateCustomer(ctx, cust.ID, journeystate.CustomerUpdate{
			Profile: profile, Traits: t.Other, Actor: journeystate.ActorSystem, Cause: source, Channel: ChannelAPI,
		}); err != nil {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify: %w", err)
		}
	}
	if len(claims) == 0 {
		return journeystate.IdentifyResult{Customer: cust}, nil
	}
	res, err := e.cfg.Store.Identify(ctx, cust.ID, claims, "identify call by "+source)
	if err != nil {
		return journeystate.IdentifyResult{}, fmt.Errorf("identify: %w", err)
	}
	e.cfg.Metrics.identify(res)
	return res, nil
}

// detachIfAnotherUser moves the channel identity to a customer of its own when its customer is somebody else's: it
// holds a verified user id other than userID (a shared browser on which another person signs in). That person then
// sees none of the last one's conversations, and neither customer gains the other's id. It returns the customer
// the channel identity belongs to afterwards.
func (e *Engine) detachIfAnotherUser(ctx context.Context, channel, externalID string, cust journeystate.Customer, userID string) (journeystate.Customer, error) {
	ids, err := e.cfg.Store.Identities(ctx, cust.ID)
	if err != nil {
		return cust, err
	}
	for _, id := range ids {
		if id.Channel == journeystate.IdentityUser && id.Level == journeystate.LevelVerified && id.ExternalID != userID {
			fresh, err := e.cfg.Store.DetachIdentity(ctx, channel, externalID, journeystate.ActorSystem,
				"another user signed in on the same "+channel+" client")
			if err != nil {
				return cust, err
			}
			e.log.Info("identify: another user signed in; the visitor moved to a customer of their own",
				"from", cust.ID, "to", fresh.ID)
			return fresh, nil
		}
	}
	return cust, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Merges returns the merges the customer took part in, newest first (see journeystate.Store.Merges).
func (e *Engine) Merges(ctx context.Context, customerID string) ([]journeystate.Merge, error) {
	return e.cfg.Store.Merges(ctx, customerID)
}

// Unmerge undoes a merge (see journeystate.Store.Unmerge).
func (e *Engine) Unmerge(ctx context.Context, mergeID string, actor journeystate.Actor, cause string) (survivor, restored journeystate.Customer, err error) {
	return e.cfg.Store.Unmerge(ctx, mergeID, actor, cause)
}

// Identification is who a channel's user says they are: the web widget's identify call, a Slack profile.
type Identification struct {
	UserID, Email, Phone, Name string
	// Verified is true when the channel proved UserID (the widget's HMAC of the user id with the site's secret).
	// EmailVerified and PhoneVerified say the same of Email and Phone (a Slack profile's email, an SMS sender's
	// number): the widget's HMAC signs the user id only, so the email and phone a page sends beside it stay claims.
	// Proved ids become verified identities and may merge customers; the others are kept as claims only, which
	// never merge anyone.
	Verified, EmailVerified, PhoneVerified bool
	// ChannelVerified says the channel itself proved the user's id on it (a Slack user, an SMS number): the
	// channel identity is created, or raised, at the verified level.
	ChannelVerified bool
	// Evidence says how it was proved, for the merge record, e.g. "widget identify with a valid HMAC".
	Evidence string
}

// IdentifyUser records who the user known on a channel as externalID says they are (see Identification): their
// customer gains the identities, and is merged with the customer who already holds a verified one of them, when
// the merge rules allow. It returns the result, whose Customer is the customer the user now is; ErrBadReference
// (wrapped) for an email or phone that is not one; store errors wrapped.
func (e *Engine) IdentifyUser(ctx context.Context, channel, externalID string, who Identification) (journeystate.IdentifyResult, error) {
	level := func(proved bool) journeystate.Level {
		if proved {
			return journeystate.LevelVerified
		}
		return journeystate.LevelClaimed
	}
	var claims []journeystate.IdentityClaim
	if id := strings.TrimSpace(who.UserID); id != "" {
		if len(id) > maxExternalIDBytes {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify user: %w: the user id is longer than %d bytes", ErrBadReference, maxExternalIDBytes)
		}
		claims = append(claims, journeystate.IdentityClaim{Channel: journeystate.IdentityUser, ExternalID: id, Level: level(who.Verified)})
	}
	if strings.TrimSpace(who.Email) != "" {
		email, err := journeystate.NormalizeEmail(who.Email)
		if err != nil {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify user: %w: %v", ErrBadReference, err)
		}
		claims = append(claims, journeystate.IdentityClaim{Channel: journeystate.IdentityEmail, ExternalID: email,
			Level: level(who.EmailVerified), Profile: journeystate.Profile{Email: email}})
	}
	if strings.TrimSpace(who.Phone) != "" {
		phone, err := journeystate.NormalizePhone(who.Phone, e.cfg.PhoneRegion)
		if err != nil {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify user: %w: %v", ErrBadReference, err)
		}
		claims = append(claims, journeystate.IdentityClaim{Channel: journeystate.IdentityPhone, ExternalID: phone,
			Level: level(who.PhoneVerified), Profile: journeystate.Profile{Phone: phone}})
	}
	if name := strings.TrimSpace(who.Name); name != "" && len(claims) > 0 {
		claims[0].Profile.Name = truncate(name, 200)
	}
	channelLevel := journeystate.LevelAnonymous
	if who.ChannelVerified {
		channelLevel = journeystate.LevelVerified
		// Raised when the identity exists below verified (made by an earlier, weaker call).
		claims = append([]journeystate.IdentityClaim{{Channel: channel, ExternalID: externalID, Level: channelLevel}}, claims...)
	}
	cust, err := e.cfg.Store.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: channel, ExternalID: externalID,
		Level: channelLevel})
	if err != nil {
		return journeystate.IdentifyResult{}, fmt.Errorf("identify user: %w", err)
	}
	if len(claims) == 0 {
		return journeystate.IdentifyResult{Customer: cust}, nil
	}
	if who.Verified && strings.TrimSpace(who.UserID) != "" {
		if cust, err = e.detachIfAnotherUser(ctx, channel, externalID, cust, strings.TrimSpace(who.UserID)); err != nil {
			return journeystate.IdentifyResult{}, fmt.Errorf("identify user: %w", err)
		}
	}
	evidence := cmpOr(who.Evidence, channel+" identify")
	res, err := e.cfg.Store.Identify(ctx, cust.ID, claims, evidence)
	if err != nil {
		return journeystate.IdentifyResult{}, fmt.Errorf("identify user: %w", err)
	}
	e.cfg.Metrics.identify(res)
	for _, m := range res.Merges {
		e.log.Info("customers merged", "survivor", m.SurvivorID, "absorbed", m.AbsorbedID, "evidence", m.Evidence)
	}
	for _, r := range res.Refused {
		e.log.Info("merge refused", "customer", res.Customer.ID, "other", r.OtherCustomerID, "reason", r.Reason)
	}
	return res, nil
}
