package sms

import (
	"fmt"
	"net/url"
)

// status is a status callback: what became of a message this channel sent.
type status struct {
	MessageSID string
	Status     string // queued, sent, delivered, undelivered, failed, ...
	ErrorCode  string // Twilio's error code when it failed, e.g. "30003"
	To         string // the customer
	From       string // our number
}

// parseStatus checks a status callback form. It returns an error wrapping errBadForm when MessageSid is not a
// Twilio sid, MessageStatus not a status word, ErrorCode not a number, or To not an E.164 number.
func parseStatus(form url.Values) (status, error) {
	st := status{MessageSID: form.Get("MessageSid"), Status: form.Get("MessageStatus"), ErrorCode: form.Get("ErrorCode")}
	if st.Status == "" {
		st.Status = form.Get("SmsStatus")
	}
	if !sidPattern.MatchString(st.MessageSID) {
		return status{}, fmt.Errorf("%w: MessageSid %.40q is not a Twilio sid", errBadForm, st.MessageSID)
	}
	if !statusPattern.MatchString(st.Status) {
		return status{}, fmt.Errorf("%w: MessageStatus %.40q", errBadForm, st.Status)
	}
	if st.ErrorCode != "" && !errorCodePattern.MatchString(st.ErrorCode) {
		return status{}, fmt.Errorf("%w: ErrorCode %.20q", errBadForm, st.ErrorCode)
	}
	var err error
	if st.To, err = e164(form.Get("To")); err != nil {
		return status{}, fmt.Errorf("%w: To: %v", errBadForm, err)
	}
	if st.From, err = ourNumber(form.Get("From")); err != nil {
		st.From = "" // a messaging service's sender may be anything: the event still belongs to the customer
	}
	return st, nil
}
