package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/keyward/keyward/internal/keyward"
)

// The key page's storage section: where the key belongs, and a form that
// gives it a place, chosen by name (a cabinet then asks for the hook, a sealed
// envelope for its new seal). The storage rules (keyward.MayHome, HomeSeal)
// decide what the form offers; the store decides again on submit.

// keyPlaceData is the key page's storage section.
type keyPlaceData struct {
	// Home is where the key belongs; HomeWords says it in words.
	Home      *keyward.KeyHome
	HomeWords string
	// Out says the key is out of storage: its place is kept for it.
	Out bool
	// Blocked says, when the key cannot be given a place now, why and what
	// to do first.
	Blocked string
	// CanEdit: the actor may give keys a place.
	CanEdit bool
	// Groups are the places to choose from, by site, the key's sites first.
	Groups []placeGroup
	// Chosen is the place picked in the first step; the second asks for
	// what it needs: a free hook, or the envelope's new seal.
	Chosen      *keyward.StoragePlace
	ChosenWords string
	FreeHooks   []int
	Hook        int // the hook to preselect
	// Seal says which sealed envelope putting the key in Chosen opens.
	Seal string
	// TakeOutSeal says which envelope taking the key out of its place opens.
	TakeOutSeal string
}

type placeGroup struct {
	Site   string
	Places []placeOption
}

type placeOption struct {
	ID, Label string
}

// kindWords names a place's kind in plain words.
func (s *Server) placeWords(n *pageNames, p *keyward.StoragePlace) (string, error) {
	switch p.Kind {
	case keyward.StorageCabinet:
		return "key cabinet, " + strconv.Itoa(p.Hooks) + " hooks", nil
	case keyward.StorageLockbox:
		return "lockbox", nil
	case keyward.StorageEnvelope:
		return "sealed envelope, seal " + p.SealNumber, nil
	case keyward.StorageHolder:
		name, err := n.holder(p.HolderID)
		return "kept by " + name, err
	}
	return p.Kind, nil
}

// homeWords says where a key belongs: "Cabinet A, hook 12", "Spare keys
// (sealed envelope, seal 4471)".
func homeWords(h *keyward.KeyHome) string {
	switch h.StorageKind {
	case keyward.StorageCabinet:
		return h.Where()
	case keyward.StorageEnvelope:
		return h.StorageName + " (sealed envelope, seal " + h.SealNumber + ")"
	case keyward.StorageLockbox:
		return h.StorageName + " (lockbox)"
	}
	return h.StorageName
}

// sealWords is the sentence above a new-seal field: which envelope is opened.
func sealWords(b *keyward.SealBreak, stamp string, in bool) string {
	if in {
		return "Putting " + stamp + " in " + b.Name + " breaks its seal " + b.Broken + ". Put a new seal on the envelope and enter its number."
	}
	return stamp + " is kept in sealed envelope " + b.Name + ": taking it out breaks the seal " + b.Broken + ". Put a new seal on the envelope and enter its number."
}

// keyPlace fills the storage section and the seal fields of the custody
// forms. chosenID is the place picked in the first step, if any.
func (s *Server) keyPlace(r *http.Request, a keyward.Actor, d *keyPageData, chosenID string) error {
	if !keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		return nil
	}
	ctx, k := r.Context(), d.Key
	home, err := s.storage.KeyHome(ctx, a, k.ID)
	if err != nil {
		return err
	}
	p := &keyPlaceData{Home: home, CanEdit: keyward.Allowed(a.Role, keyward.ActStorageEdit), Out: k.Status != keyward.StatusInStorage}
	d.Place = p
	if home != nil {
		p.HomeWords = homeWords(home)
		// The custody forms that open the envelope ask for its new seal.
		d.SealWords = map[string]string{}
		for _, m := range keyward.CustodyMoves {
			if d.Can[m.Action] && keyward.MoveBreaksSeal(m.Action, k.Status, home.StorageKind) {
				_, to, _ := keyward.Transition(m.Action)
				d.SealWords[m.Action] = sealWords(&keyward.SealBreak{Name: home.StorageName, Broken: home.SealNumber}, k.Stamp, to == keyward.StatusInStorage)
			}
		}
	}
	if err := keyward.MayHome(k, d.HolderName, ""); err != nil {
		p.Blocked = keyward.ErrorMessage(err)
	}
	if !p.CanEdit {
		return nil
	}
	base := keyward.HomeRequest{Key: k, HolderName: d.HolderName, From: home}
	if home != nil {
		if b, err := keyward.HomeSeal(base); err == nil && b != nil {
			p.TakeOutSeal = sealWords(b, k.Stamp, false)
		}
	}
	if p.Blocked != "" {
		return nil
	}
	n := s.newPageNames(r, a)
	if chosenID != "" {
		return s.chosenPlace(r, a, n, d, base, chosenID)
	}
	places, err := s.storage.Places(ctx, a, "", "", keyward.ListOptions{Limit: 500})
	if err != nil {
		return err
	}
	// The sites whose doors the key opens come first, then the others by
	// name, then the places of no site.
	rank := map[string]int{}
	for i, so := range d.Opens {
		rank[so.SiteID] = i + 1
	}
	bySite := map[string]*placeGroup{}
	var order []string
	for i := range places.Items {
		pl := &places.Items[i]
		words, err := s.placeWords(n, pl)
		if err != nil {
			return err
		}
		g := bySite[pl.SiteID]
		if g == nil {
			site, err := n.site(pl.SiteID)
			if err != nil {
				return err
			}
			g = &placeGroup{Site: cmp.Or(site, "No site")}
			bySite[pl.SiteID] = g
			order = append(order, pl.SiteID)
		}
		g.Places = append(g.Places, placeOption{ID: pl.ID, Label: pl.Name + " (" + words + ")"})
	}
	slices.SortStableFunc(order, func(x, y string) int {
		rx, ry := rank[x], rank[y]
		switch {
		case x == "" || y == "":
			return cmp.Compare(boolInt(x == ""), boolInt(y == ""))
		case rx != 0 || ry != 0:
			if rx == 0 {
				return 1
			}
			if ry == 0 {
				return -1
			}
			return cmp.Compare(rx, ry)
		}
		return cmp.Compare(bySite[x].Site, bySite[y].Site)
	})
	for _, id := range order {
		p.Groups = append(p.Groups, *bySite[id])
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// chosenPlace is the second step: the place picked, its free hooks, and the
// seal it opens. A place the key cannot go to says why instead.
func (s *Server) chosenPlace(r *http.Request, a keyward.Actor, n *pageNames, d *keyPageData, req keyward.HomeRequest, id string) error {
	p := d.Place
	pl, err := s.storage.Place(r.Context(), a, id)
	switch keyward.ErrorCode(err) {
	case "":
	case keyward.ENOTFOUND:
		p.Blocked = "That storage place no longer exists: choose another."
		return nil
	default:
		return err
	}
	if p.ChosenWords, err = s.placeWords(n, pl); err != nil {
		return err
	}
	p.Chosen = pl
	req.Place = pl
	if pl.Kind == keyward.StorageCabinet {
		taken := map[int]bool{}
		for _, sk := range pl.Keys {
			if sk.KeyID != d.Key.ID {
				taken[sk.Hook] = true
			}
		}
		for h := 1; h <= pl.Hooks; h++ {
			if !taken[h] {
				p.FreeHooks = append(p.FreeHooks, h)
			}
		}
		if len(p.FreeHooks) == 0 {
			p.Blocked = "Every hook of " + pl.Name + " is taken: choose another place, or free a hook first."
			p.Chosen = nil
			return nil
		}
		p.Hook = p.FreeHooks[0]
		if v, err := strconv.Atoi(d.Value("place", "hook")); err == nil && slices.Contains(p.FreeHooks, v) {
			p.Hook = v
		}
		req.Hook = p.Hook
	}
	b, err := keyward.HomeSeal(req)
	if err != nil {
		if keyward.ErrorCode(err) == keyward.EINVALID {
			return err
		}
		p.Blocked, p.Chosen = keyward.ErrorMessage(err), nil
		return nil
	}
	if b != nil {
		p.Seal = sealWords(b, d.Key.Stamp, b.StorageID == pl.ID)
	}
	return nil
}

// keyPlacePost gives the key the place chosen on its page.
func (s *Server) keyPlacePost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	id, place := r.PathValue("id"), r.PostFormValue("storage_id")
	hook, err := formInt(r, "hook")
	var h *keyward.KeyHome
	if err == nil {
		if place == "" {
			err = keyward.Invalid("storage_id", "choose a storage place")
		} else {
			h, err = s.storage.Assign(r.Context(), a, place, keyward.HookInput{KeyID: id, Hook: hook,
				NewSealNumber: r.PostFormValue("new_seal_number"), Reason: r.PostFormValue("reason")})
		}
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKey(w, r, a, st, "place", postedValues(r, "storage_id", "hook", "new_seal_number", "reason"), err)
		})
	}
	msg := "Kept in " + homeWords(h) + " from now on."
	if h.StorageKind == keyward.StorageCabinet {
		msg = "Hangs on hook " + strconv.Itoa(h.Hook) + " of " + h.StorageName + " from now on."
	}
	return redirectFlash(w, r, "/keys/"+url.PathEscape(id), msg)
}

// keyUnplacePost takes the key out of its place.
func (s *Server) keyUnplacePost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	id := r.PathValue("id")
	err := s.storage.Unassign(r.Context(), a, id, keyward.ResealInput{NewSealNumber: r.PostFormValue("new_seal_number"), Reason: r.PostFormValue("reason")})
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderKey(w, r, a, st, "unplace", postedValues(r, "new_seal_number", "reason"), err)
		})
	}
	return redirectFlash(w, r, "/keys/"+url.PathEscape(id), "Taken out of its storage place. Give it a new place below.")
}
