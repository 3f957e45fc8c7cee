package keying

import (
	"fmt"
	"slices"
)

// LostKeyResult says which cylinders a lost bitting opens. Lists are ids, ascending.
type LostKeyResult struct {
	Opens      []string
	Intended   []string // the key list holds the lost bitting
	Incidental []string // Opens minus Intended: rekey them although no record says the key fits
}

// LostKey finds every cylinder the lost bitting operates, intended or not.
func LostKey(cyls []Cylinder, lost Bitting) (*LostKeyResult, error) {
	n := 0
	e := checkCylinders(cyls, &n, func() *Error {
		if !sameLength(lost, &n) {
			return badBitting("lost")
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	r := &LostKeyResult{Opens: []string{}, Intended: []string{}, Incidental: []string{}}
	for _, c := range cyls {
		if !Operates(c, lost) {
			continue
		}
		r.Opens = append(r.Opens, c.ID)
		if holds(c.Keys, lost) {
			r.Intended = append(r.Intended, c.ID)
		} else {
			r.Incidental = append(r.Incidental, c.ID)
		}
	}
	slices.Sort(r.Opens)
	slices.Sort(r.Intended)
	slices.Sort(r.Incidental)
	return r, nil
}

func holds(keys []Bitting, b Bitting) bool {
	for _, k := range keys {
		if k.Equal(b) {
			return true
		}
	}
	return false
}

// AuditEntry lists the issued keys that open a cylinder without being in its key list.
type AuditEntry struct {
	ID         string
	Unintended []string // symbols, in issued order
}

// Audit is the cross-key audit: for each cylinder, in order, the issued keys
// whose bitting operates it but is not in its key list.
func Audit(cyls []Cylinder, issued []Key) ([]AuditEntry, error) {
	n := 0
	e := checkCylinders(cyls, &n, func() *Error {
		for i, k := range issued {
			if !sameLength(k.Bitting, &n) {
				return badBitting(fmt.Sprintf("issued[%d].bitting", i))
			}
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	out := make([]AuditEntry, len(cyls))
	for i, c := range cyls {
		sh := NewShear(c.Keys)
		u := []string{}
		for _, k := range issued {
			if sh.Operates(k.Bitting) && !holds(c.Keys, k.Bitting) {
				u = append(u, k.Symbol)
			}
		}
		out[i] = AuditEntry{ID: c.ID, Unintended: u}
	}
	return out, nil
}
