package redact_test

import (
	"strings"
	"testing"

	"github.com/journeybot/journeybot/bot/redact"
)

// BenchmarkRedact measures a customer message, with and without something to remove, through every built-in pass
// and one rule.
func BenchmarkRedact(b *testing.B) {
	r := mustNew(b, redact.Options{Cards: true, NationalIDs: redact.KnownNationalIDs(),
		Rules: []redact.Rule{{Name: "email", Pattern: `[\w.+-]+@[\w-]+(\.[\w-]+)+`}}})
	clean := "Hi, I ordered a thermostat last week (order 100234, 2 items) and it still hasn't arrived. " +
		"Can you tell me when it will ship to 12 Main Street? My phone is +1 555 0100."
	for _, bc := range []struct{ name, text string }{
		{"clean message", clean},
		{"message with a card and an ssn", clean + " Card 4111 1111 1111 1111, SSN 123-45-6789, mail jo@example.com."},
		{"64KB of digits and spaces", strings.Repeat("4111 1111 1111 1112 ", 64<<10/20)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				r.Redact(bc.text)
			}
		})
	}
}
