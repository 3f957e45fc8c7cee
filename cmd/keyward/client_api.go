package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
)

// api is what an API client command works with: the client, the
// organization's clock, and the names of what it shows by id, each read once.
type api struct {
	e       *env
	c       *client.Client
	zone    *time.Location
	holders map[string]keyward.Holder
	sites   map[string]string
	keyways map[string]string
}

func (e *env) api() *api {
	return &api{e: e, c: client.New(e.server, e.token), holders: map[string]keyward.Holder{}, sites: map[string]string{}, keyways: map[string]string{}}
}

func (a *api) get(path string, q url.Values, out any) error {
	return a.c.Do(a.e.ctx, "GET", path, q, nil, out)
}

// allPage is the page size of --all and of the lists read to resolve names.
const allPage = 500

// listFlags are the paging flags of every list command.
type listFlags struct {
	all    bool
	limit  int
	cursor string
}

func (l *listFlags) add(c *cobra.Command) {
	c.Flags().BoolVar(&l.all, "all", false, "list everything, following the pages")
	c.Flags().IntVar(&l.limit, "limit", 0, "how many to read per page, 1 to 500 (default 50; with --all 500)")
	c.Flags().StringVar(&l.cursor, "cursor", "", "start at this page (the \"next\" of a --json answer)")
}

// list reads one page of path, or with all every page, as raw JSON items
// (so --json prints what the API said) and the cursor of the page after.
func (a *api) list(l listFlags, path string, q url.Values) ([]json.RawMessage, string, error) {
	if q == nil {
		q = url.Values{}
	}
	switch {
	case l.limit != 0:
		q.Set("limit", strconv.Itoa(l.limit))
	case l.all:
		q.Set("limit", strconv.Itoa(allPage))
	}
	if l.cursor != "" {
		q.Set("cursor", l.cursor)
	}
	items := []json.RawMessage{}
	for {
		var p keyward.Page[json.RawMessage]
		if err := a.get(path, q, &p); err != nil {
			return nil, "", err
		}
		items = append(items, p.Items...)
		if !l.all || p.Next == "" {
			return items, p.Next, nil
		}
		q.Set("cursor", p.Next)
	}
}

// listAll reads every item of path.
func listAll[T any](a *api, path string, q url.Values) ([]T, error) {
	raw, _, err := a.list(listFlags{all: true}, path, q)
	if err != nil {
		return nil, err
	}
	return decodeAll[T](raw)
}

func decodeAll[T any](raw []json.RawMessage) ([]T, error) {
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, fmt.Errorf("unexpected answer from server: %w", err)
		}
	}
	return out, nil
}

// clock is the organization's time zone (UTC when it does not load).
func (a *api) clock() (*time.Location, error) {
	if a.zone != nil {
		return a.zone, nil
	}
	var org keyward.Org
	if err := a.get("/api/v1/org", nil, &org); err != nil {
		return nil, err
	}
	a.zone = time.UTC
	if l, err := time.LoadLocation(org.TimeZone); err == nil {
		a.zone = l
	}
	return a.zone, nil
}

// when is t on the organization's clock, "" for none.
func (a *api) when(t *time.Time) (string, error) {
	if t == nil || t.IsZero() {
		return "", nil
	}
	zone, err := a.clock()
	if err != nil {
		return "", err
	}
	return when.Format(*t, zone), nil
}

// due is a key's due time in words, marked when it has passed.
func (a *api) due(k keyward.Key) (string, error) {
	s, err := a.when(k.DueAt)
	if s != "" && keyward.Overdue(k, time.Now()) {
		s += " (overdue)"
	}
	return s, err
}

// manyNames is how many unknown ids make reading the whole list cheaper than
// reading each record.
const manyNames = 20

// knowHolders reads the holders of ids about to be shown: the whole list at
// once when more than manyNames are not known yet, else nothing (holder reads
// each one when it is needed).
func (a *api) knowHolders(ids []string) error {
	unknown := map[string]bool{}
	for _, id := range ids {
		if _, ok := a.holders[id]; !ok && id != "" {
			unknown[id] = true
		}
	}
	if len(unknown) <= manyNames {
		return nil
	}
	all, err := listAll[keyward.Holder](a, "/api/v1/holders", url.Values{"include_retired": {"true"}})
	if err != nil {
		return err
	}
	for _, h := range all {
		a.holders[h.ID] = h
	}
	return nil
}

// holder is the holder with id, read once. One the token may not read shows
// as "another holder".
func (a *api) holder(id string) (keyward.Holder, error) {
	if id == "" {
		return keyward.Holder{}, nil
	}
	if h, ok := a.holders[id]; ok {
		return h, nil
	}
	var h keyward.Holder
	err := a.get("/api/v1/holders/"+url.PathEscape(id), nil, &h)
	switch keyward.ErrorCode(err) {
	case "":
	case keyward.EFORBIDDEN:
		h = keyward.Holder{ID: id, Name: "another holder"}
	case keyward.ENOTFOUND:
		h = keyward.Holder{ID: id, Name: "a removed holder"}
	default:
		return keyward.Holder{}, err
	}
	a.holders[id] = h
	return h, nil
}

// holderName is the name of the holder with id ("" for none).
func (a *api) holderName(id string) (string, error) {
	h, err := a.holder(id)
	return h.Name, err
}

func (a *api) siteName(id string) (string, error) {
	return a.named(a.sites, "/api/v1/sites/", id, func(raw []byte) (string, error) {
		var s keyward.Site
		return s.Name, json.Unmarshal(raw, &s)
	})
}

func (a *api) keywayName(id string) (string, error) {
	return a.named(a.keyways, "/api/v1/keyways/", id, func(raw []byte) (string, error) {
		var k keyward.Keyway
		return k.Name, json.Unmarshal(raw, &k)
	})
}

func (a *api) named(cache map[string]string, path, id string, name func([]byte) (string, error)) (string, error) {
	if id == "" {
		return "", nil
	}
	if n, ok := cache[id]; ok {
		return n, nil
	}
	var raw json.RawMessage
	if err := a.get(path+url.PathEscape(id), nil, &raw); err != nil {
		return "", err
	}
	n, err := name(raw)
	if err != nil {
		return "", err
	}
	cache[id] = n
	return n, nil
}

// idShape is an internal id as the server makes them; still accepted where
// a name is, so scripts written with ids keep working.
var idShape = regexp.MustCompile(`^[a-z]+_[0-9a-z]{16}$`)

func isID(ref, prefix string) bool {
	return strings.HasPrefix(ref, prefix+"_") && idShape.MatchString(ref)
}

// search asks the server's search for q (what a person typed).
func (a *api) search(q string) (*keyward.SearchResult, error) {
	var res keyward.SearchResult
	q = strings.Join(strings.Fields(q), " ")
	if q == "" || len(q) > keyward.MaxName {
		return &res, nil
	}
	err := a.get("/api/v1/search", url.Values{"q": {q}, "limit": {strconv.Itoa(allPage)}}, &res)
	return &res, err
}

// keyID is the id of the key stamped ref (see keyward.PickKey).
func (a *api) keyID(ref string) (string, error) {
	if isID(ref, "key") {
		return ref, nil
	}
	var found []keyward.Key
	if len(keyward.StampReadings(ref)) > 0 {
		res, err := a.search(ref)
		switch {
		case keyward.ErrorCode(err) == keyward.EFORBIDDEN:
			// A holder may not search, but names the keys they hold.
			if found, err = a.ownKeys(err); err != nil {
				return "", err
			}
		case err != nil:
			return "", err
		default:
			found = res.Keys
		}
	}
	k, err := keyward.PickKey(ref, found)
	return k.ID, err
}

// ownKeys are the keys the token's own holder has now; refused, when the
// token's user is no holder, with the refusal of the search.
func (a *api) ownKeys(refused error) ([]keyward.Key, error) {
	var me struct {
		HolderID string `json:"holder_id"`
	}
	if err := a.get("/api/v1/me", nil, &me); err != nil {
		return nil, err
	}
	if me.HolderID == "" {
		return nil, refused
	}
	var p keyward.Page[keyward.Key]
	err := a.get("/api/v1/holders/"+url.PathEscape(me.HolderID)+"/keys", nil, &p)
	return p.Items, err
}

// holderID is the id of the holder ref names, by email or name (see
// keyward.PickHolder); retired says to look among retired holders too.
func (a *api) holderID(ref string, retired bool) (string, error) {
	if isID(ref, "hld") {
		return ref, nil
	}
	var found []keyward.Holder
	if retired {
		all, err := listAll[keyward.Holder](a, "/api/v1/holders", url.Values{"include_retired": {"true"}})
		if err != nil {
			return "", err
		}
		found = all
	} else {
		res, err := a.search(ref)
		if err != nil {
			return "", err
		}
		found = res.Holders
	}
	h, err := keyward.PickHolder(ref, found)
	if err == nil {
		a.holders[h.ID] = h
	}
	return h.ID, err
}

func (a *api) siteID(ref string, retired bool) (string, error) {
	if isID(ref, "site") {
		return ref, nil
	}
	sites, err := listAll[keyward.Site](a, "/api/v1/sites", retiredToo(retired))
	if err != nil {
		return "", err
	}
	s, err := keyward.PickNamed("site", ref, sites, func(s keyward.Site) string { return s.Name }, func(s keyward.Site) string { return s.Name })
	return s.ID, err
}

func (a *api) keywayID(ref string, retired bool) (string, error) {
	if isID(ref, "kwy") {
		return ref, nil
	}
	kws, err := listAll[keyward.Keyway](a, "/api/v1/keyways", retiredToo(retired))
	if err != nil {
		return "", err
	}
	k, err := keyward.PickNamed("keyway", ref, kws, func(k keyward.Keyway) string { return k.Name }, func(k keyward.Keyway) string { return k.Name })
	return k.ID, err
}

// openingID is the id of the opening named ref; site (a SITE, may be "")
// narrows the choice to that site's openings.
func (a *api) openingID(ref, site string, retired bool) (string, error) {
	if isID(ref, "opn") {
		return ref, nil
	}
	var found []keyward.Opening
	switch {
	case site != "" || retired:
		q := retiredToo(retired)
		if site != "" {
			id, err := a.siteID(site, retired)
			if err != nil {
				return "", err
			}
			q.Set("site_id", id)
		}
		all, err := listAll[keyward.Opening](a, "/api/v1/openings", q)
		if err != nil {
			return "", err
		}
		found = all
	default:
		res, err := a.search(ref)
		if err != nil {
			return "", err
		}
		found = res.Openings
	}
	labels := map[string]string{}
	for _, o := range found {
		name, err := a.siteName(o.SiteID)
		if err != nil {
			return "", err
		}
		labels[o.ID] = o.Name + " at " + name
	}
	o, err := keyward.PickNamed("opening", ref, found, func(o keyward.Opening) string { return o.Name }, func(o keyward.Opening) string { return labels[o.ID] })
	if keyward.ErrorCode(err) == keyward.EINVALID && site == "" {
		err = keyward.Errorf(keyward.EINVALID, "%s; add --site SITE to say which", keyward.ErrorMessage(err))
	}
	return o.ID, err
}

func retiredToo(retired bool) url.Values {
	q := url.Values{}
	if retired {
		q.Set("include_retired", "true")
	}
	return q
}

// table writes rows under a header in aligned columns, leaving out the
// columns empty in every row, or "No WHAT." for no rows.
func (e *env) table(what string, header []string, rows [][]string) {
	if len(rows) == 0 {
		fmt.Fprintf(e.stdout, "No %s.\n", what)
		return
	}
	var keep []int
	for i := range header {
		if slices.ContainsFunc(rows, func(r []string) bool { return i < len(r) && r[i] != "" }) {
			keep = append(keep, i)
		}
	}
	pick := func(r []string) string {
		cells := make([]string, len(keep))
		for j, i := range keep {
			if i < len(r) {
				cells[j] = r[i]
			}
		}
		return strings.Join(cells, "\t")
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, pick(header))
	for _, r := range rows {
		fmt.Fprintln(tw, pick(r))
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprintln(e.stdout, strings.TrimRight(line, " \n"))
		}
	}
}

// fields writes one record as aligned "label  value" lines, skipping empty values.
func (e *env) fields(pairs ...string) {
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", pairs[i], pairs[i+1])
		}
	}
	tw.Flush()
}

// printJSON writes v indented, for scripts.
func (e *env) printJSON(v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, string(b))
	return 0
}

// words is a status or other enum value in words: "checked_out" → "checked out".
func words(s string) string { return strings.ReplaceAll(s, "_", " ") }
