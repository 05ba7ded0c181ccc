package sms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		enc      Encoding
		segments int
	}{
		{"empty", "", GSM7, 0},
		{"short ascii", "Your order has shipped.", GSM7, 1},
		{"160 gsm fits one", strings.Repeat("a", 160), GSM7, 1},
		{"161 gsm takes two", strings.Repeat("a", 161), GSM7, 2},
		{"306 gsm is two", strings.Repeat("a", 306), GSM7, 2},
		{"307 gsm is three", strings.Repeat("a", 307), GSM7, 3},
		{"gsm accents stay gsm", "Café Ñoño à Zürich ¿qué? £5 ¥ Øre", GSM7, 1},
		{"greek capitals of gsm", "ΔΦΓΛΩΠΨΣΘΞ", GSM7, 1},
		{"extension chars count two", strings.Repeat("€", 80), GSM7, 1},
		{"extension chars over 160 septets", strings.Repeat("€", 81), GSM7, 2},
		{"all extension chars", "^{}\\[~]|€\f", GSM7, 1},
		// 152 plain septets then "{": the escape pair may not straddle, so it opens segment 2 ... 153+2 > 153.
		{"escape pair not split", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 10), GSM7, 2},
		{"escape pair pushes a segment", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 152), GSM7, 3},
		{"one ucs2 char switches", "Thanks’", UCS2, 1},
		{"70 ucs2 fits one", strings.Repeat("ж", 70), UCS2, 1},
		{"71 ucs2 takes two", strings.Repeat("ж", 71), UCS2, 2},
		{"134 ucs2 is two", strings.Repeat("ж", 134), UCS2, 2},
		{"135 ucs2 is three", strings.Repeat("ж", 135), UCS2, 3},
		{"emoji is a surrogate pair", strings.Repeat("😀", 35), UCS2, 1},
		{"36 emoji over 70 units", strings.Repeat("😀", 36), UCS2, 2},
		// 66 units then an emoji: the pair may not straddle segments, so 66+2 > 67 opens segment 2.
		{"surrogate pair not split", strings.Repeat("ж", 66) + "😀" + strings.Repeat("ж", 3), UCS2, 2},
		{"surrogate pair pushes a segment", strings.Repeat("ж", 66) + "😀" + strings.Repeat("ж", 66), UCS2, 3},
		{"chinese", "你好，我想查询我的订单", UCS2, 1},
		{"lowercase greek is not gsm", "αβγ", UCS2, 1},
		{"acute u is not gsm (grave is)", "menú", UCS2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, n := Segments(tt.text)
			if enc != tt.enc || n != tt.segments {
				t.Errorf("Segments(%.30q...) = %s, %d; want %s, %d", tt.text, enc, n, tt.enc, tt.segments)
			}
		})
	}
}

func TestGSMFriendly(t *testing.T) {
	in := "It’s “ready” – see … the\u00a0list"
	got := plainText(in)
	if want := `It's "ready" - see ... the list`; got != want {
		t.Errorf("plainText(%q) = %q, want %q", in, got, want)
	}
	if enc := EncodingOf(got); enc != GSM7 {
		t.Errorf("encoding %s, want gsm7", enc)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bold", "This is **important**.", "This is important."},
		{"link", "See [our returns page](https://example.com/returns).", "See our returns page (https://example.com/returns)."},
		{"heading", "## Shipping\nWe ship daily.", "Shipping\nWe ship daily."},
		{"blank lines", "a\n\n\n\nb", "a\n\nb"},
		{"code", "Type `RESET`", "Type RESET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainText(tt.in); got != tt.want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	sentence := "Your thermostat can be reset from the settings menu. "
	tests := []struct {
		name        string
		text        string
		sp          splitter
		wantParts   int
		wantPrefix  []string
		wantEllipse bool
	}{
		{"short stays whole", "Hello there.", splitter{maxSegments: 1, maxParts: 5}, 1, []string{"Hello there."}, false},
		{"two segments allowed", strings.Repeat(sentence, 5), splitter{maxSegments: 2, maxParts: 5}, 1, nil, false},
		{"split at sentences", strings.Repeat(sentence, 6), splitter{maxSegments: 1, maxParts: 5}, 3,
			[]string{"(1/3) Your thermostat", "(2/3) Your thermostat", "(3/3) Your thermostat"}, false},
		{"truncated", strings.Repeat(sentence, 30), splitter{maxSegments: 1, maxParts: 3}, 3, nil, true},
		{"one long word", strings.Repeat("x", 400), splitter{maxSegments: 1, maxParts: 5}, 3, nil, false},
		{"ucs2 splits smaller", strings.Repeat("Привет мир. ", 20), splitter{maxSegments: 1, maxParts: 9}, 4, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := tt.sp.split(tt.text)
			if len(parts) != tt.wantParts {
				t.Fatalf("%d parts, want %d: %q", len(parts), tt.wantParts, parts)
			}
			for i, p := range parts {
				if _, n := Segments(p); n > tt.sp.maxSegments || utf8.RuneCountInString(p) > maxTwilioCh {
					t.Errorf("part %d takes %d segments, more than %d: %q", i, n, tt.sp.maxSegments, p)
				}
				if i < len(tt.wantPrefix) && !strings.HasPrefix(p, tt.wantPrefix[i]) {
					t.Errorf("part %d = %q, want prefix %q", i, p, tt.wantPrefix[i])
				}
			}
			if got := strings.HasSuffix(parts[len(parts)-1], "..."); got != tt.wantEllipse {
				t.Errorf("last part ends in ellipsis %v, want %v: %q", got, tt.wantEllipse, parts[len(parts)-1])
			}
			if !tt.wantEllipse {
				// Nothing is lost: the parts, without labels, hold every character of the text in order.
				var got string
				for _, p := range parts {
					if len(parts) > 1 {
						_, p, _ = strings.Cut(p, ") ")
					}
					got += strings.Join(strings.Fields(p), "")
				}
				if want := strings.Join(strings.Fields(tt.text), ""); got != want {
					t.Errorf("words lost or reordered:\n got %q\nwant %q", got, want)
				}
			}
		})
	}
}
