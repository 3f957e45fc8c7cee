package importer

import (
	"strings"
	"unicode"
)

// More columns, beyond the six canonical ones of the outside contract.
const (
	ColHolderKind = "holder_kind" // tenant, staff, … of a holder the import creates
	ColDoor       = "door"        // the door (opening) the key opens
	ColSite       = "site"        // the site of that door
	ColHook       = "hook"        // the cabinet hook where the key hangs
)

// Fields lists every column an import reads: the canonical Columns, then the
// door, its site, the hook and the holder's kind. Any other column is ignored.
var Fields = append(append([]string{}, Columns...), ColHolderKind, ColDoor, ColSite, ColHook)

// labels are the columns in words, as the pages show them.
var labels = map[string]string{
	ColSymbol:      "Key number (stamp)",
	ColKeyway:      "Key type (keyway)",
	ColCopyNumber:  "Copy number",
	ColHolderName:  "Holder's name",
	ColHolderEmail: "Holder's email",
	ColDueAt:       "Due back",
	ColHolderKind:  "Holder is a (tenant, staff…)",
	ColDoor:        "Door it opens",
	ColSite:        "Site (building)",
	ColHook:        "Cabinet hook",
}

// Label is a column in words ("Holder's email", not holder_email).
func Label(col string) string {
	if l, ok := labels[col]; ok {
		return l
	}
	return col
}

// synonyms are header texts, as words (see headerWords), that name a column.
// A header that is exactly a column's own name is found first.
var synonyms = map[string][]string{
	ColSymbol: {"symbol", "key", "key number", "key symbol", "stamp", "key stamp", "stamped", "key id", "key tag",
		"tag", "tag number", "key name"},
	ColKeyway: {"keyway", "key way", "key type", "type of key", "blank", "key blank", "keyway name", "profile",
		"key profile"},
	ColCopyNumber: {"copy number", "copy", "key copy"},
	ColHolderName: {"holder name", "holder", "name", "tenant", "tenant name", "resident", "issued to", "assigned to",
		"person", "employee", "key holder", "keyholder", "keyholder name", "checked out to", "given to", "who has it",
		"full name", "lent to"},
	ColHolderEmail: {"holder email", "email", "e mail", "email address", "e mail address", "tenant email",
		"contact email", "mail", "holder e mail"},
	ColDueAt:      {"due at", "due", "due date", "due back", "return by", "return date", "due on", "date due", "due back on"},
	ColHolderKind: {"holder kind", "kind", "type", "holder type", "role", "relationship", "kind of holder", "holder is a"},
	ColDoor: {"door", "doors", "unit", "units", "unit number", "apt", "apartment", "apartment number", "suite",
		"room", "room number", "opening", "opens", "door it opens", "door name"},
	ColSite: {"site", "building", "property", "site name", "building name", "property name"},
	ColHook: {"hook", "hook number", "cabinet hook", "key hook", "peg", "peg number", "slot", "slot number"},
}

// byWords maps header words to their column.
var byWords = func() map[string]string {
	m := map[string]string{}
	for col, words := range synonyms {
		for _, w := range words {
			m[w] = col
		}
	}
	return m
}()

// headerWords is a header cell as words: lower case, punctuation as spaces,
// "#", "no" and "nr" read as "number" ("Key #" and "Key no." are "key number").
func headerWords(cell string) string {
	cell = strings.ReplaceAll(strings.ToLower(cell), "#", " number ")
	f := strings.FieldsFunc(cell, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range f {
		if w == "no" || w == "nr" || w == "num" || w == "nbr" {
			f[i] = "number"
		}
	}
	return strings.Join(f, " ")
}

// exactColumn is the column a header cell names by its own name (any case,
// spaces around it ignored), or "".
func exactColumn(cell string) string {
	name := strings.ToLower(strings.TrimSpace(cell))
	for _, c := range Fields {
		if c == name {
			return c
		}
	}
	return ""
}

// match finds the columns of a header record: first the cells that carry a
// column's own name, then the cells whose words name one that is still free.
// It returns each column's cell index, whether that cell carried the exact
// name, and the columns that appear again under their own name.
func match(rec []string) (index map[string]int, exact map[string]bool, twice []string) {
	index, exact = map[string]int{}, map[string]bool{}
	used := map[int]bool{}
	for i, cell := range rec {
		c := exactColumn(cell)
		if c == "" {
			continue
		}
		if _, dup := index[c]; dup {
			twice = append(twice, c)
			used[i] = true
			continue
		}
		index[c], exact[c], used[i] = i, true, true
	}
	for i, cell := range rec {
		if used[i] {
			continue
		}
		c, ok := byWords[headerWords(cell)]
		if !ok {
			continue
		}
		if _, taken := index[c]; taken {
			continue
		}
		index[c], used[i] = i, true
	}
	return index, exact, twice
}

// canonical says a header record names the symbol and keyway columns by
// their own names: the outside contract's file, read exactly as written.
func canonical(rec []string) bool {
	_, exact, _ := match(rec)
	return exact[ColSymbol] && exact[ColKeyway]
}

// score is how many columns a record names: the header is the record that names most.
func score(rec []string) int {
	index, _, _ := match(rec)
	return len(index)
}

// MaxHeaderSearch is how many rows that are not blank the importer reads
// looking for the header: a title and a few notes above it are common.
const MaxHeaderSearch = 20
