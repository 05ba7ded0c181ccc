package routing

import "testing"

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"Mon-Fri 09:00-17:00", "Sat,Sun 10:00-24:00", "Fri-Mon 00:00-01:00", "Mon 9:00-17:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := parseHours(s)
		if err != nil {
			return
		}
		for _, w := range ws {
			if w.open < 0 || w.open >= w.close || w.close > 1440 || w.day < 0 || w.day > 6 {
				t.Fatalf("parseHours(%q) gave bad window %+v", s, w)
			}
		}
	})
}
