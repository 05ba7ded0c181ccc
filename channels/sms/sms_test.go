package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels/sms"
	"github.com/journeybot/journeybot/journeystate"
)

// messagesOf returns the SMS conversation of the number with our number and its messages; none when unknown.
func (h *harness) messagesOf(t *testing.T, number string) []journeystate.Message {
	t.Helper()
	ctx := context.Background()
	id, err := h.store.FindIdentity(ctx, journeystate.ChannelSMS, number)
	if errors.Is(err, journeystate.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	conv, err := h.store.LatestConversation(ctx, id.CustomerID, journeystate.ChannelSMS, number+"|"+ourNumber)
	if errors.Is(err, journeystate.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := h.store.Messages(ctx, conv.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// eventsOf returns the customer's journey events of type typ.
func (h *harness) eventsOf(t *testing.T, number, typ string) []journeystate.Event {
	t.Helper()
	ctx := context.Background()
	id, err := h.store.FindIdentity(ctx, journeystate.ChannelSMS, number)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := h.store.Events(ctx, journeystate.EventQuery{CustomerID: id.CustomerID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []journeystate.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// waitBotReplies waits until the conversation holds n bot messages.
func (h *harness) waitBotReplies(t *testing.T, number string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		got := 0
		for _, m := range h.messagesOf(t, number) {
			if m.Author == journeystate.ActorBot {
				got++
			}
		}
		if got >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d bot replies stored within 15 s", n)
}

func TestMessageAnsweredThroughREST(t *testing.T) {
	h := newHarness(t, nil)
	w := h.post(t, sms.WebhookPath, message(sid(1), customer, "How long does shipping take?"), "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("content type %q, want text/xml", ct)
	}
	if body := w.Body.String(); !strings.HasSuffix(body, "<Response/>") || strings.Contains(body, "<Message") {
		t.Errorf("webhook answered %q, want an empty <Response/>", body)
	}
	got := h.twilio.next(t)
	if got.To != customer || got.From != ourNumber || got.StatusCallback != publicURL+sms.StatusPath || got.Body == "" {
		t.Errorf("sent %+v; want To %s From %s StatusCallback %s and a body", got, customer, ourNumber, publicURL+sms.StatusPath)
	}
	msgs := h.messagesOf(t, customer)
	if len(msgs) != 2 || msgs[0].ClientID != sid(1) || msgs[0].Text != "How long does shipping take?" {
		t.Fatalf("stored %+v; want the customer's message (client id = MessageSid) and the reply", msgs)
	}
	// The number is a verified identity of the customer on the SMS channel and as a phone number.
	id, err := h.store.FindIdentity(context.Background(), journeystate.IdentityPhone, customer)
	if err != nil || id.Level != journeystate.LevelVerified {
		t.Errorf("phone identity %+v, %v; want verified", id, err)
	}
	cust, err := h.store.Customer(context.Background(), id.CustomerID)
	if err != nil || cust.Profile.Phone != customer {
		t.Errorf("customer profile %+v, %v; want phone %s", cust.Profile, err, customer)
	}
}

func TestReplayedWebhookAnsweredOnce(t *testing.T) {
	h := newHarness(t, nil)
	form := message(sid(2), customer, "Do you ship to Canada?")
	// Twilio's retries carry the same idempotency token; a replay by someone who captured the request may not.
	for i, token := range []string{"tok-1", "tok-1", "", "tok-other"} {
		w := h.post(t, sms.WebhookPath, form, "", "I-Twilio-Idempotency-Token", token)
		if w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d: %s", i, w.Code, w.Body)
		}
	}
	h.twilio.next(t)
	h.twilio.none(t, 500*time.Millisecond)
	var customerMsgs int
	for _, m := range h.messagesOf(t, customer) {
		if m.Author == journeystate.ActorCustomer {
			customerMsgs++
		}
	}
	if customerMsgs != 1 {
		t.Errorf("%d customer messages stored, want 1", customerMsgs)
	}
}

func TestForgedWebhooksChangeNothing(t *testing.T) {
	h := newHarness(t, nil)
	form := message(sid(3), customer, "hi")
	tampered := message(sid(3), customer, "hi")
	tampered.Set("Body", "send me everything")
	tests := []struct {
		name string
		form url.Values
		sig  string
	}{
		{"missing signature", form, "-"},
		{"wrong token", form, sign("another-token", publicURL+sms.WebhookPath, form)},
		{"signed for the request's host", form, sign(authToken, "http://10.1.2.3:8080"+sms.WebhookPath, form)},
		{"signed for another path", form, sign(authToken, publicURL+sms.StatusPath, form)},
		{"tampered body", tampered, sign(authToken, publicURL+sms.WebhookPath, form)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := tt.sig
			if sig == "-" {
				sig = " " // a blank header: no signature
			}
			w := h.post(t, sms.WebhookPath, tt.form, sig)
			if w.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", w.Code)
			}
		})
	}
	st := url.Values{"MessageSid": {sid(3)}, "MessageStatus": {"delivered"}, "To": {customer}, "From": {ourNumber}}
	if w := h.post(t, sms.StatusPath, st, "forged"); w.Code != http.StatusForbidden {
		t.Errorf("forged status callback: status %d, want 403", w.Code)
	}
	if _, err := h.store.FindIdentity(context.Background(), journeystate.ChannelSMS, customer); !errors.Is(err, journeystate.ErrNotFound) {
		t.Errorf("a forged webhook created the sender: %v", err)
	}
	h.twilio.none(t, 200*time.Millisecond)
}

func TestHostileForms(t *testing.T) {
	h := newHarness(t, func(o *sms.Options) { o.MaxBodyBytes = 4096 })
	huge := message(sid(4), customer, strings.Repeat("a", 5000))
	tests := []struct {
		name string
		form url.Values
		raw  string // sent instead of form when set, unsigned
		want int
	}{
		{"huge body", huge, "", http.StatusRequestEntityTooLarge},
		{"bad encoding", nil, "Body=%ZZ&From=%2B14155550100", http.StatusForbidden},
		{"missing from", deleted(message(sid(5), customer, "hi"), "From"), "", http.StatusBadRequest},
		{"non-E.164 from", message(sid(6), "4155550100", "hi"), "", http.StatusBadRequest},
		{"short code from", message(sid(7), "89361", "hi"), "", http.StatusBadRequest},
		{"invalid utf-8", message(sid(8), customer, "caf\xe9"), "", http.StatusBadRequest},
		{"missing sid", deleted(deleted(message(sid(9), customer, "hi"), "MessageSid"), "SmsMessageSid"), "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			if tt.raw != "" {
				w := httptest.NewRecorder()
				h.mux.ServeHTTP(w, newRawRequest(tt.raw))
				code = w.Code
			} else {
				code = h.post(t, sms.WebhookPath, tt.form, "").Code
			}
			if code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
		})
	}
	// Missing Body (a signed, valid form) is acknowledged and stores nothing: there is nothing to answer.
	if w := h.post(t, sms.WebhookPath, deleted(message(sid(10), customer, ""), "Body"), ""); w.Code != http.StatusOK {
		t.Errorf("empty message: status %d, want 200", w.Code)
	}
	if msgs := h.messagesOf(t, customer); len(msgs) != 0 {
		t.Errorf("hostile forms stored %d messages", len(msgs))
	}
	h.twilio.none(t, 200*time.Millisecond)
}

func deleted(f url.Values, key string) url.Values {
	f.Del(key)
	return f
}

func TestStopStopsEverythingAfterIt(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if w := h.post(t, sms.WebhookPath, message(sid(20), customer, "Hi, what is your warranty?"), ""); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	h.twilio.next(t)

	w := h.post(t, sms.WebhookPath, message(sid(21), customer, " Stop "), "")
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "<Message") {
		t.Fatalf("STOP answered %d %q, want 200 and an empty response", w.Code, w.Body)
	}
	h.twilio.none(t, 300*time.Millisecond)
	if evs := h.eventsOf(t, customer, "sms_consent"); len(evs) != 1 {
		t.Errorf("%d sms_consent events, want 1", len(evs))
	}

	// A later message is stored (an agent may read it) and the bot's reply is stored, but nothing goes out.
	h.post(t, sms.WebhookPath, message(sid(22), customer, "Actually, how do returns work?"), "")
	h.waitBotReplies(t, customer, 2)
	h.twilio.none(t, 300*time.Millisecond)
	// Delivering anything (an agent's message) is refused.
	conv := journeystate.Conversation{ID: "c", Channel: journeystate.ChannelSMS, ThreadID: customer + "|" + ourNumber}
	err := h.channel.Deliver(ctx, conv, journeystate.Message{Author: journeystate.ActorAgent, Text: "Hello?"})
	if !errors.Is(err, sms.ErrOptedOut) {
		t.Errorf("Deliver to an opted-out number: %v, want ErrOptedOut", err)
	}
	// HELP gets no answer either while opted out.
	if w := h.post(t, sms.WebhookPath, message(sid(23), customer, "HELP"), ""); strings.Contains(w.Body.String(), "<Message") {
		t.Errorf("HELP to an opted-out number answered: %q", w.Body)
	}
	// A replayed STOP changes nothing; START resumes.
	h.post(t, sms.WebhookPath, message(sid(21), customer, "STOP"), "")
	if w := h.post(t, sms.WebhookPath, message(sid(24), customer, "START"), ""); w.Code != http.StatusOK {
		t.Fatalf("START: status %d", w.Code)
	}
	h.twilio.none(t, 200*time.Millisecond) // the bot does not answer START
	h.post(t, sms.WebhookPath, message(sid(25), customer, "How do returns work?"), "")
	if got := h.twilio.next(t); got.To != customer {
		t.Errorf("after START sent to %s, want %s", got.To, customer)
	}
	// A replay of the old STOP after START does not opt out again.
	h.post(t, sms.WebhookPath, message(sid(21), customer, "STOP"), "")
	if err := h.channel.Deliver(ctx, conv, journeystate.Message{Text: "Still there?"}); err != nil {
		t.Errorf("Deliver after START and a replayed STOP: %v", err)
	}
	// Refused: the bot's reply while opted out, the agent's message, the HELP answer.
	if got, want := metric(t, h, "journeybot_sms_messages_failed_total", "reason", "opted_out"), 3.0; got != want {
		t.Errorf("opted_out failures %v, want %v", got, want)
	}
}

func TestHelpAnswered(t *testing.T) {
	h := newHarness(t, nil)
	w := h.post(t, sms.WebhookPath, message(sid(30), customer, "help"), "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<Message>Hearthly: help at hearthly.example/help. Reply STOP to opt out.</Message>") {
		t.Fatalf("HELP answered %d %q", w.Code, w.Body)
	}
	// A retry does not answer twice.
	if w := h.post(t, sms.WebhookPath, message(sid(30), customer, "help"), ""); strings.Contains(w.Body.String(), "<Message") {
		t.Errorf("retried HELP answered again: %q", w.Body)
	}
	h.twilio.none(t, 300*time.Millisecond) // the bot does not take a turn for it
}

func TestStatusCallbacksRecorded(t *testing.T) {
	h := newHarness(t, nil)
	h.post(t, sms.WebhookPath, message(sid(40), customer, "Hello"), "")
	h.twilio.next(t)
	status := func(st, code string) url.Values {
		f := url.Values{"MessageSid": {sid(99)}, "SmsSid": {sid(99)}, "MessageStatus": {st}, "SmsStatus": {st},
			"To": {customer}, "From": {ourNumber}, "AccountSid": {accountSID}, "ApiVersion": {"2010-04-01"}}
		if code != "" {
			f.Set("ErrorCode", code)
		}
		return f
	}
	for _, f := range []url.Values{status("sent", ""), status("sent", ""), status("undelivered", "30003")} {
		if w := h.post(t, sms.StatusPath, f, ""); w.Code/100 != 2 {
			t.Fatalf("status callback: %d %s", w.Code, w.Body)
		}
	}
	evs := h.eventsOf(t, customer, "sms_status")
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Key+" "+string(ev.Payload))
		if ev.ConversationID == "" {
			t.Errorf("status event %s outside the conversation", ev.Key)
		}
	}
	want := []string{
		"twilio-status:" + sid(99) + `:sent {"sid":"` + sid(99) + `","status":"sent"}`,
		"twilio-status:" + sid(99) + `:undelivered {"error_code":"30003","sid":"` + sid(99) + `","status":"undelivered"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sms_status events (-want +got):\n%s", diff)
	}
	// A status for a number nobody knows is acknowledged and records nothing.
	unknown := status("delivered", "")
	unknown.Set("To", "+14155550111")
	if w := h.post(t, sms.StatusPath, unknown, ""); w.Code/100 != 2 {
		t.Errorf("unknown number: status %d", w.Code)
	}
	bad := status("delivered'--", "")
	if w := h.post(t, sms.StatusPath, bad, ""); w.Code != http.StatusBadRequest {
		t.Errorf("bad status word: %d, want 400", w.Code)
	}
}

func TestLongAnswerSplit(t *testing.T) {
	h := newHarness(t, func(o *sms.Options) { o.MaxSegments = 1; o.From = ourNumber })
	long := strings.Repeat("Your thermostat can be reset from the settings menu. ", 6) + "Thanks! 😀"
	// A thread without our number: the default from number sends.
	conv := journeystate.Conversation{ID: "c", Channel: journeystate.ChannelSMS, ThreadID: customer}
	if err := h.channel.Deliver(context.Background(), conv, journeystate.Message{Text: long}); err != nil {
		t.Fatal(err)
	}
	got := h.twilio.all()
	if len(got) < 3 {
		t.Fatalf("%d messages sent, want the reply split in at least 3: %+v", len(got), got)
	}
	var segs float64
	for i, m := range got {
		if m.From != ourNumber || m.To != customer {
			t.Errorf("part %d from %s to %s", i, m.From, m.To)
		}
		label := "(" + itoa(i+1) + "/" + itoa(len(got)) + ") "
		if !strings.HasPrefix(m.Body, label) {
			t.Errorf("part %d = %q, want label %q", i, m.Body, label)
		}
		if enc, n := sms.Segments(m.Body); n != 1 {
			t.Errorf("part %d takes %d %s segments, want 1", i, n, enc)
		}
		segs++
	}
	gsm := metric(t, h, "journeybot_sms_segments_total", "encoding", "gsm7")
	ucs := metric(t, h, "journeybot_sms_segments_total", "encoding", "ucs2")
	if gsm+ucs != segs || ucs != 1 {
		t.Errorf("segments counted gsm7 %v + ucs2 %v, want %v with the emoji's part in ucs2", gsm, ucs, segs)
	}
}

func TestTwilioRefusalIsAnError(t *testing.T) {
	h := newHarness(t, nil)
	h.twilio.refuse = 21610
	conv := journeystate.Conversation{ID: "c", Channel: journeystate.ChannelSMS, ThreadID: customer + "|" + ourNumber}
	err := h.channel.Deliver(context.Background(), conv, journeystate.Message{Text: "Hi"})
	if err == nil || !strings.Contains(err.Error(), "21610") {
		t.Errorf("Deliver: %v, want Twilio's 21610 refusal", err)
	}
}

func TestMMSAttachmentsKept(t *testing.T) {
	h := newHarness(t, nil)
	f := message(sid(50), customer, "My thermostat shows this")
	f.Set("NumMedia", "1")
	f.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/"+accountSID+"/Messages/"+sid(50)+"/Media/ME1")
	f.Set("MediaContentType0", "image/jpeg")
	if w := h.post(t, sms.WebhookPath, f, ""); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	h.twilio.next(t)
	msgs := h.messagesOf(t, customer)
	want := "My thermostat shows this\n[attachment: " + f.Get("MediaUrl0") + " (image/jpeg)]"
	if len(msgs) == 0 || msgs[0].Text != want {
		t.Errorf("stored %+v, want text %q", msgs, want)
	}
}

func TestNewChecksOptions(t *testing.T) {
	good := sms.Options{AccountSID: accountSID, AuthToken: authToken, PublicURL: publicURL}
	tests := []struct {
		name  string
		tweak func(*sms.Options)
	}{
		{"no sid", func(o *sms.Options) { o.AccountSID = "" }},
		{"no token", func(o *sms.Options) { o.AuthToken = "" }},
		{"no public url", func(o *sms.Options) { o.PublicURL = "" }},
		{"relative public url", func(o *sms.Options) { o.PublicURL = "/bot" }},
		{"bad api url", func(o *sms.Options) { o.APIBaseURL = "ftp://x" }},
		{"national from", func(o *sms.Options) { o.From = "4155550100" }},
	}
	if _, err := sms.New(nil, good); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.tweak(&o)
			if _, err := sms.New(nil, o); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestSameCustomerAcrossChannels(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	// The company's systems know user u-42 by this phone number (a verified identity).
	res, err := h.engine.Identify(ctx, bot.Traits{Customer: bot.CustomerRef{UserID: "u-42"}, Name: "Ada", Phone: customer})
	if err != nil {
		t.Fatal(err)
	}
	h.post(t, sms.WebhookPath, message(sid(60), customer, "Where is my order?"), "")
	h.twilio.next(t)
	id, err := h.store.FindIdentity(ctx, journeystate.ChannelSMS, customer)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := h.store.Customer(ctx, id.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	survivor := cust.ID
	if cust.MergedInto != "" {
		survivor = cust.MergedInto
	}
	if survivor != res.Customer.ID {
		t.Errorf("the SMS sender is customer %s, want %s (known by the phone number)", survivor, res.Customer.ID)
	}
}

// TestYesIsAnAnswerUnlessOptedOut: "Yes" opts a number back in only when it opted out; otherwise it answers the
// bot's question and gets a turn like any message.
func TestYesIsAnAnswerUnlessOptedOut(t *testing.T) {
	h := newHarness(t, nil)
	if w := h.post(t, sms.WebhookPath, message(sid(60), customer, "Yes!"), ""); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if got := h.twilio.next(t); got.To != customer {
		t.Errorf("sent %+v, want the bot's answer to %s", got, customer)
	}
	if msgs := h.messagesOf(t, customer); len(msgs) < 1 || msgs[0].Text != "Yes!" {
		t.Errorf("stored %+v, want the customer's Yes in the transcript", msgs)
	}
	if evs := h.eventsOf(t, customer, "sms_consent"); len(evs) != 0 {
		t.Errorf("a Yes from a number that never opted out recorded consent: %+v", evs)
	}
}

// TestHelpAnsweredByTwilioIsNotAnsweredAgain: with Advanced Opt-Out, Twilio answers HELP itself and says so.
func TestHelpAnsweredByTwilioIsNotAnsweredAgain(t *testing.T) {
	h := newHarness(t, nil)
	form := message(sid(61), customer, "HELP")
	form.Set("OptOutType", "HELP")
	w := h.post(t, sms.WebhookPath, form, "")
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "<Message") {
		t.Errorf("HELP already answered by Twilio got %d %q, want an empty response", w.Code, w.Body)
	}
	h.twilio.none(t, 200*time.Millisecond)
}
