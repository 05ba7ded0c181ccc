package api

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeEventName(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Order Completed", "order_completed"},
		{"order_placed", "order_placed"},
		{"order-placed", "order_placed"},
		{"  Viewed   Pricing  ", "viewed_pricing"},
		{"viewedPricing", "viewed_pricing"},
		{"URLClicked", "url_clicked"},
		{"Step2Done", "step2_done"},
		{"v2 signup", "v2_signup"},
		{"Checkout: Step 1!", "checkout_step_1"},
		{"Über Signup", "über_signup"},
		{"注文完了", "注文完了"},
		{"__private__", "private"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := normalizeEventName(tt.in, func(field, format string, args ...any) {
				t.Errorf("refused: "+format, args...)
			})
			if !ok || got != tt.want {
				t.Errorf("normalizeEventName(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

// FuzzDecodeEvents: whatever the body, decodeBody does not panic, and what it accepts is ready to record: every
// call has a type and a customer, every event name is lower_snake within bounds, and a batch is within its limit.
func FuzzDecodeEvents(f *testing.F) {
	for _, seed := range []string{
		`{"type":"track","userId":"u1","event":"Order Completed","properties":{"total":1},"messageId":"m"}`,
		`{"type":"identify","anonymousId":"a","traits":{"email":"ada@example.com","phone":"+14155550100"}}`,
		`{"type":"page","userId":1,"name":"Pricing","timestamp":"2026-03-01T10:00:00Z"}`,
		`{"batch":[{"type":"screen","userId":"u"},{"type":"track","event":"x","context":{"traits":{"email":"a@b.co"}}}]}`,
		`{"type":"track","userId":"u","event":"x","originalTimestamp":"2026-03-01T10:00:00Z","sentAt":"2026-03-01T10:00:01Z"}`,
		`[]`, `null`, `{"batch":null}`, `{"type":"track","event":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	d := decoder{now: testNow, live: true, maxCallBytes: DefaultMaxCallBytes, maxBatch: DefaultMaxBatch}
	f.Fuzz(func(t *testing.T, body []byte) {
		calls, errs, err := d.decodeBody(body, "")
		if err != nil && (calls != nil || errs != nil) {
			t.Fatalf("a body error with calls or field errors: %v", err)
		}
		if len(errs) > 0 && calls != nil {
			t.Fatal("field errors and calls")
		}
		if len(calls) > DefaultMaxBatch {
			t.Fatalf("%d calls", len(calls))
		}
		for i, c := range calls {
			if c.typ == "" || c.ref.UserID == "" && c.ref.AnonymousID == "" && c.ref.Email == "" && c.ref.Phone == "" {
				t.Fatalf("call %d accepted without a type or a customer: %+v", i, c)
			}
			if c.typ == typeIdentify {
				continue
			}
			if c.event == "" || utf8.RuneCountInString(c.event) > 2*maxEventNameLen || strings.ContainsAny(c.event, " -\x00") ||
				strings.ToLower(c.event) != c.event || strings.HasPrefix(c.event, "_") || strings.HasSuffix(c.event, "_") {
				t.Fatalf("call %d: event name %q is not lower_snake", i, c.event)
			}
			if c.time.After(testNow.Add(maxFuture)) {
				t.Fatalf("call %d: time %v is in the future", i, c.time)
			}
		}
		for _, e := range errs {
			if e.Message == "" || !utf8.ValidString(e.Message) {
				t.Fatalf("field error without a message: %+v", e)
			}
		}
	})
}
