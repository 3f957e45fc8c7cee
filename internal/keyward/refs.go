package keyward

import (
	"fmt"
	"strings"
)

// A person names a record by what they know of it, never by its id: a key by
// the stamp on the metal, a holder by email or name, a site, door or keyway by
// its name. These rules pick the one record meant among the candidates a
// search or a list found for the text, or say in words why there is none or
// more than one (ENOTFOUND, or EINVALID listing the candidates).

// maxListed is how many candidates a "which one?" message lists.
const maxListed = 10

// PickKey returns the key whose stamp reads typed, whatever the case, spaces
// and dashes ("aa3-1", "AA31"), among found. When the dashes tell keys apart
// (AA3-1 and AA-31 both read AA31), the one stamped exactly as typed wins;
// otherwise more than one is EINVALID listing them. A symbol without a copy
// number ("AA3") names its one copy, and more than one is EINVALID listing them.
func PickKey(typed string, found []Key) (Key, error) {
	want := stampText(typed)
	var same, exact []Key
	for _, k := range found {
		if stampText(k.Stamp) != want {
			continue
		}
		same = append(same, k)
		if strings.EqualFold(k.Stamp, strings.Join(strings.Fields(typed), "")) {
			exact = append(exact, k)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(same) == 1:
		return same[0], nil
	case len(same) > 1:
		return Key{}, Errorf(EINVALID, "%q reads as %s: write the stamp with its dash, as it is on the key", strings.TrimSpace(typed), listed(same, func(k Key) string { return k.Stamp }))
	}
	var copies []Key
	for _, k := range found {
		if strings.EqualFold(k.Symbol, want) {
			copies = append(copies, k)
		}
	}
	if len(copies) == 1 {
		return copies[0], nil // a symbol with one copy names it
	}
	if len(copies) > 1 {
		return Key{}, Errorf(EINVALID, "%q is stamped on %s: %s; say which copy, e.g. %s", strings.TrimSpace(typed), plural(len(copies), "key"), listed(copies, func(k Key) string { return k.Stamp }), copies[0].Stamp)
	}
	return Key{}, Errorf(ENOTFOUND, "No key is stamped %q.", strings.TrimSpace(typed))
}

// stampText is a stamp as compared: upper case, without dashes and spaces.
func stampText(s string) string {
	return FoldSymbol(s)
}

// PickHolder returns the holder typed names among found: by email when typed
// has an @ (whatever the case), else by name (see PickNamed). Namesakes are
// EINVALID listing each with their email, so the email can be given instead.
func PickHolder(typed string, found []Holder) (Holder, error) {
	t := strings.TrimSpace(typed)
	if strings.Contains(t, "@") {
		for _, h := range found {
			if strings.EqualFold(h.Email, t) {
				return h, nil
			}
		}
		return Holder{}, Errorf(ENOTFOUND, "No holder has the email %q.", t)
	}
	h, err := PickNamed("holder", t, found, func(h Holder) string { return h.Name }, HolderLabel)
	if ErrorCode(err) == EINVALID {
		err = Errorf(EINVALID, "%s; give the email instead", ErrorMessage(err))
	}
	return h, err
}

// HolderLabel is a holder as a person tells namesakes apart: "Jane Doe <jane@example.com>".
func HolderLabel(h Holder) string {
	if h.Email == "" {
		return h.Name
	}
	return h.Name + " <" + h.Email + ">"
}

// PickNamed returns the one item of found (sites, doors, keyways, holders)
// named typed: the name written in full, whatever the case and spacing; when
// no name is written so, the one name that contains typed. More than one is
// EINVALID listing them by label; none is ENOTFOUND. kind names the records
// in the messages ("site").
func PickNamed[T any](kind, typed string, found []T, name, label func(T) string) (T, error) {
	var zero T
	want := nameText(typed)
	if want == "" {
		return zero, Errorf(EINVALID, "Say which %s: its name is empty.", kind)
	}
	var full, part []T
	for _, it := range found {
		n := nameText(name(it))
		switch {
		case n == want:
			full = append(full, it)
		case strings.Contains(n, want):
			part = append(part, it)
		}
	}
	match := full
	if len(match) == 0 {
		match = part
	}
	switch len(match) {
	case 0:
		return zero, Errorf(ENOTFOUND, "No %s is named %q.", kind, strings.TrimSpace(typed))
	case 1:
		return match[0], nil
	}
	return zero, Errorf(EINVALID, "%d %ss match %q: %s", len(match), kind, strings.TrimSpace(typed), listed(match, label))
}

// nameText is a name as compared: lower case, single spaces.
func nameText(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// listed is "a, b and c", at most maxListed of them and how many more.
func listed[T any](items []T, label func(T) string) string {
	var out []string
	for i, it := range items {
		if i == maxListed {
			out = append(out, fmt.Sprintf("%d more", len(items)-maxListed))
			break
		}
		out = append(out, label(it))
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}
