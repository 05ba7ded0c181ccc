package redact_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/bot/redact"
)

var digitRun = regexp.MustCompile(`\d+`)

// luhnValid is the Luhn check written again, so that the fuzz test does not trust the code it tests.
func luhnValid(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"my card is 4111 1111 1111 1111 thanks", "4242-4242-4242-4242", "3782 822463 10005", "4111111111119",
		"41111111111111111115", "4111 1111 1111 1111 123", "+49 1512 3456787", "123-45-6789", "046 454 286",
		"AB 12 34 56 C", "36 574 261 809", "86095742719", "\xff4111111111111111\xfe", "1 1 1 1 1 1 1 1 1 1 1 1 1 1",
		"4111 1111 1111 1111-4111 1111 1111 1111", "x@example.com 4111111111111111",
	} {
		f.Add(s)
	}
	r, err := redact.New(redact.Options{Cards: true, NationalIDs: redact.KnownNationalIDs(),
		Rules: []redact.Rule{{Name: "email", Pattern: `[\w.+-]+@[\w-]+(\.[\w-]+)+`}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, n := r.Redact(in)
		if n == 0 && out != in {
			t.Fatalf("Redact(%q) = %q with no match, want the text unchanged", in, out)
		}
		// No card number is left: every digit run of the output is a piece of a digit run of the input, since
		// the placeholders hold no digits, so a Luhn-valid run of card length left here was one in the input.
		for _, m := range digitRun.FindAllStringIndex(out, -1) {
			run := out[m[0]:m[1]]
			afterPlus := m[0] > 0 && out[m[0]-1] == '+' // a phone number, kept on purpose
			if len(run) >= 13 && len(run) <= 19 && luhnValid(run) && !afterPlus {
				t.Fatalf("Redact(%q) = %q still holds the card number %s", in, out, run)
			}
			if !strings.Contains(in, run) {
				t.Fatalf("Redact(%q) = %q holds digits %s that the input did not", in, out, run)
			}
		}
		again, n2 := r.Redact(out)
		if again != out || n2 != 0 {
			t.Fatalf("Redact is not idempotent: %q → %q → %q (%d more matches)", in, out, again, n2)
		}
	})
}
