package auth

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestCheckPasswordPolicy(t *testing.T) {
	const (
		tooShort = "must be at least 8 characters"
		tooLong  = "must be at most 256 characters"
		common   = "is too common"
		context  = "must not be your email or organization name"
	)
	ctx := []string{"Alice.Smith@example.com", "  Acme Locksmiths ", ""}
	tests := []struct {
		name, pw string
		rule     string // "" means accepted
	}{
		{"7 chars", "kw7Rq2x", tooShort},
		{"8 chars", "kw7Rq2xZ", ""},
		{"empty", "", tooShort},
		{"7 two-byte chars", "ééééééé", tooShort},
		{"8 two-byte chars", "éééééééé", ""},
		{"7 chars decomposed", strings.Repeat("e\u0301", 7), tooShort}, // 14 code points before NFKC
		{"256 chars", strings.Repeat("a", 255) + "b", ""},
		{"257 chars", strings.Repeat("a", 256) + "b", tooLong},
		{"password1", "password1", common},
		{"PASSWORD1", "PASSWORD1", common},
		{"PassWord1", "PassWord1", common},
		{"12345678", "12345678", common},
		{"iloveyou", "iloveyou", common},
		{"QwertyUiop", "QwertyUiop", common},
		{"full-width 12345678", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", common},
		{"composition rules do not apply", "alllowercaseletters", ""},
		{"passphrase", "correct horse battery staple", ""},
		{"long passphrase", "the lock on the north stairwell sticks in winter", ""},
		{"email", "alice.smith@example.com", context},
		{"email upper-cased", "ALICE.SMITH@EXAMPLE.COM", context},
		{"email local part", "alice.smith", context},
		{"org name", "acme locksmiths", context},
		{"org name in a sentence", "acme locksmiths rule", ""},
		{"invalid UTF-8", "abcdefgh\xff", "must be valid text"},
	}
	for _, tt := range tests {
		err := CheckPasswordPolicy(tt.pw, ctx...)
		if tt.rule == "" {
			if err != nil {
				t.Errorf("%s: CheckPasswordPolicy(%q) = %v, want nil", tt.name, tt.pw, err)
			}
			continue
		}
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Rule != tt.rule {
			t.Errorf("%s: CheckPasswordPolicy(%q) = %v, want rule %q", tt.name, tt.pw, err, tt.rule)
			continue
		}
		if tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
			t.Errorf("%s: error %q contains the password", tt.name, err)
		}
	}
}

func TestCommonPasswordsList(t *testing.T) {
	seen := make(map[string]bool)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.TrimSpace(line) != line {
			t.Fatalf("line %d: %q is blank or has surrounding space", len(seen)+1, line)
		}
		if seen[line] {
			t.Fatalf("%q appears twice", line)
		}
		seen[line] = true
	}
	if len(seen) != 10000 {
		t.Errorf("list has %d unique entries, want 10000", len(seen))
	}
	// Every entry, in any case, is refused if it is long enough to pass the
	// length rule.
	checked := 0
	for pw := range seen {
		if len(pw) < MinPasswordLen {
			continue
		}
		checked++
		for _, v := range []string{pw, strings.ToUpper(pw)} {
			var pe *PolicyError
			if err := CheckPasswordPolicy(v); !errors.As(err, &pe) || pe.Rule != "is too common" {
				t.Fatalf("CheckPasswordPolicy(%q) = %v, want too common", v, err)
			}
		}
	}
	if checked < 3000 {
		t.Errorf("only %d entries have 8 or more characters", checked)
	}
}

func TestGeneratePassword(t *testing.T) {
	a, b := GeneratePassword(), GeneratePassword()
	if a == b {
		t.Errorf("GeneratePassword twice = %q", a)
	}
	for _, pw := range []string{a, b} {
		if len(pw) < 20 {
			t.Errorf("GeneratePassword = %q, want 20 or more characters", pw)
		}
		if err := CheckPasswordPolicy(pw); err != nil {
			t.Errorf("GeneratePassword = %q fails the policy: %v", pw, err)
		}
	}
}
