package redact

// Numbers are found as runs of digit groups: a group is a maximal sequence of ASCII digits, and a run is groups
// joined by exactly one space or dash ("4111 1111-1111 1111"). Anything else, two spaces, a dot, a letter, ends the
// run. A number is always made of whole groups, so that digits are never taken out of the middle of a longer
// sequence of digits ("12345678901234567890" holds no card number).

// group is one group of digits, s[start:end].
type group struct {
	start, end int
	// sep is the byte that joins the group to the previous one of its run (' ' or '-'), or 0 when the group starts
	// a run.
	sep byte
	// plus reports that the group starts a run right after a '+', as a phone number's country code does.
	plus bool
}

func (g group) len() int { return g.end - g.start }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// nextGroup returns the first group of s that starts at or after from.
func nextGroup(s string, from int) (group, bool) {
	i := from
	for i < len(s) && !isDigit(s[i]) {
		i++
	}
	if i == len(s) {
		return group{}, false
	}
	g := group{start: i}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	g.end = i
	if g.start >= 2 && (s[g.start-1] == ' ' || s[g.start-1] == '-') && isDigit(s[g.start-2]) {
		g.sep = s[g.start-1]
	}
	g.plus = g.start >= 1 && s[g.start-1] == '+'
	return g, true
}

// groupMatcher reports how many groups at the start of gs, consecutive groups of one run, form a number to remove;
// 0 when no number starts at gs[0].
type groupMatcher func(s string, gs []group) int

// findGroups returns the spans of the numbers match finds in s. It offers match every group of s in turn as the
// start of a window of up to maxGroups groups of its run (fewer at the end of the run), and skips the groups of each
// number found. The window is all it holds, so it takes time linear in len(s) and memory bounded by maxGroups
// whatever s is.
func findGroups(s string, maxGroups int, match groupMatcher) []span {
	var (
		spans   []span
		win     = make([]group, 0, maxGroups)
		next    int   // where the search for the next group resumes
		pending group // a group read ahead that starts a new run, when havePending
		havePen bool
	)
	for {
		for len(win) < maxGroups {
			g, ok := pending, havePen
			havePen = false
			if !ok {
				g, ok = nextGroup(s, next)
				if !ok {
					break
				}
				next = g.end
			}
			if len(win) > 0 && g.sep == 0 {
				pending, havePen = g, true
				break
			}
			win = append(win, g)
		}
		if len(win) == 0 {
			return spans
		}
		n := match(s, win)
		if n > 0 {
			spans = append(spans, span{win[0].start, win[n-1].end})
		} else {
			n = 1
		}
		win = append(win[:0], win[n:]...)
	}
}

// appendDigits appends the digits of gs to dst.
func appendDigits(dst []byte, s string, gs []group) []byte {
	for _, g := range gs {
		dst = append(dst, s[g.start:g.end]...)
	}
	return dst
}

// luhn reports whether digits, ASCII digits, pass the Luhn check: from the right, every second digit doubled (less
// 9 when that passes 9), the sum a multiple of 10.
func luhn(digits []byte) bool {
	sum := 0
	for i := range digits {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
