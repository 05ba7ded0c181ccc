package sms

import "strings"

// Encoding is how an SMS is encoded on the air: it decides how many characters fit in a segment, and so its cost.
type Encoding string

// Encodings, as the journeybot_sms_segments_total metric labels them.
const (
	// GSM7 is the GSM 03.38 7-bit alphabet: 160 characters in one segment, 153 per segment of a longer message;
	// characters of its extension table ({}[]~^|\€ and form feed) take two.
	GSM7 Encoding = "gsm7"
	// UCS2 is used as soon as one character is outside GSM-7: 70 UTF-16 code units in one segment, 67 per segment
	// of a longer message; a character outside the Basic Multilingual Plane (most emoji) takes two.
	UCS2 Encoding = "ucs2"
)

// gsm7Basic is the GSM 03.38 basic character set (the escape code 0x1B left out); gsm7Extension the characters
// reached through the escape, which cost two septets.
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Extension = "\f^{}\\[~]|€"
)

// Segment sizes, in septets (GSM-7) or UTF-16 code units (UCS-2): a message that fits in one segment, and each
// segment of a concatenated one (the rest of the 140 bytes holds the concatenation header).
const (
	gsm7Single  = 160
	gsm7Multi   = 153
	ucs2Single  = 70
	ucs2Multi   = 67
	maxTwilioCh = 1600 // Twilio refuses a message body longer than this many characters
)

// gsm7Cost returns the septets r takes in GSM-7, or 0 when GSM-7 cannot carry it.
func gsm7Cost(r rune) int {
	switch {
	case strings.ContainsRune(gsm7Basic, r):
		return 1
	case strings.ContainsRune(gsm7Extension, r):
		return 2
	}
	return 0
}

// ucs2Cost returns the UTF-16 code units r takes.
func ucs2Cost(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// EncodingOf returns the encoding a phone network uses for s: GSM7 when every character is in the GSM-7 alphabet
// or its extension table, else UCS2.
func EncodingOf(s string) Encoding {
	for _, r := range s {
		if gsm7Cost(r) == 0 {
			return UCS2
		}
	}
	return GSM7
}

// Segments returns the encoding of s and how many SMS segments it takes: 0 for "", 1 when it fits in a single
// segment, else the segments of a concatenated message, counted as a phone does it: a two-septet character or a
// surrogate pair is never split between two segments, so it may start the next one early.
func Segments(s string) (Encoding, int) {
	if s == "" {
		return GSM7, 0
	}
	enc := EncodingOf(s)
	cost, single, multi := gsm7Cost, gsm7Single, gsm7Multi
	if enc == UCS2 {
		cost, single, multi = ucs2Cost, ucs2Single, ucs2Multi
	}
	total := 0
	for _, r := range s {
		total += cost(r)
	}
	if total <= single {
		return enc, 1
	}
	segments, used := 1, 0
	for _, r := range s {
		c := cost(r)
		if used+c > multi {
			segments++
			used = 0
		}
		used += c
	}
	return enc, segments
}

// gsmFriendly replaces typographic characters that models like to write (curly quotes, dashes, ellipsis,
// non-breaking and zero-width spaces) with GSM-7 ones: a single curly apostrophe would otherwise turn the whole
// message into UCS-2 and more than double its cost.
var gsmFriendly = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201A", "'", "\u2032", "'",
	"\u201C", "\"", "\u201D", "\"", "\u201E", "\"", "\u2033", "\"",
	"\u2013", "-", "\u2014", "-", "\u2012", "-", "\u2010", "-", "\u2011", "-", "\u2212", "-",
	"\u2026", "...", "\u00A0", " ", "\u2009", " ", "\u202F", " ", "\u200B", "", "\uFEFF", "",
	"\u2022", "-", "\t", " ",
)
