package journeystate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means invalid
	}{
		{"plain", "ada@example.com", "ada@example.com"},
		{"case", "Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
		{"spaces around", "  ada@example.com\t\n", "ada@example.com"},
		{"display name", `"Ada Lovelace" <Ada@Example.com>`, "ada@example.com"},
		{"bare display name", "Ada <ada@example.com>", "ada@example.com"},
		{"angle brackets", "<ada@example.com>", "ada@example.com"},
		{"plus tag kept", "ada+news@example.com", "ada+news@example.com"},
		{"subdomain", "ada@mail.example.co.uk", "ada@mail.example.co.uk"},
		{"unicode domain", "ada@exämple.com", "ada@exämple.com"},
		{"unicode local part", "Ädá@example.com", "ädá@example.com"},
		{"empty", "", ""},
		{"blank", "   ", ""},
		{"no at", "ada.example.com", ""},
		{"no local part", "@example.com", ""},
		{"no domain", "ada@", ""},
		{"no dot in domain", "ada@localhost", ""},
		{"leading dot domain", "ada@.example.com", ""},
		{"trailing dot domain", "ada@example.com.", ""},
		{"space inside", "ada lovelace@example.com", ""},
		{"two addresses", "ada@example.com, bob@example.com", ""},
		{"two ats", "ada@bob@example.com", ""},
		{"huge", strings.Repeat("a", 300) + "@example.com", ""},
		{"newline inside", "ada@exa\nmple.com", ""},
		{"only a name", "Ada Lovelace", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := journeystate.NormalizeEmail(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("NormalizeEmail(%q) = %q, want an error", tt.in, got)
				}
				if !errors.Is(err, journeystate.ErrInvalidContact) {
					t.Errorf("NormalizeEmail(%q) = %v, want ErrInvalidContact", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", `"A" <A@B.co>`, "a@b", "", "a@b.c, d@e.f", "ä@ö.ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := journeystate.NormalizeEmail(s)
		if err != nil {
			if !errors.Is(err, journeystate.ErrInvalidContact) {
				t.Fatalf("NormalizeEmail(%q) = %v, not ErrInvalidContact", s, err)
			}
			return
		}
		// A normalised address is stable, bounded, one address, free of spaces and upper case.
		if again, err := journeystate.NormalizeEmail(got); err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, but again = %q, %v", s, got, again, err)
		}
		if len(got) > 254 || strings.Count(got, "@") < 1 || strings.ContainsAny(got, " \t\r\n<>,") {
			t.Fatalf("NormalizeEmail(%q) = %q, not one bare address", s, got)
		}
		if got != strings.ToLower(got) {
			t.Fatalf("NormalizeEmail(%q) = %q, not lower case", s, got)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		region string
		want   string // "" means invalid
	}{
		{"E.164", "+16502530000", "", "+16502530000"},
		{"US default region", "(650) 253-0000", "US", "+16502530000"},
		{"US region lower case", "650.253.0000", "us", "+16502530000"},
		{"US with country code", "1 650 253 0000", "US", "+16502530000"},
		{"+44 in the US", "+44 20 7031 3000", "US", "+442070313000"},
		{"UK national", "020 7031 3000", "GB", "+442070313000"},
		{"spaces around", "  +16502530000 ", "", "+16502530000"},
		{"no region, no country code", "650 253 0000", "", ""},
		{"letters", "call me maybe", "US", ""},
		{"vanity letters", "1-800-FLOWERS-NOW-PLEASE", "US", ""},
		{"too short", "12", "US", ""},
		{"too long", "+1650253000000000", "US", ""},
		{"huge", strings.Repeat("9", 1000), "US", ""},
		{"empty", "", "US", ""},
		{"unknown region", "650 253 0000", "XX", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := journeystate.NormalizePhone(tt.in, tt.region)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("NormalizePhone(%q, %q) = %q, want an error", tt.in, tt.region, got)
				}
				if !errors.Is(err, journeystate.ErrInvalidContact) {
					t.Errorf("NormalizePhone(%q, %q) = %v, want ErrInvalidContact", tt.in, tt.region, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
			}
		})
	}
}

func TestMergeConflict(t *testing.T) {
	id := func(kind, ext string, level journeystate.Level) journeystate.Identity {
		return journeystate.Identity{Channel: kind, ExternalID: ext, Level: level}
	}
	v, a := journeystate.LevelVerified, journeystate.LevelAnonymous
	user1, user2 := id(journeystate.IdentityUser, "u1", v), id(journeystate.IdentityUser, "u2", v)
	email := id(journeystate.IdentityEmail, "ada@example.com", v)
	tests := []struct {
		name     string
		a, b     []journeystate.Identity
		conflict bool
	}{
		{"nothing held", nil, nil, false},
		{"shared email only", []journeystate.Identity{email}, []journeystate.Identity{email}, false},
		{"two different verified user ids", []journeystate.Identity{user1, email}, []journeystate.Identity{user2, email}, true},
		{"same verified user id", []journeystate.Identity{user1}, []journeystate.Identity{user1, email}, false},
		{"one side without a user id", []journeystate.Identity{user1}, []journeystate.Identity{email}, false},
		{"different user ids, one unverified", []journeystate.Identity{user1}, []journeystate.Identity{id(journeystate.IdentityUser, "u2", journeystate.LevelClaimed)}, false},
		{"two verified slack ids", []journeystate.Identity{id(journeystate.ChannelSlack, "U1", v)}, []journeystate.Identity{id(journeystate.ChannelSlack, "U2", v)}, true},
		{"two verified sms numbers", []journeystate.Identity{id(journeystate.ChannelSMS, "+1", v)}, []journeystate.Identity{id(journeystate.ChannelSMS, "+2", v)}, true},
		{"two verified web ids", []journeystate.Identity{id(journeystate.ChannelWeb, "w1", v)}, []journeystate.Identity{id(journeystate.ChannelWeb, "w2", v)}, true},
		{"two anonymous web ids", []journeystate.Identity{id(journeystate.ChannelWeb, "w1", a)}, []journeystate.Identity{id(journeystate.ChannelWeb, "w2", a)}, false},
		{"two verified emails differ", []journeystate.Identity{email}, []journeystate.Identity{id(journeystate.IdentityEmail, "bob@example.com", v)}, false},
		{"two verified phones differ", []journeystate.Identity{id(journeystate.IdentityPhone, "+1", v)}, []journeystate.Identity{id(journeystate.IdentityPhone, "+2", v)}, false},
		{"b holds an extra user id besides the shared one", []journeystate.Identity{user1}, []journeystate.Identity{user1, user2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := journeystate.MergeConflict(tt.a, tt.b)
			if (got != "") != tt.conflict {
				t.Errorf("MergeConflict(%v, %v) = %q, want a conflict: %v", tt.a, tt.b, got, tt.conflict)
			}
			if back := journeystate.MergeConflict(tt.b, tt.a); (back != "") != (got != "") {
				t.Errorf("MergeConflict is not symmetric: (a, b) = %q, (b, a) = %q", got, back)
			}
		})
	}
}
