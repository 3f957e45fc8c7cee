// Package demo fills an empty database with realistic data: an office building
// on a master key system with 40 doors, a fleet of five vehicles and a household
// with a smart lock, with keys out, overdue and lost, storage places of every
// kind, credentials, an open offboarding, rekey work and a copy request, so no
// screen starts empty.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Services are what the demo writes through: the same contracts the API uses.
type Services struct {
	Directory keyward.Directory
	Custody   keyward.Custody
	// KeySystems, when set, puts the office on a computed master key system.
	KeySystems keyward.KeySystems
	// Schedule, when set, keys the vehicles and the household's doors by hand.
	Schedule Schedule
	// The services below, when set, fill their screens too.
	Storage     keyward.Storage
	Credentials keyward.Credentials
	Offboarding keyward.Offboardings
	LostKeys    keyward.LostKeys
	Duplication keyward.Duplication
	// Now is the clock the store writes with. When Present is set, the demo
	// starts on a clock a day in the past (so a check-out can be overdue
	// today) and calls Present to bring the store's clock to the real time.
	Now     func() time.Time
	Present func()
}

// Schedule is the hand-kept keying schedule: which symbols operate an opening.
type Schedule interface {
	AddSymbol(ctx context.Context, a keyward.Actor, openingID string, in keyward.SymbolInput) ([]string, error)
}

// Summary counts what was created.
type Summary struct {
	Sites, Openings, Keyways, Holders, Keys, Cylinders int
	StoragePlaces, Credentials, Offboardings           int
}

// Fill creates the demo inventory. It refuses a database that already has sites.
func Fill(ctx context.Context, a keyward.Actor, s Services) (*Summary, error) {
	existing, err := s.Directory.Sites(ctx, a, keyward.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(existing.Items) > 0 {
		return nil, keyward.Errorf(keyward.ECONFLICT, "the database already has sites; demo fills only an empty one")
	}
	sum := &Summary{}
	site := func(name, addr string) *keyward.Site {
		st, e := s.Directory.CreateSite(ctx, a, keyward.SiteInput{Name: name, Address: addr})
		if e != nil && err == nil {
			err = e
		}
		sum.Sites++
		return st
	}
	office := site("Harbour Point Offices", "12 Quay Street")
	fleet := site("Fleet Yard", "4 Depot Lane")
	home := site("Ruiz Household", "88 Linden Avenue")
	if err != nil {
		return nil, err
	}
	officeDoors := map[string]string{} // symbol → opening id
	opening := func(siteID, name, kind string) *keyward.Opening {
		if err != nil {
			return nil
		}
		var o *keyward.Opening
		o, err = s.Directory.CreateOpening(ctx, a, keyward.OpeningInput{SiteID: siteID, Name: name, Kind: kind})
		sum.Openings++
		return o
	}
	// Four floors of ten doors: masters AA..AD under grand master A, change keys AA1..AA10.
	masters := []string{"AA", "AB", "AC", "AD"}
	for f, m := range masters {
		for d := 1; d <= 10; d++ {
			if o := opening(office.ID, fmt.Sprintf("Floor %d, room %d%02d (%s%d)", f+1, f+1, d, m, d), "door"); o != nil {
				officeDoors[fmt.Sprintf("%s%d", m, d)] = o.ID
			}
		}
	}
	// Openings keyed by hand: each vehicle to its own symbol, the house doors to theirs.
	scheduled := map[string]string{} // opening id → symbol
	vehicles := []string{"Van 1 (Ford Transit)", "Van 2 (Ford Transit)", "Pickup (Toyota Hilux)", "Car (Skoda Octavia)", "Minibus (VW Crafter)"}
	for i, v := range vehicles {
		if o := opening(fleet.ID, v, "vehicle"); o != nil {
			scheduled[o.ID] = fmt.Sprintf("V%d", i+1)
		}
	}
	opening(fleet.ID, "Yard gate", "gate")
	opening(fleet.ID, "Key cabinet", "cabinet")
	frontDoor := opening(home.ID, "Front door (smart lock, keyway override)", "door")
	if frontDoor != nil {
		scheduled[frontDoor.ID] = "HOME"
	}
	if o := opening(home.ID, "Garden shed", "door"); o != nil {
		scheduled[o.ID] = "SHED"
	}
	if s.Schedule != nil {
		for id, sym := range scheduled {
			if err == nil {
				_, err = s.Schedule.AddSymbol(ctx, a, id, keyward.SymbolInput{Symbol: sym})
			}
		}
	}
	if err != nil {
		return nil, err
	}
	keyway := func(name, mf, policy string) *keyward.Keyway {
		if err != nil {
			return nil
		}
		var k *keyward.Keyway
		k, err = s.Directory.CreateKeyway(ctx, a, keyward.KeywayInput{Name: name, Manufacturer: mf, DuplicationPolicy: policy})
		sum.Keyways++
		return k
	}
	sc4 := keyway("Schlage Everest C123 (restricted)", "Schlage", "restricted")
	ford := keyway("Ford HU101 transponder", "Ford", "dnd")
	toyota := keyway("Toyota TOY48 transponder", "Toyota", "dnd")
	vw := keyway("VW HU66 transponder", "Volkswagen", "dnd")
	kw1 := keyway("Kwikset KW1", "Kwikset", "open")
	if err != nil {
		return nil, err
	}
	people := []keyward.HolderInput{
		{Name: "Dana Ruiz", Email: "dana.ruiz@example.com", Kind: "staff", Signatory: true},
		{Name: "Sam Okafor", Email: "sam.okafor@example.com", Kind: "staff", Signatory: true},
		{Name: "Priya Nair", Email: "priya.nair@example.com", Kind: "staff"},
		{Name: "Tom Becker", Email: "tom.becker@example.com", Kind: "staff"},
		{Name: "Lena Fischer", Email: "lena.fischer@example.com", Kind: "staff"},
		{Name: "Marco Rossi", Email: "marco.rossi@example.com", Kind: "contractor"},
		{Name: "Aisha Khan", Email: "aisha.khan@example.com", Kind: "tenant"},
		{Name: "Jonas Berg", Email: "jonas.berg@example.com", Kind: "staff"},
		{Name: "Elena Ruiz", Email: "elena.ruiz@example.com", Kind: "family", EmergencyContact: true},
		{Name: "Hugo Martin", Email: "hugo.martin@example.com", Kind: "neighbour", EmergencyContact: true},
		{Name: "Bright Cleaning Ltd", Email: "crew@brightcleaning.example.com", Kind: "contractor"},
		{Name: "Chris Doyle", Email: "chris.doyle@example.com", Kind: "staff"},
	}
	var holders []*keyward.Holder
	for _, p := range people {
		h, e := s.Directory.CreateHolder(ctx, a, p)
		if e != nil {
			return nil, e
		}
		holders = append(holders, h)
		sum.Holders++
	}
	key := func(kw *keyward.Keyway, symbol string) *keyward.Key {
		if err != nil {
			return nil
		}
		var k *keyward.Key
		k, err = s.Custody.CreateKey(ctx, a, keyward.KeyInput{KeywayID: kw.ID, Symbol: symbol})
		sum.Keys++
		return k
	}
	var officeKeys []*keyward.Key
	grandMaster := key(sc4, "A")
	key(sc4, "A")
	for _, m := range masters {
		officeKeys = append(officeKeys, key(sc4, m), key(sc4, m))
		for d := 1; d <= 10; d++ {
			officeKeys = append(officeKeys, key(sc4, fmt.Sprintf("%s%d", m, d)))
		}
	}
	var fleetKeys []*keyward.Key
	for i, kw := range []*keyward.Keyway{ford, ford, toyota, vw, vw} {
		for c := 0; c < 2; c++ {
			fleetKeys = append(fleetKeys, key(kw, fmt.Sprintf("V%d", i+1)))
		}
	}
	homeKeys := []*keyward.Key{key(kw1, "HOME"), key(kw1, "HOME"), key(kw1, "HOME"), key(kw1, "SHED")}
	if err != nil {
		return nil, err
	}
	var system *keyward.KeySystem
	if s.KeySystems != nil {
		if system, err = keyOffice(ctx, a, s.KeySystems, officeDoors, sum); err != nil {
			return nil, err
		}
	}
	if s.Present != nil {
		// Yesterday the pickup went out for a day; it was due back this morning.
		if err := checkout(ctx, s, a, fleetKeys[4].ID, holders[3].ID, s.Now().Add(20*time.Hour)); err != nil {
			return nil, err
		}
		s.Present()
	}
	now := s.Now()
	steps := []func() error{
		func() error { return move(ctx, s, a, officeKeys[0].ID, keyward.CustodyIssue, holders[0].ID) },  // AA master to Dana
		func() error { return move(ctx, s, a, officeKeys[12].ID, keyward.CustodyIssue, holders[1].ID) }, // AB master
		func() error { return move(ctx, s, a, officeKeys[3].ID, keyward.CustodyIssue, holders[6].ID) },  // tenant's change key
		func() error { return move(ctx, s, a, officeKeys[5].ID, keyward.CustodyIssue, holders[2].ID) },
		func() error { return checkout(ctx, s, a, officeKeys[1].ID, holders[10].ID, now.Add(6*time.Hour)) }, // cleaners, due tonight
		func() error { return checkout(ctx, s, a, officeKeys[14].ID, holders[5].ID, now.Add(48*time.Hour)) },
		func() error { return checkout(ctx, s, a, fleetKeys[0].ID, holders[3].ID, now.Add(8*time.Hour)) },
		func() error { return checkout(ctx, s, a, fleetKeys[6].ID, holders[4].ID, now.Add(2*time.Hour)) },
		func() error { return move(ctx, s, a, fleetKeys[9].ID, keyward.CustodyIssue, holders[11].ID) },
		func() error { return move(ctx, s, a, fleetKeys[9].ID, keyward.CustodyLost, "") },
		func() error { return move(ctx, s, a, homeKeys[0].ID, keyward.CustodyIssue, holders[0].ID) },
		func() error { return move(ctx, s, a, homeKeys[1].ID, keyward.CustodyIssue, holders[8].ID) },
		func() error { return move(ctx, s, a, homeKeys[2].ID, keyward.CustodyIssue, holders[9].ID) }, // spare with the neighbour
	}
	for _, st := range steps {
		if err := st(); err != nil {
			return nil, err
		}
	}
	w := world{ctx: ctx, s: s, a: a, sum: sum, office: office, fleet: fleet, home: home, holders: holders,
		officeKeys: officeKeys, fleetKeys: fleetKeys, homeKeys: homeKeys, grandMaster: grandMaster,
		frontDoor: frontDoor, system: system, restricted: sc4, now: now}
	for _, fill := range []func() error{w.storage, w.credentials, w.lostMaster, w.lostVanKey, w.offboarding, w.copies} {
		if err := fill(); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// world is what the first part of Fill made, for the screens filled after it.
type world struct {
	ctx                             context.Context
	s                               Services
	a                               keyward.Actor
	sum                             *Summary
	office, fleet, home             *keyward.Site
	holders                         []*keyward.Holder
	officeKeys, fleetKeys, homeKeys []*keyward.Key
	grandMaster                     *keyward.Key
	frontDoor                       *keyward.Opening
	system                          *keyward.KeySystem
	restricted                      *keyward.Keyway
	now                             time.Time
}

// storage makes one place of every kind and puts keys in them: the fleet's
// spares on cabinet hooks, a grand master in the lobby lockbox, the shed key
// in a sealed envelope and a floor master with the night manager.
func (w *world) storage() error {
	if w.s.Storage == nil {
		return nil
	}
	place := func(in keyward.StorageInput) (*keyward.StoragePlace, error) {
		p, err := w.s.Storage.Create(w.ctx, w.a, in)
		if err == nil {
			w.sum.StoragePlaces++
		}
		return p, err
	}
	cabinet, err := place(keyward.StorageInput{Kind: keyward.StorageCabinet, Name: "Fleet key cabinet", SiteID: w.fleet.ID, Location: "Dispatch office, by the door", Hooks: 20})
	if err != nil {
		return err
	}
	for hook, i := range []int{1, 3, 5, 7, 8} { // a spare of each vehicle's key
		if _, err := w.s.Storage.Assign(w.ctx, w.a, cabinet.ID, keyward.HookInput{KeyID: w.fleetKeys[i].ID, Hook: hook + 1}); err != nil {
			return fmt.Errorf("demo: hang %s: %w", w.fleetKeys[i].Stamp, err)
		}
	}
	lockbox, err := place(keyward.StorageInput{Kind: keyward.StorageLockbox, Name: "Lobby lockbox", SiteID: w.office.ID, Location: "Behind the reception desk", Code: "4821"})
	if err != nil {
		return err
	}
	if _, err := w.s.Storage.Assign(w.ctx, w.a, lockbox.ID, keyward.HookInput{KeyID: w.grandMaster.ID}); err != nil {
		return err
	}
	envelope, err := place(keyward.StorageInput{Kind: keyward.StorageEnvelope, Name: "Spare shed key", SiteID: w.home.ID, Location: "Kitchen drawer", SealNumber: "S-0001"})
	if err != nil {
		return err
	}
	if _, err := w.s.Storage.Assign(w.ctx, w.a, envelope.ID, keyward.HookInput{KeyID: w.homeKeys[3].ID, NewSealNumber: "S-0002", Reason: "Spare shed key sealed in"}); err != nil {
		return err
	}
	keeper, err := place(keyward.StorageInput{Kind: keyward.StorageHolder, Name: "Night manager's spare", SiteID: w.office.ID, HolderID: w.holders[7].ID})
	if err != nil {
		return err
	}
	_, err = w.s.Storage.Assign(w.ctx, w.a, keeper.ID, keyward.HookInput{KeyID: w.officeKeys[37].ID}) // AD master, second copy
	return err
}

// credentials gives the household's front door a PIN and an office worker a card.
func (w *world) credentials() error {
	if w.s.Credentials == nil || w.frontDoor == nil {
		return nil
	}
	for _, in := range []keyward.CredentialInput{
		{Kind: keyward.CredentialPIN, Label: "Elena's door code", PIN: "470219", HolderID: w.holders[8].ID, OpeningIDs: []string{w.frontDoor.ID}},
		{Kind: keyward.CredentialFob, Label: "Neighbour's fob", Number: "FOB-0042", HolderID: w.holders[9].ID, OpeningIDs: []string{w.frontDoor.ID}},
	} {
		if _, err := w.s.Credentials.Issue(w.ctx, w.a, in); err != nil {
			return fmt.Errorf("demo credential %q: %w", in.Label, err)
		}
		w.sum.Credentials++
	}
	return nil
}

// lostMaster loses the third floor's master key and opens its rekey plan.
func (w *world) lostMaster() error {
	if w.system == nil {
		return nil
	}
	k := w.officeKeys[24] // AC master, first copy
	if err := move(w.ctx, w.s, w.a, k.ID, keyward.CustodyIssue, w.holders[4].ID); err != nil {
		return err
	}
	if _, err := w.s.Custody.Move(w.ctx, w.a, k.ID, keyward.CustodyLost, keyward.CustodyInput{Note: "Left on the train"}); err != nil {
		return err
	}
	_, err := w.s.KeySystems.ReportLost(w.ctx, w.a, w.system.ID, keyward.LostKeyInput{Symbol: "AC", KeyID: k.ID, Note: "Left on the train"})
	return err
}

// lostVanKey makes the work list of the minibus key lost earlier, a key outside the key system.
func (w *world) lostVanKey() error {
	if w.s.LostKeys == nil || w.s.Schedule == nil {
		return nil
	}
	_, err := w.s.LostKeys.CreateWorkList(w.ctx, w.a, keyward.WorkListInput{KeyID: w.fleetKeys[9].ID, Note: "Minibus key lost by a driver"})
	return err
}

// offboarding: a driver leaves on Friday, with an office key still to collect.
func (w *world) offboarding() error {
	if w.s.Offboarding == nil {
		return nil
	}
	leaver := w.holders[11]
	if err := move(w.ctx, w.s, w.a, w.officeKeys[25].ID, keyward.CustodyIssue, leaver.ID); err != nil { // AC master, second copy
		return err
	}
	if _, err := w.s.Offboarding.Start(w.ctx, w.a, leaver.ID, keyward.OffboardingInput{Note: "Leaves on Friday"}); err != nil {
		return err
	}
	w.sum.Offboardings++
	return nil
}

// copies registers the restricted keyway's signatories and card, and asks for
// a copy of a van key for a manager to approve.
func (w *world) copies() error {
	if w.s.Duplication == nil {
		return nil
	}
	for _, h := range w.holders[:2] {
		if _, err := w.s.Duplication.AddSignatory(w.ctx, w.a, w.restricted.ID, keyward.SignatoryInput{HolderID: h.ID}); err != nil {
			return err
		}
	}
	if err := w.s.Duplication.SetCard(w.ctx, w.a, w.restricted.ID, keyward.CardInput{Number: "HP-4471-C"}); err != nil {
		return err
	}
	_, err := w.s.Duplication.RequestCopies(w.ctx, w.a, keyward.CopyRequestInput{KeyID: w.fleetKeys[0].ID, Count: 1, Reason: "A second driver starts on Van 1 on Monday"})
	return err
}

func move(ctx context.Context, s Services, a keyward.Actor, keyID, action, holderID string) error {
	_, err := s.Custody.Move(ctx, a, keyID, action, keyward.CustodyInput{HolderID: holderID})
	return err
}

func checkout(ctx context.Context, s Services, a keyward.Actor, keyID, holderID string, due time.Time) error {
	_, err := s.Custody.Checkout(ctx, a, keyID, keyward.CheckoutInput{HolderID: holderID, DueAt: due})
	return err
}

// keyOffice puts the 40 office doors on a Schlage 6-pin, 3-level system: grand
// master A, floor masters AA..AD, change keys AA1..AD10, and pins each cylinder.
func keyOffice(ctx context.Context, a keyward.Actor, ks keyward.KeySystems, doors map[string]string, sum *Summary) (*keyward.KeySystem, error) {
	sys, err := ks.CreateKeySystem(ctx, a, keyward.KeySystemInput{
		Name: "Harbour Point master key system", Manufacturer: "schlage_sc4", TMK: "246824", TopSymbol: "A",
		Levels: []keyward.KeySystemLevel{{Level: "master", Sequence: []int{1}}, {Level: "change", Sequence: []int{5, 6}}},
	})
	if err != nil {
		return nil, fmt.Errorf("demo key system: %w", err)
	}
	for f, m := range []string{"AA", "AB", "AC", "AD"} {
		for d := 1; d <= 10; d++ {
			symbol := fmt.Sprintf("%s%d", m, d)
			if _, err := ks.Assign(ctx, a, sys.ID, keyward.AssignInput{OpeningID: doors[symbol], Symbol: symbol}); err != nil {
				return nil, fmt.Errorf("demo: key floor %d door %s: %w", f+1, symbol, err)
			}
			sum.Cylinders++
		}
	}
	return sys, nil
}
