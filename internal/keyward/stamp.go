package keyward

import (
	"strconv"
	"strings"
)

// StampReading is one way to read what someone typed as a key's stamp: a
// symbol (upper case), and a copy number, or 0 for every copy.
type StampReading struct {
	Symbol string
	Copy   int
}

// FoldSymbol is a stamp or symbol as stamps are compared everywhere (search,
// the CLI, imports, keying schedules): upper case, without dashes or spaces.
// "u4", "U4" and "U-4" are one symbol.
func FoldSymbol(s string) string {
	return strings.ToUpper(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '\t' }), ""))
}

// maxCopyDigits bounds the copy numbers a reading tries (copies go to 100000).
const maxCopyDigits = 6

// StampReadings lists every way q can be read as a stamp, ignoring case and
// dashes: the stamp is printed "AA2-1" but typed "aa2-1", "AA21" or "AA-2".
// The whole text is a symbol (every copy); and every split into a symbol and
// a trailing number is a symbol and copy: "AA21" is symbol AA21, AA2 copy 1
// and AA copy 21. A search shows the keys of every reading that exists, and
// nothing else. Text that cannot be a symbol has no readings.
func StampReadings(q string) []StampReading {
	s := FoldSymbol(q)
	if !symbolText(s) {
		return nil
	}
	out := []StampReading{{Symbol: s}}
	for n := 1; n <= maxCopyDigits && n < len(s); n++ {
		sym, num := s[:len(s)-n], s[len(s)-n:]
		if !allDigits(num) {
			break
		}
		c, err := strconv.Atoi(num)
		if err != nil || c < 1 || num[0] == '0' {
			continue
		}
		out = append(out, StampReading{Symbol: sym, Copy: c})
	}
	return out
}

// symbolText is the symbol rule (ValidSymbol): 1-32 letters, digits, '.', '_'.
func symbolText(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// CompareStamps orders keys by their stamp as a person reads it: the symbol
// ignoring case, its runs of digits compared as numbers (AA2 before AA10),
// then the copy number. It returns -1, 0 or +1. Equal-reading symbols that
// differ in case or leading zeros are ordered by their text, so the order is total.
func CompareStamps(symA string, copyA int, symB string, copyB int) int {
	if c := compareNatural(symA, symB); c != 0 {
		return c
	}
	if copyA != copyB {
		if copyA < copyB {
			return -1
		}
		return 1
	}
	return strings.Compare(symA, symB)
}

// compareNatural compares a and b ignoring case, with digit runs as numbers.
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				if len(na) < len(nb) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		ca, cb := upper(a[0]), upper(b[0])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
