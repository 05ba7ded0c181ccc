package redact_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot/redact"
)

// all removes everything built in.
var all = redact.Options{Cards: true, NationalIDs: []string{"us_ssn", "uk_nino", "ca_sin", "de_steuer_id"}}

func mustNew(t testing.TB, o redact.Options) *redact.Redactor {
	t.Helper()
	r, err := redact.New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return r
}

func TestRedact(t *testing.T) {
	const card, ssn = "[card number removed]", "[US SSN removed]"
	tests := []struct {
		name  string
		opts  redact.Options // all when zero
		in    string
		want  string
		wantN int
	}{
		{name: "visa with spaces", in: "my card is 4111 1111 1111 1111 thanks", want: "my card is " + card + " thanks", wantN: 1},
		{name: "visa with dashes", in: "4242-4242-4242-4242", want: card, wantN: 1},
		{name: "visa in a row", in: "card:4111111111111111.", want: "card:" + card + ".", wantN: 1},
		{name: "mastercard", in: "5555 5555 5555 4444 and 5105105105105100", want: card + " and " + card, wantN: 2},
		{name: "amex 4-6-5", in: "Amex 3782 822463 10005, exp 12/27", want: "Amex " + card + ", exp 12/27", wantN: 1},
		{name: "amex in a row", in: "371449635398431", want: card, wantN: 1},
		{name: "13 digits", in: "old visa 4111111111119", want: "old visa " + card, wantN: 1},
		{name: "19 digits", in: "4111 1111 1111 1111 110", want: card, wantN: 1},
		{name: "mixed separators", in: "4111 1111-1111 1111", want: card, wantN: 1},
		{name: "inside letters", in: "ref=card4111111111111111x", want: "ref=card" + card + "x", wantN: 1},
		{name: "cvv after the number", in: "4111 1111 1111 1111 123", want: card + " 123", wantN: 1},
		{name: "failing luhn is kept", in: "order 4111 1111 1111 1112", want: "order 4111 1111 1111 1112"},
		{name: "order number is kept", in: "order #1234567890123 shipped", want: "order #1234567890123 shipped"},
		{name: "12 digits are kept", in: "411111111117", want: "411111111117"},
		{name: "20 digits in a row are kept", in: "41111111111111111115", want: "41111111111111111115"},
		{name: "card digits inside a longer run are kept", in: "x14111111111111111", want: "x14111111111111111"},
		{name: "two spaces end the run", in: "4111 1111  1111 1111", want: "4111 1111  1111 1111"},
		{name: "phone number after + is kept", in: "call +49 1512 3456787", want: "call +49 1512 3456787"},
		{name: "phone number is kept", in: "call (555) 123-4567 or 555 123 4567", want: "call (555) 123-4567 or 555 123 4567"},
		{name: "cards off", opts: redact.Options{NationalIDs: []string{"us_ssn"}}, in: "4111111111111111", want: "4111111111111111"},

		{name: "ssn with dashes", in: "SSN 123-45-6789.", want: "SSN " + ssn + ".", wantN: 1},
		{name: "ssn with spaces", in: "ssn: 123 45 6789", want: "ssn: " + ssn, wantN: 1},
		{name: "ssn with mixed separators is kept", in: "123-45 6789", want: "123-45 6789"},
		{name: "ssn in a row is kept", in: "123456789", want: "123456789"},
		{name: "ssn area 000 is kept", in: "000-12-3456", want: "000-12-3456"},
		{name: "ssn area 666 is kept", in: "666-12-3456", want: "666-12-3456"},
		{name: "ssn area 9xx is kept", in: "912-34-5678", want: "912-34-5678"},
		{name: "ssn group 00 is kept", in: "123-00-4567", want: "123-00-4567"},
		{name: "ssn serial 0000 is kept", in: "123-45-0000", want: "123-45-0000"},
		{name: "ssn inside longer digits is kept", in: "1123-45-67890", want: "1123-45-67890"},
		{name: "two ssns", in: "123-45-6789/234-56-7890", want: ssn + "/" + ssn, wantN: 2},

		{name: "sin", in: "SIN 046 454 286", want: "SIN [Canadian SIN removed]", wantN: 1},
		{name: "sin failing luhn is kept", in: "046-454-287", want: "046-454-287"},
		{name: "nino", in: "NI AB 12 34 56 C or ce123456d", want: "NI [UK NI number removed] or [UK NI number removed]", wantN: 2},
		{name: "nino unallocated prefix is kept", in: "GB123456A", want: "GB123456A"},
		{name: "nino bad first letter is kept", in: "QQ 12 34 56 A", want: "QQ 12 34 56 A"},
		{name: "steuer id in a row", in: "IdNr 86095742719", want: "IdNr [German tax ID removed]", wantN: 1},
		{name: "steuer id grouped", in: "36 574 261 809", want: "[German tax ID removed]", wantN: 1},
		{name: "steuer id bad check digit is kept", in: "36574261890", want: "36574261890"},
		{name: "steuer id with two repeated digits is kept", in: "36554266806", want: "36554266806"},

		{
			name: "custom rule with its replacement",
			opts: redact.Options{Rules: []redact.Rule{{Name: "email", Pattern: `[\w.+-]+@[\w-]+(\.[\w-]+)+`, Replacement: "[email]"}}},
			in:   "write to jane.doe+x@example.co.uk or bob@example.com", want: "write to [email] or [email]", wantN: 2,
		},
		{
			name: "custom rule with the default replacement",
			opts: redact.Options{Rules: []redact.Rule{{Name: "order id", Pattern: `(?i)\bORD-\d{6}\b`}}},
			in:   "about ord-123456", want: "about [order id removed]", wantN: 1,
		},
		{
			name: "replacement is literal",
			opts: redact.Options{Rules: []redact.Rule{{Name: "pin", Pattern: `pin (\d{4})`, Replacement: "pin $1"}}},
			in:   "my pin 1234", want: "my pin $1", wantN: 1,
		},
		{
			name: "built-ins run before rules",
			opts: redact.Options{Cards: true, Rules: []redact.Rule{{Name: "long number", Pattern: `\d{10,}`}}},
			in:   "4111111111111111 and 41111111111111111115",
			want: card + " and [long number removed]", wantN: 2,
		},
		{name: "plain text", in: "Hello, where is my order?", want: "Hello, where is my order?"},
		{name: "invalid utf-8 is kept", in: "\xff4111111111111111\xfe", want: "\xff" + card + "\xfe", wantN: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if !opts.Cards && opts.NationalIDs == nil && opts.Rules == nil {
				opts = all
			}
			got, n := mustNew(t, opts).Redact(tt.in)
			if got != tt.want || n != tt.wantN {
				t.Errorf("Redact(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.wantN)
			}
		})
	}
}

func TestNilRedactor(t *testing.T) {
	var r *redact.Redactor
	if got, n := r.Redact("4111111111111111"); got != "4111111111111111" || n != 0 {
		t.Errorf("nil Redact = %q, %d; want the text unchanged and 0", got, n)
	}
}

func TestZeroOptionsRemoveNothing(t *testing.T) {
	in := "4111111111111111 123-45-6789 AB123456C"
	if got, n := mustNew(t, redact.Options{}).Redact(in); got != in || n != 0 {
		t.Errorf("Redact = %q, %d; want the text unchanged and 0", got, n)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name    string
		opts    redact.Options
		wantErr []string // in the error's text
	}{
		{"unknown national id", redact.Options{NationalIDs: []string{"fr_insee"}},
			[]string{`"fr_insee"`, "ca_sin, de_steuer_id, uk_nino, us_ssn"}},
		{"bad regex", redact.Options{Rules: []redact.Rule{{Name: "broken", Pattern: `(a`}}},
			[]string{`rule "broken"`, "missing closing )"}},
		{"empty pattern", redact.Options{Rules: []redact.Rule{{Name: "nothing"}}},
			[]string{`rule "nothing"`, "empty string"}},
		{"pattern matching empty", redact.Options{Rules: []redact.Rule{{Name: "stars", Pattern: `a*`}}},
			[]string{`rule "stars"`, "empty string"}},
		{"optional pattern", redact.Options{Rules: []redact.Rule{{Name: "maybe", Pattern: `(x|y?)`}}},
			[]string{`rule "maybe"`, "empty string"}},
		{"assertion only", redact.Options{Rules: []redact.Rule{{Name: "edge", Pattern: `\b`}}},
			[]string{`rule "edge"`, "empty string"}},
		{"zero repeat", redact.Options{Rules: []redact.Rule{{Name: "rep", Pattern: `(ab){0,3}`}}},
			[]string{`rule "rep"`, "empty string"}},
		{"no name", redact.Options{Rules: []redact.Rule{{Pattern: `x`}}}, []string{"rule 1 has no name"}},
		{"duplicate name", redact.Options{Rules: []redact.Rule{{Name: "x", Pattern: `x`}, {Name: "x", Pattern: `y`}}},
			[]string{`two rules are named "x"`}},
		{"replacement redacted by its own rule", redact.Options{Rules: []redact.Rule{{Name: "secret", Pattern: `secret`, Replacement: "[secret]"}}},
			[]string{`rule "secret"`, "would itself be redacted"}},
		{"placeholder redacted by a rule", redact.Options{Cards: true, Rules: []redact.Rule{{Name: "word", Pattern: `removed`, Replacement: "-"}}},
			[]string{"cards", "would itself be redacted"}},
		{"replacement redacted by a built-in", redact.Options{Cards: true, Rules: []redact.Rule{{Name: "x", Pattern: `x`, Replacement: "4111111111111111"}}},
			[]string{`rule "x"`, "would itself be redacted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := redact.New(tt.opts)
			if err == nil {
				t.Fatalf("New: got %v, want an error", r)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts redact.Options
	}{
		{"national id names are case-insensitive and may repeat", redact.Options{NationalIDs: []string{"US_SSN", " us_ssn "}}},
		{"anchored pattern", redact.Options{Rules: []redact.Rule{{Name: "a", Pattern: `^secret$`}}}},
		{"repeat of at least one", redact.Options{Rules: []redact.Rule{{Name: "a", Pattern: `\bx+\b`}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mustNew(t, tt.opts)
		})
	}
}

func TestKnownNationalIDs(t *testing.T) {
	want := []string{"ca_sin", "de_steuer_id", "uk_nino", "us_ssn"}
	if diff := cmp.Diff(want, redact.KnownNationalIDs()); diff != "" {
		t.Errorf("KnownNationalIDs (-want +got):\n%s", diff)
	}
	// Every known name must be accepted.
	mustNew(t, redact.Options{NationalIDs: redact.KnownNationalIDs()})
}

// TestHostileInput checks that inputs built to be slow are still handled, and correctly.
func TestHostileInput(t *testing.T) {
	r := mustNew(t, redact.Options{Cards: true, NationalIDs: redact.KnownNationalIDs(),
		Rules: []redact.Rule{{Name: "email", Pattern: `[\w.+-]+@[\w-]+(\.[\w-]+)+`}}})
	for _, tt := range []struct {
		name string
		in   string
		// wantN is how many matches there are.
		wantN int
	}{
		{"a long run of single digits", strings.Repeat("1 ", 1<<19), 0}, // no 13 to 19 ones pass Luhn
		{"a long digit run", strings.Repeat("4", 1<<20), 0},
		{"near-miss cards", strings.Repeat("4111 1111 1111 1112 ", 1<<15), 0},
		{"many cards", strings.Repeat("4111 1111 1111 1111, ", 1<<15), 1 << 15},
		{"invalid utf-8", strings.Repeat("\xff\xfe4", 1<<18), 0},
		{"near-miss emails", strings.Repeat("a@", 1<<18), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, n := r.Redact(tt.in)
			if n != tt.wantN {
				t.Errorf("got %d matches, want %d", n, tt.wantN)
			}
		})
	}
}
