package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// maxSortedKeys bounds the keys the list reads to sort them by any column;
// past it the list says so and asks for a filter.
const maxSortedKeys = keyward.MaxKeyReaches

// keyListPage is how many rows one page of the key list shows unless ?limit= says.
const keyListPage = 100

// listRow is one row of the key list: the key, what it opens and where it is.
type listRow struct {
	keyRow
	Where        string
	FirstOpening string
	OpensCount   int
}

// MoreOpens is how many openings it opens besides the first.
func (r listRow) MoreOpens() int { return max(r.OpensCount-1, 0) }

// keyColumn is a sortable column of the key list.
type keyColumn struct {
	Name, Label string
	less        func(a, b *listRow) int
}

// keyColumns are the key list's columns, each sortable; ties go by stamp.
var keyColumns = []keyColumn{
	{"stamp", "Key", func(a, b *listRow) int { return 0 }},
	{"opens", "Opens", func(a, b *listRow) int { return cmp.Compare(a.OpensCount, b.OpensCount) }},
	{"where", "Where it is", func(a, b *listRow) int { return strings.Compare(strings.ToLower(a.Where), strings.ToLower(b.Where)) }},
	{"keyway", "Keyway", func(a, b *listRow) int { return strings.Compare(strings.ToLower(a.Keyway), strings.ToLower(b.Keyway)) }},
	{"status", "Status", func(a, b *listRow) int {
		return cmp.Compare(slices.Index(keyward.KeyStatuses, a.Status), slices.Index(keyward.KeyStatuses, b.Status))
	}},
	{"holder", "Holder", func(a, b *listRow) int {
		return lastEmpty(strings.ToLower(a.HolderName), strings.ToLower(b.HolderName))
	}},
	{"due", "Due", func(a, b *listRow) int {
		switch {
		case a.DueAt == nil && b.DueAt == nil:
			return 0
		case a.DueAt == nil:
			return 1
		case b.DueAt == nil:
			return -1
		}
		return a.DueAt.Compare(*b.DueAt)
	}},
}

// lastEmpty compares text, empty after everything else.
func lastEmpty(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

// sortLink is one column heading: its link sorts by it, or flips the direction.
type sortLink struct {
	Label, Href string
	// Sort is "ascending" or "descending" for the column the list is sorted by.
	Sort string
}

// sortKeyRows sorts rows by column name in dir ("asc" or "desc"); the stamp,
// read naturally (AA2 before AA10), orders ties and is the default.
func sortKeyRows(rows []listRow, name, dir string) {
	col := keyColumns[0]
	for _, c := range keyColumns {
		if c.Name == name {
			col = c
		}
	}
	slices.SortStableFunc(rows, func(a, b listRow) int {
		c := col.less(&a, &b)
		if c == 0 {
			c = keyward.CompareStamps(a.Symbol, a.CopyNumber, b.Symbol, b.CopyNumber)
		}
		if dir == "desc" {
			return -c
		}
		return c
	})
}

// keyListSort reads ?sort= and ?dir=; anything else is a 400 naming the field.
func keyListSort(q url.Values) (string, string, error) {
	name, dir := cmp.Or(q.Get("sort"), "stamp"), cmp.Or(q.Get("dir"), "asc")
	var v keyward.Validator
	v.Check(slices.ContainsFunc(keyColumns, func(c keyColumn) bool { return c.Name == name }), "sort", "must be one of stamp, opens, where, keyway, status, holder, due")
	v.Check(dir == "asc" || dir == "desc", "dir", "must be asc or desc")
	return name, dir, v.Err()
}

// sortLinks are the column headings of the list sorted by name, dir.
func sortLinks(r *http.Request, name, dir string) []sortLink {
	out := make([]sortLink, len(keyColumns))
	for i, c := range keyColumns {
		q := r.URL.Query()
		q.Del("cursor")
		q.Del("flash")
		q.Set("sort", c.Name)
		q.Set("dir", "asc")
		l := sortLink{Label: c.Label}
		if c.Name == name {
			l.Sort = "ascending"
			if dir == "desc" {
				l.Sort = "descending"
			} else {
				q.Set("dir", "desc")
			}
		}
		l.Href = r.URL.Path + "?" + q.Encode()
		out[i] = l
	}
	return out
}

// keyListRows reads every key of the filter (at most maxSortedKeys), with
// what each opens and where it is, sorts them and cuts the page at offset.
// It reports whether the filter matched more keys than it read.
func (s *Server) keyListRows(r *http.Request, a keyward.Actor, f keyward.KeyFilter, name, dir string, offset, limit int, now time.Time) ([]listRow, bool, bool, error) {
	ctx := r.Context()
	var keys []keyward.Key
	f.ListOptions = keyward.ListOptions{Limit: 500}
	more := false
	for {
		p, err := s.custody.Keys(ctx, a, f)
		if err != nil {
			return nil, false, false, err
		}
		keys = append(keys, p.Items...)
		if p.Next == "" {
			break
		}
		if len(keys) >= maxSortedKeys {
			more = true
			keys = keys[:maxSortedKeys]
			break
		}
		f.Cursor = p.Next
	}
	n := s.newPageNames(r, a)
	zone := s.zone(r)
	rows := make([]listRow, len(keys))
	for i, k := range keys {
		rows[i] = listRow{keyRow: keyRow{Key: k, Overdue: isOverdue(k, now)}}
		var err error
		if rows[i].Keyway, err = n.keyway(k.KeywayID); err != nil {
			return nil, false, false, err
		}
	}
	// What a key opens and where it is are read for every key only when the
	// list is sorted by them; otherwise for the rows of the page.
	fill := func(rows []listRow) error {
		ids := make([]string, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		reach, err := s.schedule.KeyReaches(ctx, a, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			if rc := reach[rows[i].ID]; rc != nil {
				rows[i].HolderName, rows[i].OpensCount = rc.HolderName, len(rc.Opens)
				if len(rc.Opens) > 0 {
					rows[i].FirstOpening = rc.Opens[0].OpeningName
				}
			}
			rows[i].Where = whereWords(rows[i].Key, reach[rows[i].ID], now, zone)
		}
		return nil
	}
	byReach := name == "opens" || name == "where" || name == "holder"
	if byReach {
		if err := fill(rows); err != nil {
			return nil, false, false, err
		}
	}
	sortKeyRows(rows, name, dir)
	if offset >= len(rows) {
		return nil, more, false, nil
	}
	end := min(offset+limit, len(rows))
	page := rows[offset:end]
	if !byReach {
		if err := fill(page); err != nil {
			return nil, false, false, err
		}
	}
	return page, more, end < len(rows), nil
}

// offsetCursor reads the key list's cursor: the offset of its page.
func offsetCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(c, "o"))
	if err != nil || n < 0 || !strings.HasPrefix(c, "o") {
		return 0, keyward.Invalid("cursor", "is not a cursor this list returned")
	}
	return n, nil
}
