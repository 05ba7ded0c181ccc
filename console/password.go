package console

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// MinPasswordLength is the fewest characters a password may have. Length does more for a password than any rule
// about its characters (NIST SP 800-63B).
const MinPasswordLength = 12

// ErrWeakPassword is returned by HashPassword for a password shorter than MinPasswordLength or longer than the
// sign-in form takes.
var ErrWeakPassword = errors.New("weak password")

// hashParams are argon2id's parameters: OWASP's first recommendation (19 MiB, 2 passes, 1 lane), which keeps a
// sign-in near 30 ms on one core and lets a 2-core server take a burst of sign-ins without running out of memory.
var hashParams = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword returns the argon2id hash of password, encoded as a PHC string with its salt and parameters, for
// journeystate.User.PasswordHash. It returns ErrWeakPassword (wrapped) for a password of fewer than
// MinPasswordLength characters or more than 1024 bytes.
func HashPassword(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength {
		return "", fmt.Errorf("password has %d characters, at least %d are required: %w", n, MinPasswordLength, ErrWeakPassword)
	}
	if len(password) > maxPasswordBytes {
		return "", fmt.Errorf("password is longer than %d bytes: %w", maxPasswordBytes, ErrWeakPassword)
	}
	return hashPassword(password)
}

func hashPassword(password string) (string, error) {
	h, err := argon2id.CreateHash(password, &hashParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// checkPassword reports whether password matches hash; the comparison of the derived keys takes constant time
// (argon2id.ComparePasswordAndHash uses subtle.ConstantTimeCompare). A malformed hash counts as no match.
func checkPassword(password, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
