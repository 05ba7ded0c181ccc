package redact

// cardPlaceholder replaces a card number.
const cardPlaceholder = "[card number removed]"

// Card numbers (ISO/IEC 7812) have 13 to 19 digits, the last a Luhn check digit.
const (
	minCardDigits = 13
	maxCardDigits = 19
)

// findCards returns the card numbers in s: whole digit groups of one run (see digits.go), 13 to 19 digits in all,
// passing the Luhn check, the longest such from the leftmost group first. So "4111 1111 1111 1111", "4111-1111-1111-
// 1111" and "378282246310005" are found, with whatever is written before or after them ("card4111111111111111"
// too); "4111 1111 1111 1111 123" loses its first 16 digits (a CVV typed after the number stays, but the number
// goes); a number failing Luhn, one of 12 or 20 digits in a row, and a run right after a '+' (a phone number:
// "+1 555 0100 2000 3") are kept. One number in ten passes Luhn by chance, so a 13 to 19 digit order number is
// sometimes removed: for privacy, that is the better mistake.
func findCards(s string) []span {
	return findGroups(s, maxCardDigits, matchCard)
}

// matchCard is the groupMatcher of findCards.
func matchCard(s string, gs []group) int {
	if gs[0].plus {
		return 0
	}
	var buf [maxCardDigits]byte
	best, digits := 0, 0
	for i, g := range gs {
		digits += g.len()
		if digits > maxCardDigits {
			break
		}
		if digits >= minCardDigits && luhn(appendDigits(buf[:0], s, gs[:i+1])) {
			best = i + 1
		}
	}
	return best
}
