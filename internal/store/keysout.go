package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// dayFinal is how long after midnight a day's count is final: a transaction
// that took its time before midnight has committed by then. Until then the
// day's count is kept as provisional, so dashboard loads in those minutes do
// not each replay the logbook; the first load after it counts the day again.
const dayFinal = 5 * time.Minute

const dayLayout = "2006-01-02"

// KeysOut is the number of keys out (checked out or issued) at the end of each
// of the last days days, which are the organization's days: midnight to
// midnight in its time zone. The last point is now. A finished day's count is
// replayed from the logbook and kept in keys_out_days (at most twice: once
// provisional, once final), so a dashboard load reads at most a year of rows
// and one count.
func (d *DB) KeysOut(ctx context.Context, a keyward.Actor, days int) ([]keyward.DayCount, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	if days < 1 || days > 366 {
		return nil, keyward.Invalid("days", "must be between 1 and 366")
	}
	loc, err := d.orgLocation(ctx)
	if err != nil {
		return nil, err
	}
	now := d.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	out := make([]keyward.DayCount, days)
	for i := range out {
		// AddDate keeps local midnight across a daylight saving change, so a
		// day may last 23 or 25 hours.
		out[i].Day = today.AddDate(0, 0, i-days+1)
	}
	past := out[:days-1]
	kept, err := d.keptKeysOut(ctx, loc.String(), out[0].Day, today)
	if err != nil {
		return nil, err
	}
	var missing []int
	for i := range past {
		k, ok := kept[past[i].Day.Format(dayLayout)]
		if ok && (k.final || !dayIsFinal(past[i].Day, now)) {
			past[i].N = k.n
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		replayed := slices.Clone(past)
		if err := d.replayKeysOut(ctx, replayed); err != nil {
			return nil, err
		}
		for _, i := range missing {
			past[i].N = replayed[i].N
		}
		if err := d.keepKeysOut(ctx, loc.String(), past, missing, now); err != nil {
			return nil, err
		}
	}
	held, statuses := statusIn("status", keyward.HeldStatuses)
	if err := d.queryRow(ctx, `SELECT COUNT(*) FROM keys WHERE `+held, statuses...).Scan(&out[days-1].N); err != nil {
		return nil, fmt.Errorf("store: keys out now: %w", err)
	}
	return out, nil
}

// KeepKeysOut keeps the count of every finished day of the chart's 90-day
// window that is not kept yet, so that no dashboard load replays the logbook.
// The scheduler calls it on every tick; it is two small queries when nothing
// is missing.
func (d *DB) KeepKeysOut(ctx context.Context) error {
	_, err := d.KeysOut(ctx, keyward.SystemActor("scheduler"), 90)
	return err
}

// orgLocation is the organization's time zone; UTC before setup.
func (d *DB) orgLocation(ctx context.Context) (*time.Location, error) {
	var name string
	switch err := d.queryRow(ctx, `SELECT time_zone FROM org`).Scan(&name); {
	case errors.Is(err, sql.ErrNoRows):
		return time.UTC, nil
	case err != nil:
		return nil, fmt.Errorf("store: organization time zone: %w", err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Setup validates the zone; a name this build's zone
		// database lacks falls back to UTC rather than hiding the chart.
		return time.UTC, nil
	}
	return loc, nil
}

// dayIsFinal says whether no transaction of the day starting at day can still commit.
func dayIsFinal(day, now time.Time) bool { return !now.Before(day.AddDate(0, 0, 1).Add(dayFinal)) }

type keptDay struct {
	n     int
	final bool
}

// keptKeysOut reads the kept counts of zone's days in [from, to).
func (d *DB) keptKeysOut(ctx context.Context, zone string, from, to time.Time) (map[string]keptDay, error) {
	rows, err := d.query(ctx, `SELECT day, n, final FROM keys_out_days WHERE zone = ? AND day >= ? AND day < ?`, zone, from.Format(dayLayout), to.Format(dayLayout))
	if err != nil {
		return nil, fmt.Errorf("store: kept keys out: %w", err)
	}
	defer rows.Close()
	kept := map[string]keptDay{}
	for rows.Next() {
		var day string
		var k keptDay
		if err := rows.Scan(&day, &k.n, &k.final); err != nil {
			return nil, err
		}
		kept[day] = k
	}
	return kept, rows.Err()
}

// keepKeysOut stores the replayed counts of the missing days: final for a day
// that is final, provisional otherwise. Two servers may replay the same day;
// a final count stands, a provisional one gives way to a later count.
func (d *DB) keepKeysOut(ctx context.Context, zone string, days []keyward.DayCount, missing []int, now time.Time) error {
	return d.withTx(ctx, func(tx *Tx) error {
		for _, i := range missing {
			if _, err := tx.Exec(ctx, `INSERT INTO keys_out_days (zone, day, n, final) VALUES (?, ?, ?, ?)
				ON CONFLICT (zone, day) DO UPDATE SET n = excluded.n, final = excluded.final WHERE keys_out_days.final = 0`,
				zone, days[i].Day.Format(dayLayout), days[i].N, b2i(dayIsFinal(days[i].Day, now))); err != nil {
				return fmt.Errorf("store: keep keys out: %w", err)
			}
		}
		return nil
	})
}

// replayKeysOut counts the keys out at the end of each of days by replaying
// the logbook from its start.
func (d *DB) replayKeysOut(ctx context.Context, days []keyward.DayCount) error {
	// ends[i] is the end of day i, as stored times read; computed once, as
	// every event of the logbook is compared with one.
	ends := make([]string, len(days))
	for i := range days {
		ends[i] = ts(days[i].Day.AddDate(0, 0, 1))
	}
	last := len(days) - 1
	rows, err := d.query(ctx, `SELECT key_id, action, COALESCE(holder_id, ''), at FROM custody_events WHERE at < ? ORDER BY audit_seq`, ends[last])
	if err != nil {
		return fmt.Errorf("store: keys out: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	n, i := 0, 0
	set := func(k string, v bool) {
		if out[k] != v {
			out[k] = v
			if v {
				n++
			} else {
				n--
			}
		}
	}
	for rows.Next() {
		var key, action, holder, at string
		if err := rows.Scan(&key, &action, &holder, &at); err != nil {
			return fmt.Errorf("store: scan event: %w", err)
		}
		for i < last && at >= ends[i] {
			days[i].N = n
			i++
		}
		switch held, changes := keyward.HeldAfter(action); {
		case action == keyward.CustodyCreate || action == keyward.CustodyImport:
			// A key created or imported with a holder starts out.
			set(key, holder != "")
		case changes:
			set(key, held)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for ; i <= last; i++ {
		days[i].N = n
	}
	return nil
}
