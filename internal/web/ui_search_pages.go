package web

import (
	"net/http"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// searchLimit is how many matches of each kind the search page shows.
const searchLimit = 25

type searchPageData struct {
	Q        string
	Keys     []searchKey
	Holders  []keyward.Holder
	Openings []searchOpening
	Places   []keyward.StoragePlace
	Hooks    []keyward.HookMatch
	// Any says something matched; Full names the kinds that may have more.
	Any   bool
	Full  []string
	Limit int
}

type searchKey struct {
	keyward.Key
	Where string
}

type searchOpening struct {
	keyward.Opening
	SiteName string
}

// searchPage is the header's search box: keys by stamp as written on the
// key, holders, doors, storage places and hooks, grouped by kind.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	d := searchPageData{Q: strings.TrimSpace(r.URL.Query().Get("q")), Limit: searchLimit}
	if d.Q == "" {
		return s.render(w, r, a, http.StatusOK, "search", "Search", d)
	}
	res, err := s.finder.Search(r.Context(), a, d.Q, searchLimit)
	if err != nil {
		return err
	}
	ids := make([]string, len(res.Keys))
	for i, k := range res.Keys {
		ids[i] = k.ID
	}
	reach, err := s.schedule.KeyReaches(r.Context(), a, ids)
	if err != nil {
		return err
	}
	now, zone := s.now().UTC(), s.zone(r)
	for _, k := range res.Keys {
		d.Keys = append(d.Keys, searchKey{Key: k, Where: whereWords(k, reach[k.ID], now, zone)})
	}
	n := s.newPageNames(r, a)
	for _, o := range res.Openings {
		site, err := n.site(o.SiteID)
		if err != nil {
			return err
		}
		d.Openings = append(d.Openings, searchOpening{Opening: o, SiteName: site})
	}
	d.Holders, d.Places, d.Hooks = res.Holders, res.Places, res.Hooks
	d.Any = len(d.Keys)+len(d.Holders)+len(d.Openings)+len(d.Places)+len(d.Hooks) > 0
	for kind, n := range map[string]int{"keys": len(d.Keys), "holders": len(d.Holders), "doors": len(d.Openings), "storage places": len(d.Places)} {
		if n >= searchLimit {
			d.Full = append(d.Full, kind)
		}
	}
	return s.render(w, r, a, http.StatusOK, "search", "Search: "+d.Q, d)
}
