package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/access"
	"github.com/keyward/keyward/internal/keyward"
)

// NetAccess keeps the network-lock key hierarchy. Every change loads the
// hierarchy into an access.Model, runs the op there (the rules and their
// refusals are access's, the same code `keyward access eval` runs), and
// saves the op's Effect with its audit record in the same transaction.
type NetAccess struct{ db *DB }

// NetAccess returns the network-lock hierarchy service.
func (d *DB) NetAccess() *NetAccess { return &NetAccess{db: d} }

// netWorld is the hierarchy as loaded: the model and the records' names.
type netWorld struct {
	m       *access.Model
	keys    map[string]keyward.NetKey
	locks   map[string]keyward.NetLock
	reached map[string][]string // deleted key → the locks it opened then
}

func (w *netWorld) keyName(id string) string  { return w.keys[id].Name }
func (w *netWorld) lockName(id string) string { return w.locks[id].Name }

// netLoad reads the whole hierarchy in tx.
func (t *Tx) netLoad(ctx context.Context) (*netWorld, error) {
	w := &netWorld{keys: map[string]keyward.NetKey{}, locks: map[string]keyward.NetLock{}, reached: map[string][]string{}}
	var st access.State
	rows, err := t.Query(ctx, `SELECT id, name, kind, group_id, holder_id, deleted, created_at, deleted_at FROM net_keys`)
	if err != nil {
		return nil, fmt.Errorf("store: net keys: %w", err)
	}
	for rows.Next() {
		var k keyward.NetKey
		var holder, deletedAt sql.NullString
		var at string
		var deleted int
		if err := rows.Scan(&k.ID, &k.Name, &k.Kind, &k.GroupID, &holder, &deleted, &at, &deletedAt); err != nil {
			rows.Close()
			return nil, err
		}
		k.HolderID, k.Deleted, k.CreatedAt, k.DeletedAt = holder.String, deleted == 1, parseTS(at), tsPtr(deletedAt)
		w.keys[k.ID] = k
		st.Keys = append(st.Keys, access.Key{ID: k.ID, Kind: access.Kind(k.Kind), Group: k.GroupID, Deleted: k.Deleted})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	accepted := map[string][]string{}
	if err := t.netPairs(ctx, `SELECT lock_id, key_id FROM net_accepted`, func(l, k string) { accepted[l] = append(accepted[l], k) }); err != nil {
		return nil, err
	}
	rows, err = t.Query(ctx, `SELECT id, name, opening_id, owner_group, online, created_at FROM net_locks`)
	if err != nil {
		return nil, fmt.Errorf("store: net locks: %w", err)
	}
	for rows.Next() {
		var l keyward.NetLock
		var opening, owner sql.NullString
		var online int
		var at string
		if err := rows.Scan(&l.ID, &l.Name, &opening, &owner, &online, &at); err != nil {
			rows.Close()
			return nil, err
		}
		l.OpeningID, l.OwnerID, l.Online, l.CreatedAt = opening.String, owner.String, online == 1, parseTS(at)
		w.locks[l.ID] = l
		st.Locks = append(st.Locks, access.Lock{ID: l.ID, Owner: l.OwnerID, Online: l.Online, Accepted: accepted[l.ID]})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := t.netPairs(ctx, `SELECT lock_id, key_id FROM net_grants`, func(l, k string) { st.Grants = append(st.Grants, access.Grant{Lock: l, Key: k}) }); err != nil {
		return nil, err
	}
	if err := t.netPairs(ctx, `SELECT lock_id, key_id FROM net_key_reached`, func(l, k string) { w.reached[k] = append(w.reached[k], l) }); err != nil {
		return nil, err
	}
	if w.m, err = access.Restore(st); err != nil {
		return nil, fmt.Errorf("store: the network key records: %w", err)
	}
	return w, nil
}

func (t *Tx) netPairs(ctx context.Context, q string, each func(lock, key string)) error {
	rows, err := t.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("store: net pairs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l, k string
		if err := rows.Scan(&l, &k); err != nil {
			return err
		}
		each(l, k)
	}
	return rows.Err()
}

// read loads the hierarchy for a reader.
func (s *NetAccess) read(ctx context.Context, a keyward.Actor) (*netWorld, error) {
	if err := keyward.Authorize(a, keyward.ActInventoryRead); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*netWorld, error) { return tx.netLoad(ctx) })
}

// refusal turns a refusal of the hierarchy's rules into a 422 in words,
// naming the member of the op that broke the rule.
func (w *netWorld) refusal(err error, in keyward.NetOp) error {
	var r *access.Refusal
	if !errors.As(err, &r) {
		return err
	}
	field := "op"
	switch r.Rule {
	case access.RuleUnknownKey, access.RuleSubCannotManage:
		switch {
		case r.Key == in.By:
			field = "by"
		case in.To != "":
			field = "to"
		case in.From != "":
			field = "from"
		default:
			field = "key"
		}
	case access.RuleUnknownLock, access.RuleLockOwned, access.RuleNotOwner, access.RuleNotGranted:
		field = "locks"
		if in.Lock != "" {
			field = "lock"
		}
		if r.Rule == access.RuleNotOwner && r.Lock == "" {
			field = "key"
		}
	case access.RuleDuplicateID:
		field = "name"
	case access.RuleGrantTarget:
		field = "to"
	case access.RuleSelf:
		field = "key"
	}
	return &keyward.Error{Code: keyward.EUNPROCESSABLE, Message: r.Words(w.keyName, w.lockName),
		Fields: []keyward.FieldError{{Field: field, Rule: string(r.Rule)}}, Extra: map[string]any{"rule": string(r.Rule)}, Err: err}
}

// netRule is the hierarchy rule a refusal broke.
func netRule(err error) string {
	var e *keyward.Error
	if errors.As(err, &e) {
		if r, ok := e.Extra["rule"].(string); ok {
			return r
		}
	}
	return ""
}

// checkName is the rule of a key's or lock's name.
func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return keyward.Invalid("name", "is required: the name people see")
	}
	if utf8.RuneCountInString(name) > 200 {
		return keyward.Invalid("name", "must be at most 200 characters")
	}
	return nil
}

func (s *NetAccess) validate(ctx context.Context, in *keyward.NetOp) error {
	if !slices.Contains(access.ManagementOps, in.Op) {
		return keyward.Invalid("op", "must be one of "+strings.Join(access.ManagementOps, ", "))
	}
	in.Name = strings.TrimSpace(in.Name)
	switch in.Op {
	case "master", "lock", "backup", "sub":
		if err := checkName(in.Name); err != nil {
			return err
		}
	}
	required := map[string][]string{
		"serialize": {"lock", "by"}, "unserialize": {"lock", "by"}, "backup": {"by"}, "sub": {"by"},
		"grant": {"to", "by"}, "revoke": {"from", "by"}, "delete": {"key", "by"}, "offline": {"lock"}, "online": {"lock"},
	}
	values := map[string]string{"lock": in.Lock, "by": in.By, "to": in.To, "from": in.From, "key": in.Key}
	for _, f := range required[in.Op] {
		if values[f] == "" {
			return keyward.Invalid(f, "is required for "+in.Op)
		}
	}
	if (in.Op == "grant" || in.Op == "revoke") && len(in.Locks) == 0 {
		return keyward.Invalid("locks", "must name at least one lock")
	}
	return nil
}

// Apply runs one management op through the hierarchy's rules.
func (s *NetAccess) Apply(ctx context.Context, a keyward.Actor, in keyward.NetOp) (*keyward.NetOpResult, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActNetAccess, "netkey", ""); err != nil {
		return nil, err
	}
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	var refused error
	res, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.NetOpResult, error) {
		if _, err := tx.Exec(ctx, `UPDATE net_version SET version = version + 1 WHERE id = 1`); err != nil {
			return nil, fmt.Errorf("store: net version: %w", err)
		}
		w, err := tx.netLoad(ctx)
		if err != nil {
			return nil, err
		}
		if err := keyward.MayActWithNetKey(a, in.Op, w.keys[in.By].HolderID); err != nil {
			refused = err
			return nil, err
		}
		if in.HolderID != "" {
			if err := tx.recipient(ctx, in.HolderID); err != nil {
				return nil, err
			}
		}
		if in.OpeningID != "" && !tx.exists(ctx, "openings", in.OpeningID) {
			return nil, keyward.Invalid("opening_id", "must name an existing door")
		}
		op := access.Op{Op: in.Op, Key: in.Key, Lock: in.Lock, By: in.By, To: in.To, From: in.From, Locks: in.Locks, Soft: in.Soft}
		// A new key or lock gets a fresh id, or the id of the one whose
		// name it takes, so the model refuses duplicate_id in its order.
		switch in.Op {
		case "master", "backup", "sub":
			op.Key = newID("nk")
			for id, k := range w.keys {
				if k.Name == in.Name {
					op.Key = id
				}
			}
		case "lock":
			op.Lock = newID("nl")
			for id, l := range w.locks {
				if l.Name == in.Name {
					op.Lock = id
				}
			}
		}
		var reached []string
		if in.Op == "delete" {
			reached, _ = w.m.Reaches(in.Key)
		}
		eff, err := w.m.Apply(op)
		if err != nil {
			refused = w.refusal(err, in)
			return nil, refused
		}
		return tx.netSave(ctx, a, w, in, op, eff, reached)
	})
	if refused != nil {
		if err := s.db.recordRefusal(ctx, a, "netkey."+in.Op, "netkey", in.By, map[string]any{"rule": netRule(refused)}, refused); err != nil {
			return nil, err
		}
	}
	return res, err
}

// netSave writes an accepted op's Effect and its audit record.
func (t *Tx) netSave(ctx context.Context, a keyward.Actor, w *netWorld, in keyward.NetOp, op access.Op, eff access.Effect, reached []string) (*keyward.NetOpResult, error) {
	res := &keyward.NetOpResult{Op: in.Op, Granted: []keyward.NetGrant{}, Revoked: []keyward.NetGrant{}, Reached: []string{}}
	for _, k := range eff.NewKeys {
		nk := keyward.NetKey{ID: k.ID, Name: in.Name, Kind: string(k.Kind), GroupID: k.Group, HolderID: in.HolderID, CreatedAt: t.now}
		if _, err := t.Exec(ctx, `INSERT INTO net_keys (id, name, kind, group_id, holder_id, deleted, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
			nk.ID, nk.Name, nk.Kind, nk.GroupID, nullStr(nk.HolderID), ts(t.now)); err != nil {
			return nil, fmt.Errorf("store: insert net key: %w", err)
		}
		w.keys[nk.ID] = nk
		res.Key = &nk
	}
	for _, l := range eff.NewLocks {
		nl := keyward.NetLock{ID: l.ID, Name: in.Name, OpeningID: in.OpeningID, Online: true, CreatedAt: t.now}
		if _, err := t.Exec(ctx, `INSERT INTO net_locks (id, name, opening_id, online, created_at) VALUES (?, ?, ?, 1, ?)`,
			nl.ID, nl.Name, nullStr(nl.OpeningID), ts(t.now)); err != nil {
			return nil, fmt.Errorf("store: insert net lock: %w", err)
		}
		w.locks[nl.ID] = nl
	}
	for _, o := range eff.Owners {
		if _, err := t.Exec(ctx, `UPDATE net_locks SET owner_group = ? WHERE id = ?`, nullStr(o.Owner), o.Lock); err != nil {
			return nil, fmt.Errorf("store: net lock owner: %w", err)
		}
	}
	for _, g := range eff.Granted {
		if _, err := t.Exec(ctx, `INSERT INTO net_grants (lock_id, key_id) VALUES (?, ?)`, g.Lock, g.Key); err != nil {
			return nil, fmt.Errorf("store: net grant: %w", err)
		}
		res.Granted = append(res.Granted, keyward.NetGrant{LockID: g.Lock, KeyID: g.Key})
	}
	for _, g := range eff.Revoked {
		if _, err := t.Exec(ctx, `DELETE FROM net_grants WHERE lock_id = ? AND key_id = ?`, g.Lock, g.Key); err != nil {
			return nil, fmt.Errorf("store: net revoke: %w", err)
		}
		res.Revoked = append(res.Revoked, keyward.NetGrant{LockID: g.Lock, KeyID: g.Key})
	}
	for _, id := range eff.Deleted {
		if _, err := t.Exec(ctx, `UPDATE net_keys SET deleted = 1, deleted_at = ? WHERE id = ?`, ts(t.now), id); err != nil {
			return nil, fmt.Errorf("store: delete net key: %w", err)
		}
		for _, l := range reached {
			if _, err := t.Exec(ctx, `INSERT INTO net_key_reached (key_id, lock_id) VALUES (?, ?)`, id, l); err != nil {
				return nil, fmt.Errorf("store: net key reached: %w", err)
			}
		}
		res.Reached = reached
	}
	for _, o := range eff.Online {
		if _, err := t.Exec(ctx, `UPDATE net_locks SET online = ? WHERE id = ?`, map[bool]int{true: 1}[o.Online], o.Lock); err != nil {
			return nil, fmt.Errorf("store: net lock online: %w", err)
		}
		if _, err := t.Exec(ctx, `DELETE FROM net_accepted WHERE lock_id = ?`, o.Lock); err != nil {
			return nil, fmt.Errorf("store: net accepted: %w", err)
		}
		for _, k := range o.Accepted {
			if _, err := t.Exec(ctx, `INSERT INTO net_accepted (lock_id, key_id) VALUES (?, ?)`, o.Lock, k); err != nil {
				return nil, fmt.Errorf("store: net accepted: %w", err)
			}
		}
	}
	// the audit record names things as people read them; ids are the subject
	names := func(ids []string) string {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, w.lockName(id))
		}
		return strings.Join(out, ", ")
	}
	details := map[string]any{"by_name": w.keyName(op.By)}
	subjectType, subject := "netkey", op.Key
	switch in.Op {
	case "master", "backup", "sub":
		details["name"], details["kind"] = in.Name, string(eff.NewKeys[0].Kind)
		details["lock_names"] = names(op.Locks)
	case "lock", "serialize", "unserialize", "offline", "online":
		subjectType, subject = "netlock", op.Lock
		details["lock_name"] = w.lockName(op.Lock)
		if in.Op == "serialize" {
			details["group_name"] = w.keyName(eff.Owners[0].Owner)
		}
		if in.Op == "unserialize" {
			details["group_name"] = w.keyName(w.locks[op.Lock].OwnerID)
		}
	case "grant", "revoke":
		subject = op.To + op.From
		details["key_name"], details["lock_names"] = w.keyName(subject), names(op.Locks)
	case "delete":
		details["key_name"], details["lock_names"] = w.keyName(op.Key), names(reached)
	}
	if op.By == "" {
		delete(details, "by_name")
	}
	if _, err := t.record(ctx, a, "netkey."+in.Op, subjectType, subject, details); err != nil {
		return nil, err
	}
	if in.Op == "lock" || in.Op == "serialize" || in.Op == "unserialize" || in.Op == "offline" || in.Op == "online" {
		l, err := t.netLock(ctx, op.Lock)
		if err != nil {
			return nil, err
		}
		res.Lock = l
	}
	if res.Key == nil && op.Key != "" {
		k, err := t.netKey(ctx, op.Key)
		if err != nil {
			return nil, err
		}
		res.Key = k
	}
	return res, nil
}

func (t *Tx) netKey(ctx context.Context, id string) (*keyward.NetKey, error) {
	w, err := t.netLoad(ctx)
	if err != nil {
		return nil, err
	}
	k, ok := w.keys[id]
	if !ok {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no such network key")
	}
	return &k, nil
}

func (t *Tx) netLock(ctx context.Context, id string) (*keyward.NetLock, error) {
	var l keyward.NetLock
	var opening, owner sql.NullString
	var online int
	var at string
	err := t.QueryRow(ctx, `SELECT id, name, opening_id, owner_group, online, created_at FROM net_locks WHERE id = ?`, id).
		Scan(&l.ID, &l.Name, &opening, &owner, &online, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no such network lock")
	}
	if err != nil {
		return nil, err
	}
	l.OpeningID, l.OwnerID, l.Online, l.CreatedAt = opening.String, owner.String, online == 1, parseTS(at)
	return &l, nil
}

// Rename renames a key, made with key in.By (a master or backup of its group).
func (s *NetAccess) Rename(ctx context.Context, a keyward.Actor, keyID string, in keyward.NetRename) (*keyward.NetKey, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActNetAccess, "netkey", keyID); err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.By == "" {
		return nil, keyward.Invalid("by", "is required: the master or backup key the change is made with")
	}
	var refused error
	k, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.NetKey, error) {
		if _, err := tx.Exec(ctx, `UPDATE net_version SET version = version + 1 WHERE id = 1`); err != nil {
			return nil, fmt.Errorf("store: net version: %w", err)
		}
		w, err := tx.netLoad(ctx)
		if err != nil {
			return nil, err
		}
		if err := keyward.MayActWithNetKey(a, "rename", w.keys[in.By].HolderID); err != nil {
			refused = err
			return nil, err
		}
		if err := w.m.MayRename(keyID, in.By); err != nil {
			refused = w.refusal(err, keyward.NetOp{Op: "rename", Key: keyID, By: in.By})
			return nil, refused
		}
		old := w.keys[keyID]
		if old.Name == in.Name {
			return &old, nil
		}
		for id, other := range w.keys {
			if other.Name == in.Name && id != keyID {
				refused = w.refusal(&access.Refusal{Rule: access.RuleDuplicateID, Key: id}, keyward.NetOp{Op: "rename"})
				return nil, refused
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE net_keys SET name = ? WHERE id = ?`, in.Name, keyID); err != nil {
			return nil, fmt.Errorf("store: rename net key: %w", err)
		}
		if _, err := tx.record(ctx, a, "netkey.rename", "netkey", keyID, map[string]any{"old_name": old.Name, "name": in.Name, "by_name": w.keyName(in.By)}); err != nil {
			return nil, err
		}
		old.Name = in.Name
		return &old, nil
	})
	if refused != nil {
		if err := s.db.recordRefusal(ctx, a, "netkey.rename", "netkey", keyID, map[string]any{"rule": netRule(refused)}, refused); err != nil {
			return nil, err
		}
	}
	return k, err
}

// Hierarchy returns every key, lock and grant, and the exposures.
func (s *NetAccess) Hierarchy(ctx context.Context, a keyward.Actor) (*keyward.NetHierarchy, error) {
	w, err := s.read(ctx, a)
	if err != nil {
		return nil, err
	}
	st := w.m.Snapshot()
	h := &keyward.NetHierarchy{Keys: []keyward.NetKey{}, Locks: []keyward.NetLock{}, Grants: []keyward.NetGrant{}}
	for _, k := range w.keys {
		h.Keys = append(h.Keys, k)
	}
	slices.SortFunc(h.Keys, func(x, y keyward.NetKey) int { return strings.Compare(x.Name, y.Name) })
	for _, l := range w.locks {
		h.Locks = append(h.Locks, l)
	}
	slices.SortFunc(h.Locks, func(x, y keyward.NetLock) int { return strings.Compare(x.Name, y.Name) })
	for _, g := range st.Grants {
		h.Grants = append(h.Grants, keyward.NetGrant{LockID: g.Lock, KeyID: g.Key})
	}
	ex, pe := w.m.Exposures()
	h.Exposed, h.Pending = netPairs(ex), netPairs(pe)
	h.SingleKey = []string{}
	for _, k := range h.Keys {
		if k.Kind == keyward.NetMaster {
			if tr, err := w.m.Tree(k.ID); err == nil && tr.SingleKey {
				h.SingleKey = append(h.SingleKey, k.ID)
			}
		}
	}
	return h, nil
}

func netPairs(ps []access.Pair) []keyward.NetGrant {
	out := make([]keyward.NetGrant, 0, len(ps))
	for _, p := range ps {
		out = append(out, keyward.NetGrant{LockID: p.Lock, KeyID: p.Key})
	}
	return out
}

func (w *netWorld) decision(d access.Decision) keyward.NetDecision {
	return keyward.NetDecision{KeyID: d.Key, LockID: d.Lock, Allow: d.Allow, Via: string(d.Via), Accepts: d.Accepts,
		Reason: d.Explain(w.keyName, w.lockName)}
}

// Check says whether a key may open a lock, and why.
func (s *NetAccess) Check(ctx context.Context, a keyward.Actor, keyID, lockID string) (*keyward.NetDecision, error) {
	w, err := s.read(ctx, a)
	if err != nil {
		return nil, err
	}
	d, err := w.m.Can(keyID, lockID)
	if err != nil {
		var r *access.Refusal
		if errors.As(err, &r) && r.Rule == access.RuleUnknownKey {
			return nil, keyward.Errorf(keyward.ENOTFOUND, "no such network key")
		}
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no such network lock")
	}
	out := w.decision(d)
	return &out, nil
}

func (w *netWorld) reachList(keyID string) []keyward.NetDecision {
	out := []keyward.NetDecision{}
	ls, _ := w.m.Reaches(keyID)
	for _, l := range ls {
		d, _ := w.m.Can(keyID, l)
		out = append(out, w.decision(d))
	}
	return out
}

// Tree returns the group of a master.
func (s *NetAccess) Tree(ctx context.Context, a keyward.Actor, masterID string) (*keyward.NetTree, error) {
	w, err := s.read(ctx, a)
	if err != nil {
		return nil, err
	}
	tr, err := w.m.Tree(masterID)
	if err != nil {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no such master key")
	}
	member := func(m access.Member) keyward.NetMember {
		nm := keyward.NetMember{Key: w.keys[m.Key.ID], Reaches: []keyward.NetDecision{}}
		for _, d := range m.Reaches {
			nm.Reaches = append(nm.Reaches, w.decision(d))
		}
		return nm
	}
	out := &keyward.NetTree{Master: member(tr.Master), Backups: []keyward.NetMember{}, Subs: []keyward.NetMember{},
		Locks: []keyward.NetLock{}, Granted: []keyward.NetLock{}, SingleKey: tr.SingleKey}
	for _, m := range tr.Backups {
		out.Backups = append(out.Backups, member(m))
	}
	for _, m := range tr.Subs {
		out.Subs = append(out.Subs, member(m))
	}
	for _, l := range tr.Locks {
		out.Locks = append(out.Locks, w.locks[l])
	}
	for _, l := range tr.Granted {
		out.Granted = append(out.Granted, w.locks[l])
	}
	return out, nil
}

// KeyView returns one key and what it opens, or opened when it was deleted.
func (s *NetAccess) KeyView(ctx context.Context, a keyward.Actor, keyID string) (*keyward.NetKeyView, error) {
	w, err := s.read(ctx, a)
	if err != nil {
		return nil, err
	}
	k, ok := w.keys[keyID]
	if !ok {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no such network key")
	}
	v := &keyward.NetKeyView{Key: k, Reaches: w.reachList(keyID), Reached: []keyward.NetLock{}, StillAccepted: []keyward.NetLock{}}
	for _, l := range w.reached[keyID] {
		v.Reached = append(v.Reached, w.locks[l])
	}
	ex, _ := w.m.Exposures()
	for _, p := range ex {
		if p.Key == keyID {
			v.StillAccepted = append(v.StillAccepted, w.locks[p.Lock])
		}
	}
	return v, nil
}
