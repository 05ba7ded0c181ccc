package redact

import (
	"regexp"
	"strings"
)

// nationalID is a built-in kind of national id number.
type nationalID struct {
	placeholder string
	// Numeric ids are found as digit groups (see digits.go): shapes are the accepted lengths of the groups, and the
	// groups of a multi-group shape must all be joined by the same separator; check says how to check the digits.
	shapes [][]int
	check  check
	// Ids with letters are found by a pattern instead, and checked by validText.
	pattern   *regexp.Regexp
	validText func(match string) bool
}

// check is a way to check the digits of a numeric id. It is an enumeration rather than a func so that the digits
// stay on the stack: this runs for every group of digits in the text.
type check int

const (
	checkSSN check = iota + 1
	checkLuhn
	checkSteuerID
)

// valid reports whether digits pass c.
func (c check) valid(digits []byte) bool {
	switch c {
	case checkSSN:
		return validSSN(digits)
	case checkLuhn:
		return luhn(digits)
	case checkSteuerID:
		return validSteuerID(digits)
	default:
		panic("redact: unknown check")
	}
}

// nationalIDs returns the built-in national ids by the name Options.NationalIDs uses. It makes them anew on each
// call (New calls it once), so that no package state is shared.
//
//   - us_ssn: a US Social Security number written AAA-GG-SSSS or AAA GG SSSS, whose area is not 000, 666 or
//     900-999, group not 00 and serial not 0000 (the numbers the SSA never issues). Nine digits in a row are not
//     taken for one: too many other numbers look like that.
//   - ca_sin: a Canadian Social Insurance Number written AAA-AAA-AAA or AAA AAA AAA, passing the Luhn check.
//   - uk_nino: a UK National Insurance number, two letters, six digits and a letter A-D, with or without spaces
//     ("AB 12 34 56 C", "ab123456c"), whose prefix letters are ones HMRC allocates (not D, F, I, Q, U or V first;
//     not D, F, I, O, Q, U or V second; not BG, GB, KN, NK, NT, TN or ZZ).
//   - de_steuer_id: a German tax identification number (Steuerliche Identifikationsnummer), eleven digits in a row
//     or written 12 345 678 901, not starting with 0, with one digit of the first ten there two or three times and
//     every other at most once, and the ISO 7064 MOD 11,10 check digit.
func nationalIDs() map[string]nationalID {
	return map[string]nationalID{
		"us_ssn": {placeholder: "[US SSN removed]", shapes: [][]int{{3, 2, 4}}, check: checkSSN},
		"ca_sin": {placeholder: "[Canadian SIN removed]", shapes: [][]int{{3, 3, 3}}, check: checkLuhn},
		"uk_nino": {
			placeholder: "[UK NI number removed]",
			pattern:     regexp.MustCompile(`(?i)\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b`),
			validText:   validNINO,
		},
		"de_steuer_id": {
			placeholder: "[German tax ID removed]", shapes: [][]int{{11}, {2, 3, 3, 3}}, check: checkSteuerID,
		},
	}
}

// pass returns the pass that removes id, which is called name.
func (id nationalID) pass(name string) pass {
	p := pass{name: name, replacement: id.placeholder}
	if id.pattern != nil {
		p.find = func(s string) []span { return findPattern(s, id.pattern, id.validText) }
		return p
	}
	most := 0
	for _, sh := range id.shapes {
		most = max(most, len(sh))
	}
	p.find = func(s string) []span { return findGroups(s, most, id.match) }
	return p
}

// match is the groupMatcher of a numeric id: the first of its shapes that gs starts with and whose digits are
// valid.
func (id nationalID) match(s string, gs []group) int {
	var buf [maxCardDigits]byte
shapes:
	for _, sh := range id.shapes {
		if len(sh) > len(gs) {
			continue
		}
		for i, n := range sh {
			if gs[i].len() != n || (i > 1 && gs[i].sep != gs[1].sep) {
				continue shapes
			}
		}
		if id.check.valid(appendDigits(buf[:0], s, gs[:len(sh)])) {
			return len(sh)
		}
	}
	return 0
}

// findPattern returns the matches of re in s that valid accepts (all when valid is nil), leaving out empty ones.
func findPattern(s string, re *regexp.Regexp, valid func(string) bool) []span {
	var out []span
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[0] == m[1] || (valid != nil && !valid(s[m[0]:m[1]])) {
			continue
		}
		out = append(out, span{m[0], m[1]})
	}
	return out
}

// validSSN reports whether the nine digits of an SSN are ones the SSA may have issued.
func validSSN(d []byte) bool {
	area, group, serial := string(d[:3]), string(d[3:5]), string(d[5:])
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// validNINO reports whether a match of the uk_nino pattern has an allocated prefix.
func validNINO(m string) bool {
	switch strings.ToUpper(m[:2]) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// validSteuerID reports whether eleven digits are a well-formed Steuer-ID (see nationalIDs).
func validSteuerID(d []byte) bool {
	if d[0] == '0' {
		return false
	}
	var count [10]int
	for _, c := range d[:10] {
		count[c-'0']++
	}
	repeated := 0
	for _, n := range count {
		switch {
		case n > 3:
			return false
		case n > 1:
			repeated++
		}
	}
	if repeated != 1 {
		return false
	}
	// The ISO 7064 MOD 11,10 check digit of the first ten.
	product := 10
	for _, c := range d[:10] {
		sum := (int(c-'0') + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = sum * 2 % 11
	}
	return (11-product)%10 == int(d[10]-'0')
}
