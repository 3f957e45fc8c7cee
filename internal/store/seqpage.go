package store

import (
	"database/sql"
	"strconv"

	"github.com/keyward/keyward/internal/keyward"
)

// Logbooks (a key's, a holder's, a storage place's) page by audit sequence:
// the cursor is the sequence of the last line of the page before.

// seqCursor reads such a cursor; an empty one is none.
func seqCursor(cursor string, none int64) (int64, error) {
	if cursor == "" {
		return none, nil
	}
	seq, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil {
		return 0, keyward.Invalid("cursor", "is not a cursor this list returned")
	}
	return seq, nil
}

// seqPage reads rows queried with LIMIT limit+1 into one page: scan returns a
// line and its sequence, and a row past the limit means there is a next page.
func seqPage[T any](rows *sql.Rows, limit int, scan func(*sql.Rows) (T, int64, error)) (*keyward.Page[T], error) {
	defer rows.Close()
	page := &keyward.Page[T]{Items: []T{}}
	var last int64
	for rows.Next() {
		item, seq, err := scan(rows)
		if err != nil {
			return nil, err
		}
		if len(page.Items) == limit {
			page.Next = strconv.FormatInt(last, 10)
			break
		}
		page.Items = append(page.Items, item)
		last = seq
	}
	return page, rows.Err()
}
