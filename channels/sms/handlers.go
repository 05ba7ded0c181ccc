package sms

import (
	"context"
	"errors"
	"net/http"

	"github.com/twilio/twilio-go/twiml"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// emptyTwiML answers a webhook with no message: the bot's answer goes out through the REST API.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// idempotencyHeader is the header Twilio sends with the same value on every retry of one webhook.
const idempotencyHeader = "I-Twilio-Idempotency-Token"

// handleMessage serves the incoming-message webhook: limit the body, parse the form, check the signature, hand the
// message to the engine (or record a keyword), and answer with TwiML. A signature that is missing or wrong gets 403
// and changes nothing; a form that is not Twilio's 400; an engine shutting down 503, so that Twilio tries again.
func (c *Channel) handleMessage(w http.ResponseWriter, r *http.Request) {
	form, ok := c.verified(w, r, "message")
	if !ok {
		return
	}
	token := r.Header.Get(idempotencyHeader)
	if c.tokens.has(token) {
		c.metrics.webhooks.WithLabelValues("message", "duplicate").Inc()
		writeTwiML(w, emptyTwiML)
		return
	}
	msg, err := parseWebhook(form)
	if err != nil {
		// The reason may quote the sender's number: it is logged at debug only, like message texts.
		c.log.Info("sms webhook refused: invalid form")
		c.log.Debug("sms webhook refused", "err", err)
		c.metrics.webhooks.WithLabelValues("message", "invalid").Inc()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), engineWait)
	defer cancel()
	reply, err := c.take(ctx, msg)
	if err != nil {
		c.fail(w, "message", err)
		return
	}
	c.tokens.add(token)
	c.metrics.webhooks.WithLabelValues("message", "ok").Inc()
	writeTwiML(w, reply)
}

// take hands one verified message to the engine and returns the TwiML to answer with.
func (c *Channel) take(ctx context.Context, msg webhook) (string, error) {
	thread := threadID(msg.From, msg.To)
	// The number is verified (the carrier delivered a message from it): it joins the customer with the one known
	// by that phone number on any channel, before the bot's turn builds its context.
	if _, err := c.engine.IdentifyUser(ctx, journeystate.ChannelSMS, msg.From, bot.Identification{
		Phone: msg.From, PhoneVerified: true, ChannelVerified: true, Evidence: "SMS from the number, Twilio-signed webhook " + msg.MessageSID,
	}); err != nil {
		return "", err
	}
	kw := classify(msg.Body, msg.OptOutType)
	if kw == optIn && msg.OptOutType == "" {
		// "Yes" is an opt-in only for a number that opted out; otherwise it is an answer ("Shall I book 3 pm?")
		// that the bot must see.
		consent, err := c.engine.Consent(ctx, journeystate.ChannelSMS, msg.From)
		if err != nil {
			return "", err
		}
		if !consent.OptedOut {
			kw = noKeyword
		}
	}
	switch kw {
	case optOut, optIn:
		_, err := c.engine.SetConsent(ctx, bot.ConsentChange{
			Channel: journeystate.ChannelSMS, UserID: msg.From, ThreadID: thread, OptedOut: kw == optOut,
			Keyword: msg.Body, Key: "twilio-consent:" + msg.MessageSID, Cause: "sms keyword",
		})
		// Nothing is answered: Twilio confirms opt-outs and opt-ins itself, and the bot must stay silent.
		return emptyTwiML, err
	case help:
		if msg.OptOutType != "" {
			// Twilio's Advanced Opt-Out has answered HELP already: record it, send nothing more.
			_, err := c.engine.RecordChannelEvent(ctx, bot.ChannelEvent{
				Channel: journeystate.ChannelSMS, UserID: msg.From, ThreadID: thread, Type: "sms_help",
				Key: "twilio-help:" + msg.MessageSID, Cause: "sms keyword, answered by Twilio",
			})
			if errors.Is(err, bot.ErrUnknownUser) {
				err = nil
			}
			return emptyTwiML, err
		}
		return c.helpReply(ctx, msg, thread)
	}
	_, err := c.engine.Receive(ctx, channels.Inbound{
		Channel:     journeystate.ChannelSMS,
		UserID:      msg.From,
		Level:       journeystate.LevelVerified,
		Profile:     journeystate.Profile{Phone: msg.From},
		ThreadID:    thread,
		ClientMsgID: msg.MessageSID,
		Text:        msg.text(),
		ReceivedAt:  c.opts.Now(),
	})
	switch {
	case errors.Is(err, bot.ErrEmptyMessage), errors.Is(err, bot.ErrTooLong):
		// Twilio resending it would not change it: acknowledge, answer nothing.
		c.log.Info("sms message refused by the engine", "sid", msg.MessageSID, "err", err)
		return emptyTwiML, nil
	case err != nil:
		return "", err
	}
	return emptyTwiML, nil
}

// helpReply records a HELP and answers it with Options.HelpText in TwiML, once per message and never to a number
// that opted out.
func (c *Channel) helpReply(ctx context.Context, msg webhook, thread string) (string, error) {
	dup, err := c.engine.RecordChannelEvent(ctx, bot.ChannelEvent{
		Channel: journeystate.ChannelSMS, UserID: msg.From, ThreadID: thread, Type: "sms_help",
		Key: "twilio-help:" + msg.MessageSID, Cause: "sms keyword", Payload: map[string]any{"keyword": msg.Body},
	})
	if err != nil || dup || c.opts.HelpText == "" {
		return emptyTwiML, err
	}
	consent, err := c.engine.Consent(ctx, journeystate.ChannelSMS, msg.From)
	if err != nil {
		return "", err
	}
	if consent.OptedOut {
		c.metrics.failed.WithLabelValues("opted_out").Inc()
		return emptyTwiML, nil
	}
	body := c.split.split(plainText(c.opts.HelpText))
	if len(body) == 0 {
		return emptyTwiML, nil
	}
	doc, err := twiml.Messages([]twiml.Element{&twiml.MessagingMessage{Body: body[0]}})
	if err != nil {
		return "", err
	}
	c.metrics.countSent(body[0])
	return doc, nil
}

// handleStatus serves the status callback: after the same checks as handleMessage, it records the message's
// status in the customer's journey as an "sms_status" event, once per message and status.
func (c *Channel) handleStatus(w http.ResponseWriter, r *http.Request) {
	form, ok := c.verified(w, r, "status")
	if !ok {
		return
	}
	st, err := parseStatus(form)
	if err != nil {
		c.log.Info("sms status callback refused", "err", err)
		c.metrics.webhooks.WithLabelValues("status", "invalid").Inc()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), engineWait)
	defer cancel()
	payload := map[string]any{"sid": st.MessageSID, "status": st.Status}
	if st.ErrorCode != "" {
		payload["error_code"] = st.ErrorCode
	}
	dup, err := c.engine.RecordChannelEvent(ctx, bot.ChannelEvent{
		Channel: journeystate.ChannelSMS, UserID: st.To, ThreadID: threadID(st.To, st.From), Type: "sms_status",
		Key: "twilio-status:" + st.MessageSID + ":" + st.Status, Cause: "twilio status callback", Payload: payload,
	})
	if errors.Is(err, bot.ErrUnknownUser) {
		// A message this server did not send to anyone it knows: nothing to record, nothing to retry.
		err = nil
	}
	if err != nil {
		c.fail(w, "status", err)
		return
	}
	result := "ok"
	if dup {
		result = "duplicate"
	}
	c.metrics.webhooks.WithLabelValues("status", result).Inc()
	w.WriteHeader(http.StatusNoContent)
}

// verified reads the form of a webhook and checks its signature; when it returns false it has answered.
func (c *Channel) verified(w http.ResponseWriter, r *http.Request, kind string) (map[string][]string, bool) {
	form, err := readForm(w, r, c.opts.MaxBodyBytes)
	switch {
	case errors.Is(err, errTooLarge):
		c.metrics.webhooks.WithLabelValues(kind, "too_large").Inc()
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	case err != nil:
		// An unparsable form cannot carry a valid signature: refuse it as forged.
		c.log.Info("sms webhook refused: unreadable form", "kind", kind, "err", err)
		c.metrics.webhooks.WithLabelValues(kind, "forbidden").Inc()
		http.Error(w, "invalid signature", http.StatusForbidden)
		return nil, false
	}
	if !validSignature(c.opts.AuthToken, signedURL(c.opts.PublicURL, r), form, r.Header.Get("X-Twilio-Signature")) {
		c.log.Info("sms webhook refused: bad signature", "kind", kind, "path", r.URL.Path)
		c.metrics.webhooks.WithLabelValues(kind, "forbidden").Inc()
		http.Error(w, "invalid signature", http.StatusForbidden)
		return nil, false
	}
	return form, true
}

// fail answers a webhook whose handling failed: 503 while the engine shuts down (Twilio retries), 500 otherwise.
// The cause is logged, never shown.
func (c *Channel) fail(w http.ResponseWriter, kind string, err error) {
	if errors.Is(err, bot.ErrShuttingDown) {
		c.metrics.webhooks.WithLabelValues(kind, "unavailable").Inc()
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the server is restarting", http.StatusServiceUnavailable)
		return
	}
	c.log.Error("sms webhook failed", "kind", kind, "err", err)
	c.metrics.webhooks.WithLabelValues(kind, "error").Inc()
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func writeTwiML(w http.ResponseWriter, doc string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(doc))
}
