package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/access"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/offlinecode"
	"github.com/keyward/keyward/internal/vault"
)

// LockSync keeps lock sync's state: each lock's desired state and what it
// acknowledged, temporary codes and their slots, and each lock's logbook.
// It serves people (keyward.LockSync) and the syncer (keyward.LockSyncFeed).
type LockSync struct {
	db    *DB
	vault *vault.Key
}

// LockSync returns the lock sync service; v seals lock secrets and PINs.
func (d *DB) LockSync(v *vault.Key) *LockSync { return &LockSync{db: d, vault: v} }

// EventTempCode is the outbox event of the email that carries a temporary code's link.
const EventTempCode = "tempcode.link"

// syncActor is who lock sync's own changes are recorded under.
var syncActor = keyward.SystemActor("locksync")

const defaultLockSlots = 20

func lockSecretAAD(id string) string { return "locksecret:" + id }
func tempPINAAD(id string) string    { return "tempcode:" + id }

// syncLockRow is one sync_locks row.
type syncLockRow struct {
	id, name, adapter, device string
	slots                     int
	secretSealed              string
	accessLock                string
	version, ackedVersion     int64
	intended, acked           []string
	online                    bool
	lastSeen                  *time.Time
}

const syncLockCols = `id, name, adapter, COALESCE(device, ''), slots, secret_sealed, COALESCE(access_lock, ''),
	version, intended, acked_version, acked, online, last_seen`

type rowScanner interface{ Scan(...any) error }

func scanSyncLock(r rowScanner) (*syncLockRow, error) {
	var l syncLockRow
	var intended, acked string
	var online int
	var seen sql.NullString
	if err := r.Scan(&l.id, &l.name, &l.adapter, &l.device, &l.slots, &l.secretSealed, &l.accessLock,
		&l.version, &intended, &l.ackedVersion, &acked, &online, &seen); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(intended), &l.intended); err != nil {
		return nil, fmt.Errorf("store: lock %s intended set: %w", l.id, err)
	}
	if err := json.Unmarshal([]byte(acked), &l.acked); err != nil {
		return nil, fmt.Errorf("store: lock %s acknowledged set: %w", l.id, err)
	}
	l.online, l.lastSeen = online == 1, tsPtr(seen)
	return &l, nil
}

func (t *Tx) syncLocks(ctx context.Context, where string, args ...any) ([]*syncLockRow, error) {
	rows, err := t.Query(ctx, `SELECT `+syncLockCols+` FROM sync_locks `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sync locks: %w", err)
	}
	defer rows.Close()
	var out []*syncLockRow
	for rows.Next() {
		l, err := scanSyncLock(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// codeSlotRow is a live temp_code_slots row with its code.
type codeSlotRow struct {
	codeID, lockID, recipient, pinSealed string
	slot, used                           int
	sched                                keyward.CodeSchedule
	revoked                              bool
}

func (t *Tx) liveSlots(ctx context.Context, where string, args ...any) ([]codeSlotRow, error) {
	rows, err := t.Query(ctx, `SELECT s.code_id, s.lock_id, s.slot, c.recipient, c.pin_sealed, c.used, c.schedule, c.revoked_at
		FROM temp_code_slots s JOIN temp_codes c ON c.id = s.code_id
		WHERE s.released_at IS NULL `+where+` ORDER BY s.lock_id, s.slot`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: code slots: %w", err)
	}
	defer rows.Close()
	var out []codeSlotRow
	for rows.Next() {
		var r codeSlotRow
		var sched string
		var revoked sql.NullString
		if err := rows.Scan(&r.codeID, &r.lockID, &r.slot, &r.recipient, &r.pinSealed, &r.used, &sched, &revoked); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(sched), &r.sched); err != nil {
			return nil, fmt.Errorf("store: code %s schedule: %w", r.codeID, err)
		}
		r.revoked = revoked.Valid
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *Tx) orgLocation(ctx context.Context) *time.Location {
	var name string
	if err := t.QueryRow(ctx, `SELECT time_zone FROM org`).Scan(&name); err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// accessAcceptors is, per key-hierarchy lock that a sync lock is linked to,
// the network keys that may open it: access.Model.Acceptors over the stored
// hierarchy, the one implementation of the access rule.
func (t *Tx) accessAcceptors(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM sync_locks WHERE access_lock IS NOT NULL`).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: linked locks: %w", err)
	}
	if n == 0 {
		return out, nil
	}
	w, err := t.netLoad(ctx)
	if err != nil {
		return nil, err
	}
	for id := range w.locks {
		keys, err := w.m.Acceptors(id)
		if err != nil {
			continue
		}
		out[id] = keys
	}
	return out, nil
}

// netKeyNames names network keys for the exposure list.
func (t *Tx) netKeyNames(ctx context.Context) (map[string]string, error) {
	rows, err := t.Query(ctx, `SELECT id, name FROM net_keys`)
	if err != nil {
		return nil, fmt.Errorf("store: net key names: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// ---- the syncer's side ------------------------------------------------------

// ChangeMark is the sequence number of the latest audit record that may
// change what a lock should accept: every such change writes one. Lock sync's
// own records (new versions, what locks reported) do not count, so the
// syncer does not recompute after its own writes.
func (s *LockSync) ChangeMark(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.queryRow(ctx, `SELECT seq FROM audit_log WHERE action NOT IN (?, ?) ORDER BY seq DESC LIMIT 1`,
		"locksync.desired", "locksync.reports").Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: change mark: %w", err)
	}
	return seq, nil
}

// RefreshDesired recomputes every lock's intended set at now, bumps the
// version of each lock whose set changed, releases the slots of ended codes
// that no lock holds any more, and returns every lock's desired state.
func (s *LockSync) RefreshDesired(ctx context.Context, now time.Time) ([]keyward.LockDesired, error) {
	if s.vault == nil {
		return nil, errors.New("store: lock sync needs the vault")
	}
	var out []keyward.LockDesired
	err := s.db.withTx(ctx, func(tx *Tx) error {
		out = nil
		locks, err := tx.syncLocks(ctx, "")
		if err != nil {
			return err
		}
		slots, err := tx.liveSlots(ctx, "")
		if err != nil {
			return err
		}
		acceptors, err := tx.accessAcceptors(ctx)
		if err != nil {
			return err
		}
		loc := tx.orgLocation(ctx)
		byLock := map[string][]codeSlotRow{}
		for _, r := range slots {
			byLock[r.lockID] = append(byLock[r.lockID], r)
		}
		versions := map[string]int64{}
		var released []string
		for _, l := range locks {
			entries := []string{}
			for _, k := range acceptors[l.accessLock] {
				entries = append(entries, keyward.KeyEntry(k))
			}
			var want []keyward.DesiredSlot
			for _, r := range byLock[l.id] {
				active, ended := keyward.CodeState(r.sched, r.revoked, now, loc, r.used)
				switch {
				case active:
					pin, err := s.vault.Open(r.pinSealed, tempPINAAD(r.codeID))
					if err != nil {
						return fmt.Errorf("store: code %s: %w", r.codeID, err)
					}
					entries = append(entries, keyward.PINEntry(r.slot))
					want = append(want, keyward.DesiredSlot{N: r.slot, PIN: pin})
				case ended && !holds(l.acked, r.slot):
					if _, err := tx.Exec(ctx, `UPDATE temp_code_slots SET released_at = ? WHERE code_id = ? AND lock_id = ?`,
						ts(tx.now), r.codeID, l.id); err != nil {
						return fmt.Errorf("store: release slot: %w", err)
					}
					released = append(released, fmt.Sprintf("%s:%d", l.id, r.slot))
				}
			}
			slices.Sort(entries)
			if !slices.Equal(entries, l.intended) {
				body, _ := json.Marshal(entries)
				res, err := tx.Exec(ctx, `UPDATE sync_locks SET version = version + 1, intended = ? WHERE id = ? AND version = ?`,
					string(body), l.id, l.version)
				if err != nil {
					return fmt.Errorf("store: desired state: %w", err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return keyward.Errorf(keyward.ECONFLICT, "lock %s changed meanwhile", l.id)
				}
				l.version++
				l.intended = entries
				versions[l.id] = l.version
			}
			secret, err := s.vault.Open(l.secretSealed, lockSecretAAD(l.id))
			if err != nil {
				return fmt.Errorf("store: lock %s secret: %w", l.id, err)
			}
			d := keyward.LockDesired{Lock: l.id, Adapter: l.adapter, Device: l.device, Secret: secret, Version: l.version,
				Slots: want, Online: l.online, InSync: l.ackedVersion == l.version && slices.Equal(l.acked, l.intended)}
			for _, e := range entries {
				if k, ok := strings.CutPrefix(e, "key:"); ok {
					d.Keys = append(d.Keys, k)
				}
			}
			for _, e := range l.acked {
				if n, foreign, ok := keyward.EntrySlot(e); ok {
					d.Held = append(d.Held, n)
					if !foreign {
						d.Confirmed = append(d.Confirmed, n)
					}
				}
			}
			out = append(out, d)
		}
		if len(versions) == 0 && len(released) == 0 {
			return nil
		}
		_, err = tx.record(ctx, syncActor, "locksync.desired", "lock", "", map[string]any{"versions": versions, "released": released})
		return err
	})
	if keyward.ErrorCode(err) == keyward.ECONFLICT {
		return s.RefreshDesired(ctx, now) // another server refreshed first: read its result
	}
	return out, err
}

// holds reports whether a lock's acknowledged set has anything in slot n.
func holds(acked []string, n int) bool {
	for _, e := range acked {
		if m, _, ok := keyward.EntrySlot(e); ok && m == n {
			return true
		}
	}
	return false
}

// ApplyReports applies what locks reported in one transaction and returns
// the locks whose acknowledged state or availability changed.
func (s *LockSync) ApplyReports(ctx context.Context, reports []keyward.LockReport) ([]string, error) {
	if len(reports) == 0 {
		return nil, nil
	}
	var changed []string
	err := s.db.withTx(ctx, func(tx *Tx) error {
		changed = nil
		ids := map[string]bool{}
		for _, r := range reports {
			ids[r.Lock] = true
		}
		locks := map[string]*syncLockRow{}
		list := make([]any, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		for start := 0; start < len(list); start += 500 {
			part := list[start:min(start+500, len(list))]
			rows, err := tx.syncLocks(ctx, `WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+`)`, part...)
			if err != nil {
				return err
			}
			for _, l := range rows {
				locks[l.id] = l
			}
		}
		dirty := map[string]bool{}
		acks := map[string]int64{}
		var replays, online, offline []string
		for _, r := range reports {
			l := locks[r.Lock]
			if l == nil {
				continue // not a lock of ours (any more)
			}
			switch {
			case r.Ack != nil:
				// A replayed or older acknowledgement, or one of a version
				// never published, changes nothing.
				if r.Ack.Version <= l.ackedVersion || r.Ack.Version > l.version {
					replays = append(replays, l.id)
					continue
				}
				set := make([]string, 0, len(r.Ack.Keys)+len(r.Ack.Slots))
				for _, k := range r.Ack.Keys {
					set = append(set, keyward.KeyEntry(k))
				}
				for _, n := range r.Ack.Slots {
					set = append(set, keyward.PINEntry(n))
				}
				slices.Sort(set)
				l.ackedVersion, l.acked = r.Ack.Version, slices.Compact(set)
				acks[l.id] = l.ackedVersion
				dirty[l.id] = true
			case len(r.Slots) > 0:
				if err := s.applySlots(ctx, tx, l, r.Slots); err != nil {
					return err
				}
				if slices.Equal(l.acked, l.intended) && l.ackedVersion != l.version {
					l.ackedVersion = l.version
					acks[l.id] = l.version
				}
				dirty[l.id] = true
			case r.Availability != nil:
				if l.online != *r.Availability {
					l.online = *r.Availability
					if l.online {
						online = append(online, l.id)
					} else {
						offline = append(offline, l.id)
					}
					dirty[l.id] = true
				}
			case r.Event != nil:
				if err := s.logEvent(ctx, tx, l, *r.Event); err != nil {
					return err
				}
			}
			now := tx.now
			l.lastSeen = &now
		}
		for id := range locks {
			l := locks[id]
			set, _ := json.Marshal(l.acked)
			if _, err := tx.Exec(ctx, `UPDATE sync_locks SET acked_version = ?, acked = ?, online = ?, last_seen = ? WHERE id = ?`,
				l.ackedVersion, string(set), b2i(l.online), nullTS(l.lastSeen), l.id); err != nil {
				return fmt.Errorf("store: lock report: %w", err)
			}
			if dirty[id] {
				changed = append(changed, id)
			}
		}
		slices.Sort(changed)
		if len(acks) == 0 && len(online) == 0 && len(offline) == 0 {
			return nil
		}
		d := map[string]any{"acks": acks}
		if len(online) > 0 {
			d["online"] = online
		}
		if len(offline) > 0 {
			d["offline"] = offline
		}
		if len(replays) > 0 {
			d["ignored"] = replays
		}
		_, err := tx.record(ctx, syncActor, "locksync.reports", "lock", "", d)
		return err
	})
	return changed, err
}

// applySlots merges what a lock says its slots hold into its acknowledged
// set: a slot holding the code Keyward put there is "pin:<n>", any other code
// is "pin:<n>:other", an empty slot is neither.
func (s *LockSync) applySlots(ctx context.Context, tx *Tx, l *syncLockRow, reported []keyward.ReportedSlot) error {
	codes, err := tx.liveSlots(ctx, `AND s.lock_id = ?`, l.id)
	if err != nil {
		return err
	}
	bySlot := map[int]codeSlotRow{}
	for _, c := range codes {
		bySlot[c.slot] = c
	}
	set := map[string]bool{}
	for _, e := range l.acked {
		set[e] = true
	}
	for _, r := range reported {
		delete(set, keyward.PINEntry(r.N))
		delete(set, keyward.ForeignEntry(r.N))
		if !r.Enabled {
			continue
		}
		ours := false
		if c, ok := bySlot[r.N]; ok {
			if r.PIN == "" {
				ours = true // the lock does not say its codes; an enabled slot of ours counts
			} else if pin, err := s.vault.Open(c.pinSealed, tempPINAAD(c.codeID)); err == nil && pin.Reveal() == r.PIN.Reveal() {
				ours = true
			}
		}
		if ours {
			set[keyward.PINEntry(r.N)] = true
		} else {
			set[keyward.ForeignEntry(r.N)] = true
		}
	}
	l.acked = l.acked[:0]
	for e := range set {
		l.acked = append(l.acked, e)
	}
	slices.Sort(l.acked)
	return nil
}

// logEvent writes a lock's access event into its logbook and the audit log,
// under the name of the slot's code holder; an opening by a use-count code
// counts one use.
func (s *LockSync) logEvent(ctx context.Context, tx *Tx, l *syncLockRow, ev keyward.LockEventInput) error {
	at := ev.At
	if at.IsZero() {
		at = tx.now
	}
	var who, codeID string
	if ev.Slot > 0 {
		err := tx.QueryRow(ctx, `SELECT c.id, c.recipient FROM temp_code_slots s JOIN temp_codes c ON c.id = s.code_id
			WHERE s.lock_id = ? AND s.slot = ? AND (s.released_at IS NULL OR s.released_at > ?)
			ORDER BY c.created_at DESC LIMIT 1`, l.id, ev.Slot, ts(at)).Scan(&codeID, &who)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: event holder: %w", err)
		}
	}
	if who == "" && ev.Key != "" {
		if err := tx.QueryRow(ctx, `SELECT name FROM net_keys WHERE id = ?`, ev.Key).Scan(&who); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: event key: %w", err)
		}
	}
	if ev.Opened && codeID != "" {
		if _, err := tx.Exec(ctx, `UPDATE temp_codes SET used = used + 1 WHERE id = ?`, codeID); err != nil {
			return fmt.Errorf("store: count use: %w", err)
		}
	}
	id := newID("lev")
	if _, err := tx.Exec(ctx, `INSERT INTO lock_events (id, lock_id, at, received_at, opened, method, slot, key_id, code_id, who)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, l.id, ts(at), ts(tx.now), b2i(ev.Opened), ev.Method,
		sql.NullInt64{Int64: int64(ev.Slot), Valid: ev.Slot > 0}, nullStr(ev.Key), nullStr(codeID), nullStr(who)); err != nil {
		return fmt.Errorf("store: lock event: %w", err)
	}
	action := "lock.denied"
	if ev.Opened {
		action = "lock.opened"
	}
	d := map[string]any{"name": l.name, "method": ev.Method, "at": ts(at)}
	if ev.Slot > 0 {
		d["slot"] = ev.Slot
	}
	if who != "" {
		d["who"] = who
	}
	if ev.Key != "" {
		d["key"] = ev.Key
	}
	_, err := tx.record(ctx, syncActor, action, "lock", l.id, d)
	return err
}

// ---- people's side ----------------------------------------------------------

// AddSyncLock adds a lock to lock sync with a new lock secret.
func (s *LockSync) AddSyncLock(ctx context.Context, a keyward.Actor, in keyward.SyncLockInput) (*keyward.SyncLock, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "lock", ""); err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return nil, keyward.Invalid("name", "must be 1 to 100 characters")
	}
	if !slices.Contains(keyward.LockAdapters, in.Adapter) {
		return nil, keyward.Invalid("adapter", "must be keyward or zigbee2mqtt")
	}
	if in.Adapter == "zigbee2mqtt" && !keyward.ValidLockDevice(in.Device) {
		return nil, keyward.Invalid("device", "must be the lock's zigbee2mqtt friendly name (no + or #, not ending in /set, /get or /availability)")
	}
	if in.Adapter != "zigbee2mqtt" && in.Device != "" {
		return nil, keyward.Invalid("device", "only a zigbee2mqtt lock has a device name")
	}
	if in.Slots == 0 {
		in.Slots = defaultLockSlots
	}
	in.AccessLock = strings.TrimSpace(in.AccessLock)
	if in.Slots < 1 || in.Slots > 250 {
		return nil, keyward.Invalid("slots", "must be 1 to 250")
	}
	if s.vault == nil {
		return nil, errors.New("store: no vault to seal the lock secret")
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	id := newID("lck")
	err := s.db.withTx(ctx, func(tx *Tx) error {
		if in.AccessLock != "" && !tx.exists(ctx, "net_locks", in.AccessLock) {
			return keyward.Invalid("access_lock", "must be a network lock of the key hierarchy")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sync_locks (id, name, adapter, device, slots, secret_sealed, access_lock, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, in.Name, in.Adapter, nullStr(in.Device), in.Slots,
			s.vault.Seal(keyward.Secret(hex.EncodeToString(secret)), lockSecretAAD(id)), nullStr(in.AccessLock), ts(tx.now)); err != nil {
			if isUnique(err) {
				return keyward.Errorf(keyward.ECONFLICT, "device: another lock is bound to zigbee2mqtt device %q", in.Device)
			}
			return fmt.Errorf("store: add lock: %w", err)
		}
		d := map[string]any{"name": in.Name, "adapter": in.Adapter, "slots": in.Slots}
		if in.AccessLock != "" {
			d["access_lock"] = in.AccessLock
		}
		if in.Device != "" {
			d["device"] = in.Device
		}
		_, err := tx.record(ctx, a, "lock.add", "lock", id, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.SyncLock(ctx, a, id, s.db.Now())
}

// SyncLocks lists every lock with what it still accepts wrongly (exposed)
// and what it has not acknowledged yet (pending), by access.Exposures.
func (s *LockSync) SyncLocks(ctx context.Context, a keyward.Actor, now time.Time) ([]keyward.SyncLock, error) {
	return s.syncLockList(ctx, a, "")
}

// SyncLock is one lock. ENOTFOUND.
func (s *LockSync) SyncLock(ctx context.Context, a keyward.Actor, id string, now time.Time) (*keyward.SyncLock, error) {
	ls, err := s.syncLockList(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "lock not found")
	}
	return &ls[0], nil
}

func (s *LockSync) syncLockList(ctx context.Context, a keyward.Actor, id string) ([]keyward.SyncLock, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	where, args := "", []any{}
	if id != "" {
		where, args = "WHERE id = ?", []any{id}
	}
	locks, err := tx.syncLocks(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	slots, err := tx.liveSlots(ctx, "")
	if err != nil {
		return nil, err
	}
	keyNames, err := tx.netKeyNames(ctx)
	if err != nil {
		return nil, err
	}
	who := map[string]string{}
	for _, r := range slots {
		who[r.lockID+"/"+keyward.PINEntry(r.slot)] = r.recipient
	}
	intended, acked := map[string]access.Set{}, map[string]access.Set{}
	for _, l := range locks {
		intended[l.id], acked[l.id] = access.SetOf(l.intended...), access.SetOf(l.acked...)
	}
	exposed, pending := access.Exposures(intended, acked)
	out := make([]keyward.SyncLock, 0, len(locks))
	index := map[string]int{}
	for _, l := range locks {
		index[l.id] = len(out)
		out = append(out, keyward.SyncLock{ID: l.id, Name: l.name, Adapter: l.adapter, Device: l.device, Slots: l.slots,
			AccessLock: l.accessLock, Version: l.version, AckedVersion: l.ackedVersion, Online: l.online, LastSeen: l.lastSeen,
			Exposed: []keyward.SyncEntry{}, Pending: []keyward.SyncEntry{}})
	}
	label := func(lock, e string) keyward.SyncEntry {
		if k, ok := strings.CutPrefix(e, "key:"); ok {
			if n := keyNames[k]; n != "" {
				k = n
			}
			return keyward.SyncEntry{Entry: e, Label: "network key " + k}
		}
		n, foreign, _ := keyward.EntrySlot(e)
		if foreign {
			return keyward.SyncEntry{Entry: e, Label: fmt.Sprintf("PIN slot %d (a code Keyward did not set)", n)}
		}
		if w := who[lock+"/"+keyward.PINEntry(n)]; w != "" {
			return keyward.SyncEntry{Entry: e, Label: fmt.Sprintf("PIN slot %d (%s)", n, w)}
		}
		return keyward.SyncEntry{Entry: e, Label: fmt.Sprintf("PIN slot %d", n)}
	}
	for _, p := range exposed {
		i := index[p.Lock]
		out[i].Exposed = append(out[i].Exposed, label(p.Lock, p.Key))
	}
	for _, p := range pending {
		i := index[p.Lock]
		out[i].Pending = append(out[i].Pending, label(p.Lock, p.Key))
	}
	slices.SortStableFunc(out, func(x, y keyward.SyncLock) int {
		return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
	})
	return out, nil
}

// LockEvents is a lock's logbook, newest first.
func (s *LockSync) LockEvents(ctx context.Context, a keyward.Actor, lockID string, limit int) ([]keyward.LockEvent, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var one int
	if err := s.db.queryRow(ctx, `SELECT 1 FROM sync_locks WHERE id = ?`, lockID).Scan(&one); err != nil {
		return nil, notFound(err, "lock", lockID)
	}
	rows, err := s.db.query(ctx, `SELECT id, lock_id, at, opened, method, COALESCE(slot, 0), COALESCE(key_id, ''), COALESCE(who, '')
		FROM lock_events WHERE lock_id = ? ORDER BY at DESC, id DESC LIMIT ?`, lockID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: lock events: %w", err)
	}
	defer rows.Close()
	out := []keyward.LockEvent{}
	for rows.Next() {
		var e keyward.LockEvent
		var at string
		var opened int
		if err := rows.Scan(&e.ID, &e.LockID, &at, &opened, &e.Method, &e.Slot, &e.Key, &e.Who); err != nil {
			return nil, err
		}
		e.At, e.Opened = parseTS(at), opened == 1
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *LockSync) lockSecret(ctx context.Context, tx *Tx, lockID string) (*syncLockRow, []byte, error) {
	ls, err := tx.syncLocks(ctx, "WHERE id = ?", lockID)
	if err != nil {
		return nil, nil, err
	}
	if len(ls) == 0 {
		return nil, nil, keyward.Errorf(keyward.ENOTFOUND, "lock not found")
	}
	sec, err := s.vault.Open(ls[0].secretSealed, lockSecretAAD(lockID))
	if err != nil {
		return nil, nil, fmt.Errorf("store: lock secret: %w", err)
	}
	raw, err := hex.DecodeString(sec.Reveal())
	if err != nil {
		return nil, nil, fmt.Errorf("store: lock secret: %w", err)
	}
	return ls[0], raw, nil
}

// LockSecret reveals a lock's secret (hex) for installing it at the lock.
func (s *LockSync) LockSecret(ctx context.Context, a keyward.Actor, lockID string) (keyward.Secret, error) {
	if err := s.db.revealGate(ctx, a, keyward.ActSecretReveal, "lock", lockID); err != nil {
		return "", err
	}
	var out keyward.Secret
	err := s.db.withTx(ctx, func(tx *Tx) error {
		l, raw, err := s.lockSecret(ctx, tx, lockID)
		if err != nil {
			return err
		}
		out = keyward.Secret(hex.EncodeToString(raw))
		_, err = tx.record(ctx, a, "lock.secret_reveal", "lock", lockID, map[string]any{"name": l.name})
		return err
	})
	return out, err
}

// IssueOfflineCode derives an offline code for a lock covering from–until.
func (s *LockSync) IssueOfflineCode(ctx context.Context, a keyward.Actor, lockID string, in keyward.OfflineCodeInput) (*keyward.OfflineCode, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCredential, "lock", lockID); err != nil {
		return nil, err
	}
	in.For = strings.TrimSpace(in.For)
	if in.For == "" || len(in.For) > 100 {
		return nil, keyward.Invalid("for", "must say who the code is for (1 to 100 characters)")
	}
	if in.From.IsZero() || in.Until.IsZero() {
		return nil, keyward.Invalid("from", "an offline code needs a start and an end")
	}
	if !in.Until.After(s.db.Now()) {
		return nil, keyward.Invalid("until", "has already passed")
	}
	var out *keyward.OfflineCode
	err := s.db.withTx(ctx, func(tx *Tx) error {
		l, secret, err := s.lockSecret(ctx, tx, lockID)
		if err != nil {
			return err
		}
		w, err := offlinecode.Cover(in.From, in.Until)
		if err != nil {
			return keyward.Invalid("until", strings.TrimPrefix(err.Error(), "offline code: "))
		}
		code, err := offlinecode.Generate(secret, lockID, w.Class, w.Start)
		if err != nil {
			return fmt.Errorf("store: offline code: %w", err)
		}
		out = &keyward.OfflineCode{Lock: lockID, Code: keyward.Secret(code), Start: w.Start, End: w.End, For: in.For}
		_, err = tx.record(ctx, a, "lock.offline_code", "lock", lockID, map[string]any{"name": l.name, "for": in.For,
			"from": ts(w.Start), "until": ts(w.End)})
		return err
	})
	return out, err
}

// ---- temporary codes ----------------------------------------------------------

// IssueTempCode creates a temporary code on its locks, each in a free slot.
func (s *LockSync) IssueTempCode(ctx context.Context, a keyward.Actor, in keyward.TempCodeInput) (*keyward.TempCode, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCredential, "tempcode", ""); err != nil {
		return nil, err
	}
	now := s.db.Now()
	in.For = strings.TrimSpace(in.For)
	in.Email = strings.TrimSpace(in.Email)
	v := &keyward.Validator{}
	v.Check(in.For != "" && len(in.For) <= 100, "for", "must say who the code is for (1 to 100 characters)")
	if in.Email != "" {
		keyward.CheckEmail(v, "email", in.Email, false)
	}
	v.Check(len(in.Locks) > 0 && len(in.Locks) <= keyward.MaxCodeLocks, "locks", fmt.Sprintf("choose 1 to %d locks", keyward.MaxCodeLocks))
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := in.Schedule.Check(); err != nil {
		return nil, err
	}
	if in.Schedule.Until != nil && !in.Schedule.Until.After(now) {
		return nil, keyward.Invalid("until", "has already passed")
	}
	if s.vault == nil {
		return nil, errors.New("store: no vault to seal the PIN")
	}
	in.Schedule.From, in.Schedule.Until = utcPtr(in.Schedule.From), utcPtr(in.Schedule.Until)
	code := &keyward.TempCode{ID: newID("tmc"), For: in.For, Email: in.Email, Schedule: in.Schedule, Created: now}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		code.Locks = nil
		taken := map[string]bool{} // PINs live on these locks: a keypad must tell codes apart
		seen := map[string]bool{}
		loc := tx.orgLocation(ctx)
		for _, id := range in.Locks {
			if seen[id] {
				return keyward.Invalid("locks", "name each lock once")
			}
			seen[id] = true
			ls, err := tx.syncLocks(ctx, "WHERE id = ?", id)
			if err != nil {
				return err
			}
			if len(ls) == 0 {
				return keyward.Invalid("locks", "must be locks Keyward syncs")
			}
			l := ls[0]
			live, err := tx.liveSlots(ctx, `AND s.lock_id = ?`, l.id)
			if err != nil {
				return err
			}
			var held []int
			for _, r := range live {
				if _, ended := keyward.CodeState(r.sched, r.revoked, tx.now, loc, r.used); ended && !holds(l.acked, r.slot) {
					// Its code has ended and the lock let it go: free it now.
					if _, err := tx.Exec(ctx, `UPDATE temp_code_slots SET released_at = ? WHERE code_id = ? AND lock_id = ?`,
						ts(tx.now), r.codeID, l.id); err != nil {
						return fmt.Errorf("store: release slot: %w", err)
					}
					continue
				}
				held = append(held, r.slot)
				if pin, err := s.vault.Open(r.pinSealed, tempPINAAD(r.codeID)); err == nil {
					taken[pin.Reveal()] = true
				}
			}
			for _, e := range l.acked {
				if n, _, ok := keyward.EntrySlot(e); ok {
					held = append(held, n)
				}
			}
			slot, err := keyward.PickSlot(l.slots, held, in.Slot)
			if err != nil {
				if e, ok := err.(*keyward.Error); ok && e.Code == keyward.ECONFLICT {
					return keyward.Errorf(keyward.ECONFLICT, "%s: %s", l.name, e.Message)
				}
				return err
			}
			code.Locks = append(code.Locks, keyward.TempCodeLock{Lock: l.id, Name: l.name, Slot: slot})
		}
		pin := newPIN(taken)
		token := make([]byte, 24)
		_, _ = rand.Read(token)
		link := hex.EncodeToString(token)
		sched, _ := json.Marshal(code.Schedule)
		if _, err := tx.Exec(ctx, `INSERT INTO temp_codes (id, recipient, email, schedule, pin_sealed, link_hash, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, code.ID, code.For, nullStr(code.Email), string(sched),
			s.vault.Seal(pin, tempPINAAD(code.ID)), linkHash(link), actorName(a), ts(tx.now)); err != nil {
			return fmt.Errorf("store: insert code: %w", err)
		}
		slotsOf := map[string]int{}
		for _, cl := range code.Locks {
			if _, err := tx.Exec(ctx, `INSERT INTO temp_code_slots (code_id, lock_id, slot) VALUES (?, ?, ?)`, code.ID, cl.Lock, cl.Slot); err != nil {
				if isUnique(err) {
					return keyward.Errorf(keyward.ECONFLICT, "%s: slot %d was just taken by another code: try again", cl.Name, cl.Slot)
				}
				return fmt.Errorf("store: insert code slot: %w", err)
			}
			slotsOf[cl.Lock] = cl.Slot
		}
		code.PIN, code.Link = pin, keyward.Secret(link)
		if code.Email != "" && in.LinkBase != "" {
			var names []string
			for _, cl := range code.Locks {
				names = append(names, cl.Name)
			}
			body := fmt.Sprintf("Hello %s,\r\n\r\nYou have a door code for %s (%s).\r\n\r\n"+
				"Open this link to see it; it needs no account:\r\n\r\n  %s\r\n\r\nKeep the link to yourself.\r\n\r\nKeyward",
				code.For, strings.Join(names, ", "), code.Schedule.Describe(tx.orgLocation(ctx)),
				strings.TrimSuffix(in.LinkBase, "/")+keyward.TempCodeLinkPath(link))
			if _, err := tx.enqueue(ctx, "email", code.Email, EventTempCode, "Your door code", body); err != nil {
				return err
			}
			code.Emailed = true
		}
		_, err := tx.record(ctx, a, "tempcode.issue", "tempcode", code.ID, map[string]any{"for": code.For, "kind": string(code.Schedule.Kind),
			"slots": slotsOf, "emailed": code.Emailed})
		return err
	})
	if err != nil {
		return nil, err
	}
	loc := s.db.locationOr(ctx)
	code.Active, code.Ended = keyward.CodeState(code.Schedule, false, now, loc, 0)
	return code, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func linkHash(token string) string {
	h := sha256.Sum256([]byte("tempcode-link:" + token))
	return hex.EncodeToString(h[:])
}

// newPIN is a random 6-digit PIN that does not start with 0 (zigbee2mqtt
// sends PINs as numbers) and is not in taken.
func newPIN(taken map[string]bool) keyward.Secret {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(900000))
		if err != nil {
			panic(err)
		}
		p := fmt.Sprintf("%d", 100000+n.Int64())
		if !taken[p] {
			return keyward.Secret(p)
		}
	}
}

func (d *DB) locationOr(ctx context.Context) *time.Location {
	loc, err := d.orgLocation(ctx)
	if err != nil {
		return time.UTC
	}
	return loc
}

const tempCodeCols = `id, recipient, COALESCE(email, ''), schedule, used, created_at, revoked_at`

func scanTempCode(r rowScanner) (*keyward.TempCode, error) {
	var c keyward.TempCode
	var sched, created string
	var revoked sql.NullString
	if err := r.Scan(&c.ID, &c.For, &c.Email, &sched, &c.Used, &created, &revoked); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(sched), &c.Schedule); err != nil {
		return nil, err
	}
	c.Created, c.Revoked = parseTS(created), tsPtr(revoked)
	return &c, nil
}

// fillTempCode adds a code's locks and its state at now.
func (s *LockSync) fillTempCode(ctx context.Context, c *keyward.TempCode, now time.Time, loc *time.Location) error {
	rows, err := s.db.query(ctx, `SELECT s.lock_id, l.name, s.slot, l.acked, l.intended
		FROM temp_code_slots s JOIN sync_locks l ON l.id = s.lock_id WHERE s.code_id = ? ORDER BY l.name`, c.ID)
	if err != nil {
		return fmt.Errorf("store: code locks: %w", err)
	}
	defer rows.Close()
	c.Locks = []keyward.TempCodeLock{}
	for rows.Next() {
		var cl keyward.TempCodeLock
		var acked, intended string
		if err := rows.Scan(&cl.Lock, &cl.Name, &cl.Slot, &acked, &intended); err != nil {
			return err
		}
		var a, i []string
		_ = json.Unmarshal([]byte(acked), &a)
		_ = json.Unmarshal([]byte(intended), &i)
		e := keyward.PINEntry(cl.Slot)
		cl.OnLock = slices.Contains(a, e)
		cl.Exposed = cl.OnLock && !slices.Contains(i, e)
		c.Locks = append(c.Locks, cl)
	}
	c.Active, c.Ended = keyward.CodeState(c.Schedule, c.Revoked != nil, now, loc, c.Used)
	return rows.Err()
}

// TempCodeList lists temporary codes, live ones first, newest first.
func (s *LockSync) TempCodeList(ctx context.Context, a keyward.Actor, now time.Time) ([]keyward.TempCode, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, `SELECT `+tempCodeCols+` FROM temp_codes ORDER BY created_at DESC, id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("store: codes: %w", err)
	}
	var out []keyward.TempCode
	for rows.Next() {
		c, err := scanTempCode(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	loc := s.db.locationOr(ctx)
	for i := range out {
		if err := s.fillTempCode(ctx, &out[i], now, loc); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(x, y keyward.TempCode) int { return b2i(x.Ended) - b2i(y.Ended) })
	return out, nil
}

// TempCode is one code, without its PIN. ENOTFOUND.
func (s *LockSync) TempCode(ctx context.Context, a keyward.Actor, id string, now time.Time) (*keyward.TempCode, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	c, err := scanTempCode(s.db.queryRow(ctx, `SELECT `+tempCodeCols+` FROM temp_codes WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "temporary code", id)
	}
	return c, s.fillTempCode(ctx, c, now, s.db.locationOr(ctx))
}

// RevokeTempCode ends a code now; the next sync clears its slots.
func (s *LockSync) RevokeTempCode(ctx context.Context, a keyward.Actor, id string) (*keyward.TempCode, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActCredential, "tempcode", id); err != nil {
		return nil, err
	}
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var recipient string
		var revoked sql.NullString
		if err := tx.QueryRow(ctx, `SELECT recipient, revoked_at FROM temp_codes WHERE id = ?`, id).Scan(&recipient, &revoked); err != nil {
			return notFound(err, "temporary code", id)
		}
		if revoked.Valid {
			return keyward.Errorf(keyward.ECONFLICT, "the code for %s is already revoked", recipient)
		}
		if _, err := tx.Exec(ctx, `UPDATE temp_codes SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ts(tx.now), id); err != nil {
			return fmt.Errorf("store: revoke code: %w", err)
		}
		_, err := tx.record(ctx, a, "tempcode.revoke", "tempcode", id, map[string]any{"for": recipient})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.TempCode(ctx, a, id, s.db.Now())
}

// TempCodeByLink opens a code by its secret link, PIN included, for its
// recipient (no account). A revoked code's link no longer works.
func (s *LockSync) TempCodeByLink(ctx context.Context, token string, now time.Time) (*keyward.TempCode, error) {
	if len(token) != 48 {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "this link does not work: ask for a new code")
	}
	var c *keyward.TempCode
	var sealed string
	err := s.db.withTx(ctx, func(tx *Tx) error {
		var err error
		row := tx.QueryRow(ctx, `SELECT `+tempCodeCols+`, pin_sealed FROM temp_codes WHERE link_hash = ?`, linkHash(token))
		var sched, created string
		var revoked sql.NullString
		c = &keyward.TempCode{}
		if err = row.Scan(&c.ID, &c.For, &c.Email, &sched, &c.Used, &created, &revoked, &sealed); err != nil {
			return keyward.Errorf(keyward.ENOTFOUND, "this link does not work: ask for a new code")
		}
		if revoked.Valid {
			return keyward.Errorf(keyward.ENOTFOUND, "this code was withdrawn: ask for a new one")
		}
		if err := json.Unmarshal([]byte(sched), &c.Schedule); err != nil {
			return err
		}
		c.Created = parseTS(created)
		_, err = tx.record(ctx, keyward.SystemActor("code-link"), "tempcode.link_open", "tempcode", c.ID, map[string]any{"for": c.For})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.fillTempCode(ctx, c, now, s.db.locationOr(ctx)); err != nil {
		return nil, err
	}
	if !c.Ended {
		pin, err := s.vault.Open(sealed, tempPINAAD(c.ID))
		if err != nil {
			return nil, fmt.Errorf("store: code PIN: %w", err)
		}
		c.PIN = pin
	}
	return c, nil
}
