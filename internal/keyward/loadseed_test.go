package keyward

import (
	"fmt"
	"strings"
	"testing"
)

func TestLoadSeedInputValidate(t *testing.T) {
	for _, c := range []struct {
		in    LoadSeedInput
		field string // "" for valid
		rule  string
	}{
		{LoadSeedInput{Keys: 1000, Holders: 100, Events: 10_000}, "", ""},
		{LoadSeedInput{Keys: 100_000, Holders: 10_000, Events: 1_000_000}, "", ""},
		{LoadSeedInput{Keys: 1000, Holders: 1, Events: 1000}, "", ""},
		{LoadSeedInput{Keys: 1000, Holders: 1, Events: 100_000}, "", ""},
		{LoadSeedInput{Keys: 999, Holders: 1, Events: 1000}, "keys", "must be 1000 to 10000000"},
		{LoadSeedInput{Keys: 0, Holders: 1, Events: 0}, "keys", "must be 1000 to"},
		{LoadSeedInput{Keys: 1000, Holders: 0, Events: 1000}, "holders", "must be 1 to 1000000"},
		{LoadSeedInput{Keys: 1000, Holders: 1_000_001, Events: 1000}, "holders", "must be 1 to"},
		{LoadSeedInput{Keys: 1000, Holders: 10, Events: 999}, "events", "at least the keys"},
		{LoadSeedInput{Keys: 1000, Holders: 10, Events: 100_001}, "events", "at most 100 per key"},
	} {
		err := c.in.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.in, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != c.field || !strings.Contains(e.Fields[0].Rule, c.rule) {
			t.Errorf("%+v: got %v, want %s %q", c.in, err, c.field, c.rule)
		}
	}
}

func TestLoadSeedRounds(t *testing.T) {
	for _, c := range []struct {
		in             LoadSeedInput
		rounds, last   int
		first, lastKey int // lines of key 0 and of the last key
	}{
		{LoadSeedInput{Keys: 1000, Holders: 1, Events: 1000}, 1, 1000, 1, 1},
		{LoadSeedInput{Keys: 1000, Holders: 1, Events: 10_000}, 10, 1000, 10, 10},
		{LoadSeedInput{Keys: 1000, Holders: 1, Events: 10_500}, 11, 500, 11, 10},
	} {
		sum := 0
		for r := range c.in.Rounds() {
			sum += c.in.RoundKeys(r)
		}
		if c.in.Rounds() != c.rounds || c.in.RoundKeys(c.rounds-1) != c.last || sum != c.in.Events ||
			c.in.LinesOf(0) != c.first || c.in.LinesOf(c.in.Keys-1) != c.lastKey {
			t.Errorf("%+v: %d rounds, last of %d keys, %d lines in all, key 0 %d lines, last key %d",
				c.in, c.in.Rounds(), c.in.RoundKeys(c.in.Rounds()-1), sum, c.in.LinesOf(0), c.in.LinesOf(c.in.Keys-1))
		}
	}
}

// TestSeedMovesObeyTheRules replays seeded histories through PlanMove: every
// move is allowed from where the key is, and transfers change hands.
func TestSeedMovesObeyTheRules(t *testing.T) {
	a := SystemActor("test")
	holder := func(i int) string { return fmt.Sprintf("h%d", i) }
	for _, holders := range []int{1, 2, 7} {
		for _, in := range []LoadSeedInput{{Keys: 1000, Holders: holders, Events: 10_000}, {Keys: 1000, Holders: holders, Events: 1000 * SeedMaxRounds}} {
			for k := range 12 {
				key := Key{ID: "k", Status: StatusInStorage}
				for r := 1; r < in.LinesOf(k); r++ {
					m, err := PlanMove(a, key, in.SeedMove(k, r, holder))
					if err != nil {
						t.Fatalf("holders %d, key %d, round %d: %v", holders, k, r, err)
					}
					key = m.Key
				}
				// Ten lines: created, then nine moves.
				if want := []string{StatusIssued, StatusIssued, StatusInStorage}[k%3]; in.LinesOf(k) == 10 && key.Status != want {
					t.Errorf("holders %d, key %d ends %s, want %s", holders, k, key.Status, want)
				}
			}
		}
	}
	if got := strings.Join(SeedDoorSymbols, " "); got != "S00042 S00043 S00044" || SeedCopy(449) != 10 {
		t.Errorf("door symbols %s, copy of key 449 %d", got, SeedCopy(449))
	}
}
