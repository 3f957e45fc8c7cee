package keyward

import "slices"

// Copy accounting: how many copies of each symbol are under control, where
// each one is, and the copies found that Keyward never made.

// ControlledStatuses are the statuses of a copy under control: every copy
// registered, imported or produced that was not destroyed. A lost copy
// still counts: it exists somewhere until it is found or written off.
var ControlledStatuses = slices.DeleteFunc(slices.Clone(KeyStatuses), func(s string) bool { return s == StatusDestroyed })

// Controlled reports whether a copy in status is under control.
func Controlled(status string) bool { return slices.Contains(ControlledStatuses, status) }

// Tally sets Controlled, ByStatus and Destroyed from the number of copies
// in each status. ByStatus holds every controlled status, zeros included,
// so its counts add up to Controlled; a status that is not a key status
// counts nowhere.
func (c *CopyCount) Tally(statuses map[string]int) {
	c.Controlled, c.Destroyed = 0, statuses[StatusDestroyed]
	c.ByStatus = make(map[string]int, len(ControlledStatuses))
	for _, s := range ControlledStatuses {
		c.ByStatus[s] = statuses[s]
		c.Controlled += statuses[s]
	}
}
