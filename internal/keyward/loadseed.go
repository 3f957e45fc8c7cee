package keyward

import (
	"context"
	"fmt"
)

// LoadSeeder fills an empty database with made-up keys, holders and logbook
// lines, so a load run measures the views at the size of a large site
// (`keyward seed`). It is never for a real site's database.
type LoadSeeder interface {
	// SeedLoad writes what in asks for in one transaction, with one audit
	// record per round of logbook lines. EINVALID for counts out of range,
	// ECONFLICT if the database already holds keys.
	SeedLoad(ctx context.Context, a Actor, in LoadSeedInput) (*LoadSeed, error)
}

// LoadSeedInput is the size of a seed.
type LoadSeedInput struct {
	Keys, Holders, Events int
}

// Limits of a seed: the door's symbols are among the first keys, every key's
// logbook starts with its creation, and a round of lines is one audit record,
// so a key has at most SeedMaxRounds lines.
const (
	SeedMinKeys    = 1_000
	SeedMaxKeys    = 10_000_000
	SeedMaxHolders = 1_000_000
	SeedMaxRounds  = 100
	// SeedCopies is how many copies each seeded symbol has.
	SeedCopies = 10
	// SeedDoor is the door the seed makes, at site SeedSite, keyed to
	// SeedDoorSymbols: a change key, its master and the grand master.
	SeedDoor = "Seed door"
	SeedSite = "Seed site"
)

// SeedDoorSymbols are the symbols of the seeded door.
var SeedDoorSymbols = []string{SeedSymbol(420), SeedSymbol(430), SeedSymbol(440)}

// Validate names the first field out of range.
func (in LoadSeedInput) Validate() error {
	var v Validator
	v.Check(in.Keys >= SeedMinKeys && in.Keys <= SeedMaxKeys, "keys", fmt.Sprintf("must be %d to %d", SeedMinKeys, SeedMaxKeys))
	v.Check(in.Holders >= 1 && in.Holders <= SeedMaxHolders, "holders", fmt.Sprintf("must be 1 to %d", SeedMaxHolders))
	if in.Keys >= SeedMinKeys {
		v.Check(in.Events >= in.Keys && in.Events <= SeedMaxRounds*in.Keys, "events",
			fmt.Sprintf("must be at least the keys (every key's logbook starts with its creation) and at most %d per key", SeedMaxRounds))
	}
	return v.Err()
}

// Rounds is how many rounds of logbook lines the seed writes: in round r,
// keys 0 to RoundKeys(r)-1 get their r-th line.
func (in LoadSeedInput) Rounds() int { return (in.Events + in.Keys - 1) / in.Keys }

// RoundKeys is how many keys get a line in round r.
func (in LoadSeedInput) RoundKeys(r int) int { return min(in.Keys, in.Events-r*in.Keys) }

// LinesOf is how many logbook lines key k gets.
func (in LoadSeedInput) LinesOf(k int) int {
	n := in.Events / in.Keys
	if k < in.Events%in.Keys {
		n++
	}
	return n
}

// SeedSymbol is the symbol of seeded key k: SeedCopies keys share one.
func SeedSymbol(k int) string { return fmt.Sprintf("S%05d", k/SeedCopies) }

// SeedCopy is the copy number of seeded key k.
func SeedCopy(k int) int { return k%SeedCopies + 1 }

// SeedMove is what key k asks for in round r ≥ 1, given holders, whose
// indexes stand for holder ids. After the first issue, every third key is
// passed from hand to hand, the next is returned and issued in turn, and the
// third is reported lost, found and issued again; each line goes to another
// holder, so a transfer is never to the current one. The store makes each
// move through PlanMove, so the histories obey the rules, and with ten lines
// a key (the default) two keys in three end issued and one in storage.
func (in LoadSeedInput) SeedMove(k, r int, holderID func(int) string) MoveRequest {
	issue := MoveRequest{Action: CustodyIssue, HolderID: holderID((k + r) % in.Holders)}
	switch {
	case r == 1:
		return issue
	case k%3 == 0 && in.Holders > 1:
		return MoveRequest{Action: CustodyTransfer, HolderID: issue.HolderID}
	case k%3 == 2:
		return []MoveRequest{issue, {Action: CustodyLost}, {Action: CustodyFound}}[(r-1)%3]
	case r%2 == 0:
		return MoveRequest{Action: CustodyReturn}
	}
	return issue
}

// LoadSeed is what a seed wrote.
type LoadSeed struct {
	Keys, Holders, Events int
	// Records is how many audit records it appended (one per round).
	Records int
	// Issued is how many keys are out with a holder at the end.
	Issued int
	// DoorID is the id of SeedDoor; DoorKeys how many copies it lists.
	DoorID   string
	DoorKeys int
}
