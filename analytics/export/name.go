package export

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// xmlName returns key as an XML Name, which the XES schema requires of attribute keys (xs:Name): characters a
// Name may not hold become "_", and so does a first character that may not start one. A colon is kept only when
// colon is true: in XES it separates an extension's prefix. Non-ASCII letters are kept when they are letters under
// both XML 1.0 editions' rules (libxml2 checks the older one), which covers the letters of the living scripts.
func xmlName(key string, colon bool) string {
	if key == "" {
		return "_"
	}
	if validName(key, colon) {
		return key
	}
	var b strings.Builder
	for i, r := range key {
		if r == utf8.RuneError || !nameChar(r, i == 0, colon) {
			if i == 0 && nameChar(r, false, colon) {
				b.WriteByte('_') // a digit, '-' or '.' may follow a start, not be one
				b.WriteRune(r)
				continue
			}
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func validName(key string, colon bool) bool {
	for i, r := range key {
		if r == utf8.RuneError || !nameChar(r, i == 0, colon) {
			return false
		}
	}
	return true
}

func nameChar(r rune, first, colon bool) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		return true
	case r == ':':
		return colon
	case r >= '0' && r <= '9', r == '-', r == '.':
		return !first
	case r < utf8.RuneSelf:
		return false
	}
	// Outside ASCII: letters of the Basic Multilingual Plane in the ranges XML 1.0 (fifth edition) allows.
	if r > 0xFFFD || !unicode.IsLetter(r) {
		return false
	}
	return (r >= 0xC0 && r <= 0x2FF && r != 0xD7 && r != 0xF7) || (r >= 0x370 && r <= 0x1FFF && r != 0x37E) ||
		(r >= 0x2C00 && r <= 0x2FEF) || (r >= 0x3001 && r <= 0xD7FF) || (r >= 0xF900 && r <= 0xFDCF) ||
		(r >= 0xFDF0 && r <= 0xFFFD)
}
