package sms

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// Twilio's documented example (https://www.twilio.com/docs/usage/security#validating-requests).
const (
	vectorToken = "12345"
	vectorURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorSig   = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
)

func vectorForm() url.Values {
	return url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
}

func TestSignatureVector(t *testing.T) {
	// The request reaches the server under another host (a proxy in front): the configured URL is what counts.
	r := httptest.NewRequest("POST", "http://10.0.0.7:8080/myapp.php?foo=1&bar=2", nil)
	signed := signedURL("https://mycompany.com", r)
	if signed != vectorURL {
		t.Fatalf("signed URL %q, want %q", signed, vectorURL)
	}
	tampered := vectorForm()
	tampered.Set("Digits", "1235")
	extra := vectorForm()
	extra.Set("Body", "hi")
	repeated := vectorForm()
	repeated.Add("Digits", "1234")
	tests := []struct {
		name string
		url  string
		form url.Values
		sig  string
		want bool
	}{
		{"documented vector", signed, vectorForm(), vectorSig, true},
		{"with the default port", "https://mycompany.com:443/myapp.php?foo=1&bar=2", vectorForm(), vectorSig, true},
		{"tampered value", signed, tampered, vectorSig, false},
		{"added parameter", signed, extra, vectorSig, false},
		{"repeated parameter", signed, repeated, vectorSig, false},
		{"other host", "https://10.0.0.7:8080/myapp.php?foo=1&bar=2", vectorForm(), vectorSig, false},
		{"other query", "https://mycompany.com/myapp.php?foo=1", vectorForm(), vectorSig, false},
		{"missing signature", signed, vectorForm(), "", false},
		{"garbage signature", signed, vectorForm(), "not base64!", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validSignature(vectorToken, tt.url, tt.form, tt.sig); got != tt.want {
				t.Errorf("validSignature = %v, want %v", got, tt.want)
			}
		})
	}
	if validSignature("54321", signed, vectorForm(), vectorSig) {
		t.Error("valid with another auth token")
	}
}

const testSID = "SM0123456789abcdef0123456789abcdef"

func goodForm() url.Values {
	return url.Values{"MessageSid": {testSID}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From": {"+14155550100"}, "To": {"+14155550199"}, "Body": {"Hello"}, "NumMedia": {"0"}}
}

func TestParseWebhook(t *testing.T) {
	with := func(kv ...string) url.Values {
		f := goodForm()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "<del>" {
				f.Del(kv[i])
			} else {
				f.Set(kv[i], kv[i+1])
			}
		}
		return f
	}
	tests := []struct {
		name    string
		form    url.Values
		want    webhook
		wantErr bool
	}{
		{"plain", goodForm(), webhook{MessageSID: testSID, From: "+14155550100", To: "+14155550199", Body: "Hello"}, false},
		{"short code to", with("To", "89361"), webhook{MessageSID: testSID, From: "+14155550100", To: "89361", Body: "Hello"}, false},
		{"mms", with("NumMedia", "2", "MediaUrl0", "https://api.twilio.com/m/1", "MediaContentType0", "image/jpeg",
			"MediaUrl1", "https://api.twilio.com/m/2"),
			webhook{MessageSID: testSID, From: "+14155550100", To: "+14155550199", Body: "Hello",
				Media: []media{{"https://api.twilio.com/m/1", "image/jpeg"}, {"https://api.twilio.com/m/2", ""}}}, false},
		{"empty body is not an error here", with("Body", ""), webhook{MessageSID: testSID, From: "+14155550100", To: "+14155550199"}, false},
		{"missing from", with("From", "<del>"), webhook{}, true},
		{"national from", with("From", "4155550100"), webhook{}, true},
		{"whatsapp from", with("From", "whatsapp:+14155550100"), webhook{}, true},
		{"alphanumeric from", with("From", "ACME"), webhook{}, true},
		{"invalid number", with("From", "+1000"), webhook{}, true},
		{"from with spaces", with("From", "+1 415 555 0100"), webhook{}, true},
		{"missing sid", with("MessageSid", "<del>"), webhook{}, true},
		{"bad sid", with("MessageSid", "SM'; DROP TABLE"), webhook{}, true},
		{"missing to", with("To", "<del>"), webhook{}, true},
		{"invalid utf-8 body", with("Body", "caf\xe9"), webhook{}, true},
		{"too long body", with("Body", strings.Repeat("a", maxBodyChars+1)), webhook{}, true},
		{"bad num media", with("NumMedia", "-1"), webhook{}, true},
		{"missing media url", with("NumMedia", "1"), webhook{}, true},
		{"http media url", with("NumMedia", "1", "MediaUrl0", "http://evil.example/x"), webhook{}, true},
		{"javascript media url", with("NumMedia", "1", "MediaUrl0", "javascript:alert(1)"), webhook{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWebhook(tt.form)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseWebhook (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWebhookText(t *testing.T) {
	w := webhook{Body: " Look at this ", Media: []media{{"https://api.twilio.com/m/1", "image/png"}}}
	if got, want := w.text(), "Look at this\n[attachment: https://api.twilio.com/m/1 (image/png)]"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	w = webhook{Media: []media{{"https://api.twilio.com/m/1", ""}}}
	if got, want := w.text(), "[attachment: https://api.twilio.com/m/1]"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		body, optOutType string
		want             keyword
	}{
		{"STOP", "", optOut}, {"stop", "", optOut}, {"  Stop. ", "", optOut}, {"StopAll", "", optOut},
		{"unsubscribe", "", optOut}, {"CANCEL", "", optOut}, {"end", "", optOut}, {"quit!", "", optOut},
		{"START", "", optIn}, {"yes", "", optIn}, {"Unstop", "", optIn},
		{"help", "", help}, {"INFO?", "", help},
		{"please don't stop", "", noKeyword}, {"stop it now", "", noKeyword}, {"", "", noKeyword},
		{"stopp", "", noKeyword}, {"arrêt", "", noKeyword},
		{"Stop sending these", "STOP", optOut}, // Twilio's Advanced Opt-Out matched its own keyword
		{"whatever", "START", optIn},
	}
	for _, tt := range tests {
		if got := classify(tt.body, tt.optOutType); got != tt.want {
			t.Errorf("classify(%q, %q) = %d, want %d", tt.body, tt.optOutType, got, tt.want)
		}
	}
}

func TestTokenSet(t *testing.T) {
	s := newTokenSet(2)
	s.add("a")
	s.add("b")
	s.add("a") // already there: does not push b out
	s.add("c") // pushes a out
	for tok, want := range map[string]bool{"a": false, "b": true, "c": true, "": false} {
		if got := s.has(tok); got != want {
			t.Errorf("has(%q) = %v, want %v", tok, got, want)
		}
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add(goodForm().Encode())
	f.Add("MessageSid=" + testSID + "&From=%2B14155550100&To=89361&Body=STOP&NumMedia=1&MediaUrl0=https%3A%2F%2Fx.y%2Fz")
	f.Add("From=%2B1&Body=%ff%fe&NumMedia=99999999999999999999")
	f.Add("MessageSid=" + testSID + "&From=%2B14155550100&To=%2B14155550199&Body=" + strings.Repeat("%F0%9F%98%80", 50))
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		w, err := parseWebhook(form)
		if err != nil {
			return
		}
		if !sidPattern.MatchString(w.MessageSID) || !strings.HasPrefix(w.From, "+") || len(w.Media) > maxMedia {
			t.Fatalf("accepted a bad webhook: %+v", w)
		}
		text := w.text()
		if !utf8.ValidString(text) || utf8.RuneCountInString(w.Body) > maxBodyChars {
			t.Fatalf("bad text from %q", raw)
		}
		for _, m := range w.Media {
			if !strings.HasPrefix(m.URL, "https://") {
				t.Fatalf("non-https media %q", m.URL)
			}
		}
		_ = classify(w.Body, w.OptOutType)
	})
}
