package sms_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/channels/sms"
)

func itoa(n int) string { return strconv.Itoa(n) }

// newRawRequest is a webhook with a raw body and a made-up signature.
func newRawRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "http://10.1.2.3:8080"+sms.WebhookPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", "AAAA")
	return r
}

// metric returns the value of the counter name with the label, as the registry exposes it; 0 when absent.
func metric(t *testing.T, h *harness, name, label, value string) float64 {
	t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
