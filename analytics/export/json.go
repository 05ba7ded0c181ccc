package export

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// JSON encoding for the OCEL writer, by hand: encoding/json would allocate for every value of millions of events.

// appendJSONValue appends a's value: a JSON string, number or boolean. JSON has no infinities or NaN: those are
// written as the strings "INF", "-INF" and "NaN".
func appendJSONValue(b []byte, a Attr) []byte {
	switch a.Kind {
	case KindInt:
		return strconv.AppendInt(b, a.Int, 10)
	case KindFloat:
		if math.IsInf(a.Float, 0) || math.IsNaN(a.Float) {
			return appendJSONString(b, string(appendXSDouble(nil, a.Float)))
		}
		return strconv.AppendFloat(b, a.Float, 'g', -1, 64)
	case KindBool:
		return strconv.AppendBool(b, a.Bool)
	case KindTime:
		b = append(b, '"')
		b = a.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	return appendJSONString(b, a.Str)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters escaped, invalid UTF-8
// replaced by U+FFFD, and U+2028 and U+2029 escaped for readers that embed JSON in JavaScript.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
