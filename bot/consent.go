package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// ConsentChange is a customer opting out of messages on a channel (an SMS "STOP") or back in ("START").
type ConsentChange struct {
	Channel  string // journeystate.ChannelSMS, ...
	UserID   string // the customer's id on the channel (SMS: the E.164 number), as in channels.Inbound
	ThreadID string // the conversation's thread, "" for none: where the event is shown
	OptedOut bool
	// Keyword is what the customer sent ("STOP", "unstop"), kept in the event.
	Keyword string
	// Key is the idempotency key, e.g. "twilio-consent:SM123": a retried webhook changes the consent once, and a
	// replay of an old change never undoes a newer one.
	Key   string
	Cause string
}

// Consent is a customer's consent to be messaged on one channel id.
type Consent struct {
	// OptedOut is true when the customer's latest change opted out: nothing may be sent to them on the channel.
	OptedOut bool
	// Seq is the position in the journey log of the change that set it; 0 when the customer never changed it.
	Seq int64
}

// consentTrait is the customer trait that holds the consent for one channel id, so that it survives restarts and
// moves with the customer when customers are merged. Its value is "opted_out@SEQ" or "opted_in@SEQ", SEQ being the
// journey log position of the change's event: a change applies only over an older one.
func consentTrait(channel, userID string) string { return "consent:" + channel + ":" + userID }

const (
	consentOut = "opted_out"
	consentIn  = "opted_in"
)

// parseConsent reads a consent trait value; a value it cannot read counts as opted out, the safe side.
func parseConsent(v string) Consent {
	if v == "" {
		return Consent{}
	}
	state, seqText, _ := strings.Cut(v, "@")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || state != consentIn && state != consentOut {
		return Consent{OptedOut: true}
	}
	return Consent{OptedOut: state == consentOut, Seq: seq}
}

// SetConsent records a consent change of the customer the channel knows as ch.UserID: a "<channel>_consent" event
// (e.g. "sms_consent") in their journey, idempotent by ch.Key, and the consent itself, which Consent then returns.
// Changes are ordered by their events' position in the log, so a retried or replayed change that an other came
// after changes nothing, and a change whose event was stored before a failure is applied when it is retried.
// Changes of one number are applied one at a time in this process (several replicas need the store to do it: see
// the notes of the scale-out work). It returns the consent now in force, ErrUnknownUser when the channel's user
// is not known (nothing stored), and store errors wrapped.
func (e *Engine) SetConsent(ctx context.Context, ch ConsentChange) (Consent, error) {
	if ch.Channel == "" || ch.UserID == "" {
		return Consent{}, errors.New("set consent: channel and user are required")
	}
	id, err := e.cfg.Store.FindIdentity(ctx, ch.Channel, ch.UserID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return Consent{}, ErrUnknownUser
	}
	if err != nil {
		return Consent{}, fmt.Errorf("set consent: %w", err)
	}
	convID := ""
	if ch.ThreadID != "" {
		conv, err := e.cfg.Store.LatestConversation(ctx, id.CustomerID, ch.Channel, ch.ThreadID)
		switch {
		case err == nil:
			convID = conv.ID
		case !errors.Is(err, journeystate.ErrNotFound):
			return Consent{}, fmt.Errorf("set consent: %w", err)
		}
	}
	state := consentIn
	if ch.OptedOut {
		state = consentOut
	}
	payload, err := json.Marshal(map[string]any{"state": state, "keyword": truncate(ch.Keyword, 64), "user_id": ch.UserID})
	if err != nil {
		return Consent{}, fmt.Errorf("set consent: %w", err)
	}
	ev, _, err := e.cfg.Store.AppendEvent(ctx, journeystate.Event{
		CustomerID: id.CustomerID, ConversationID: convID, Type: ch.Channel + "_consent", Channel: ch.Channel,
		Actor: journeystate.ActorCustomer, Cause: ch.Cause, Payload: payload, Key: ch.Key,
	})
	if err != nil {
		return Consent{}, fmt.Errorf("set consent: %w", err)
	}
	// The read, compare and write of the consent are one step per number in this process (two webhooks of one
	// number may overlap: Twilio does not promise one at a time), so that an older change never lands last.
	unlock := e.lockConsent(ch.Channel, ch.UserID)
	defer unlock()
	// The customer may have been merged since the identity was looked up: follow the identity again.
	cust, err := e.customerOf(ctx, ch.Channel, ch.UserID)
	if err != nil {
		return Consent{}, fmt.Errorf("set consent: %w", err)
	}
	key := consentTrait(ch.Channel, ch.UserID)
	current := parseConsent(cust.Traits[key])
	if current.Seq >= ev.Seq && cust.Traits[key] != "" {
		return current, nil // a newer change (or this one) is in force
	}
	if _, err := e.cfg.Store.UpdateCustomer(ctx, cust.ID, journeystate.CustomerUpdate{
		Traits: map[string]string{key: state + "@" + strconv.FormatInt(ev.Seq, 10)},
		Actor:  journeystate.ActorCustomer, Cause: cmpOr(ch.Cause, "consent "+state), Channel: ch.Channel,
		ConversationID: convID,
	}); err != nil {
		return Consent{}, fmt.Errorf("set consent: %w", err)
	}
	return Consent{OptedOut: ch.OptedOut, Seq: ev.Seq}, nil
}

// Consent returns the consent of the customer the channel knows as userID: the zero Consent (not opted out) for a
// user who never changed it or is not known. It returns store errors wrapped.
func (e *Engine) Consent(ctx context.Context, channel, userID string) (Consent, error) {
	cust, err := e.customerOf(ctx, channel, userID)
	if errors.Is(err, ErrUnknownUser) {
		return Consent{}, nil
	}
	if err != nil {
		return Consent{}, fmt.Errorf("consent: %w", err)
	}
	return parseConsent(cust.Traits[consentTrait(channel, userID)]), nil
}

// customerOf returns the customer the channel's user is now, or ErrUnknownUser.
func (e *Engine) customerOf(ctx context.Context, channel, userID string) (journeystate.Customer, error) {
	id, err := e.cfg.Store.FindIdentity(ctx, channel, userID)
	if errors.Is(err, journeystate.ErrNotFound) {
		return journeystate.Customer{}, ErrUnknownUser
	}
	if err != nil {
		return journeystate.Customer{}, err
	}
	return e.cfg.Store.Customer(ctx, id.CustomerID)
}

// consentStripes is how many locks the consent changes of all numbers share.
const consentStripes = 64

// lockConsent takes the lock of the stripe the channel user falls in and returns its unlock.
func (e *Engine) lockConsent(channel, userID string) func() {
	h := fnv.New32a()
	h.Write([]byte(channel + "\x00" + userID))
	mu := &e.consentLocks[h.Sum32()%consentStripes]
	mu.Lock()
	return mu.Unlock
}
