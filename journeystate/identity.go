package journeystate

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidContact is wrapped by NormalizeEmail and NormalizePhone for input that is not an address or a number.
var ErrInvalidContact = errors.New("invalid contact")

// maxContactLen bounds an email address or phone number (RFC 5321 allows 254 characters for an address).
const maxContactLen = 254

// NormalizeEmail returns the canonical form of an email address, the one identities are keyed by: the bare address
// (a display name and angle brackets dropped), trimmed, with the domain in lower case. The local part is lowered too:
// few mail systems treat case as significant there, and "Ada@" and "ada@" being two customers would be worse.
// It returns an error wrapping ErrInvalidContact for anything that is not one address.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxContactLen {
		return "", fmt.Errorf("%w: an email address has 3 to %d characters", ErrInvalidContact, maxContactLen)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalidContact, s)
	}
	at := strings.LastIndexByte(addr.Address, '@')
	local, domain := addr.Address[:at], addr.Address[at+1:]
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsFunc(addr.Address, unicode.IsSpace) {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalidContact, s)
	}
	return strings.ToLower(local) + "@" + strings.ToLower(domain), nil
}

// NormalizePhone returns a phone number in E.164 ("+14155550100"). A number written without a country code is read
// as one of defaultRegion (an ISO 3166 code such as "US"; "" accepts only numbers with a country code). It returns
// an error wrapping ErrInvalidContact for anything that is not a valid number.
func NormalizePhone(s, defaultRegion string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("%w: a phone number is required", ErrInvalidContact)
	}
	region := strings.ToUpper(defaultRegion)
	if region == "" {
		region = "ZZ" // unknown region: only numbers with a +country code parse
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("%w: %q is not a valid phone number", ErrInvalidContact, s)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// exclusiveKinds are the identity kinds of which one person holds one verified id: two customers holding different
// verified ids of one of these kinds are two people, whatever else they share. Email addresses and phone numbers
// are not among them: one person may have several.
var exclusiveKinds = []string{IdentityUser, ChannelWeb, ChannelSlack, ChannelSMS}

// MergeConflict returns why two customers, holding the identities a and b, must not be merged automatically, or ""
// when they may be: the rule is that two different verified ids on one channel (or two verified user ids of the
// company) are never merged automatically.
func MergeConflict(a, b []Identity) string {
	for _, kind := range exclusiveKinds {
		as, bs := verifiedIDs(a, kind), verifiedIDs(b, kind)
		if len(as) == 0 || len(bs) == 0 {
			continue
		}
		for _, id := range slices.Concat(as, bs) {
			if !slices.Contains(as, id) || !slices.Contains(bs, id) {
				return fmt.Sprintf("both customers hold a verified %s id, and they differ", kind)
			}
		}
	}
	return ""
}

func verifiedIDs(ids []Identity, kind string) []string {
	var out []string
	for _, id := range ids {
		if id.Channel == kind && id.Level == LevelVerified {
			out = append(out, id.ExternalID)
		}
	}
	return out
}
