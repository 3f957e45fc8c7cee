package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/vault"
)

// The vault's side in the database: which columns hold sealed values, what
// the start-up check samples, and the rotation that rewraps every data key
// under a new KEK. The crypto is the vault's; this file only finds the rows.

func totpAAD(userID string) string { return "totp:" + userID }
func bittingAAD(id string) string  { return "bitting:" + id }
func webhookAAD(id string) string  { return "webhook:" + id }

// sealedColumn is a column of vault-sealed values, and the aad each row's
// value is bound to (from the row's id).
type sealedColumn struct {
	table, column string
	what          string // in words, for messages: "lockbox codes"
	aad           func(id string) string
}

// sealedColumns is every column that holds a sealed value, in one place: the
// rotation rewraps these, the start-up check samples these, and a store test
// fails when the schema has a sealed column missing here.
var sealedColumns = []sealedColumn{
	{"users", "totp_secret", "authenticator secrets", totpAAD},
	{"credentials", "pin_sealed", "credential PINs", pinAAD},
	{"storage_places", "code_sealed", "lockbox codes", codeAAD},
	{"keyways", "card_sealed", "authorization cards", cardAAD},
	{"key_symbols", "bitting_sealed", "bittings", bittingAAD},
	{"webhooks", "secret_sealed", "webhook secrets", webhookAAD},
	{"key_codes", "code_sealed", "key codes", keyCodeAAD},
	{"sync_locks", "secret_sealed", "lock secrets", lockSecretAAD},
	{"temp_codes", "pin_sealed", "temporary PINs", tempPINAAD},
}

// kekExpr is the SQL for the KEK a sealed value is under: "v1" for the values
// from before envelope encryption, else the prefix "v2:<id>:" (vault.KEKOf
// reads it). substr is the same on both backends.
func kekExpr(col string) string {
	return fmt.Sprintf("CASE WHEN substr(%[1]s, 1, 3) = 'v1:' THEN 'v1' ELSE substr(%[1]s, 1, %[2]d) END", col, vault.PrefixLen)
}

func kekOfPrefix(p string) string {
	if p == vault.V1 {
		return vault.V1
	}
	if id := vault.KEKOf(p); id != "" {
		return id
	}
	return "(unknown format)"
}

// SealedSamples returns, for each sealed column and each KEK its values are
// under, one value with its aad and the count: what the start-up check tries
// to open.
func (d *DB) SealedSamples(ctx context.Context) ([]vault.Sample, error) {
	var out []vault.Sample
	for _, c := range sealedColumns {
		rows, err := d.query(ctx, `SELECT k, COUNT(*), MIN(id) FROM (SELECT `+kekExpr(c.column)+` AS k, id FROM `+c.table+
			` WHERE `+c.column+` IS NOT NULL) s GROUP BY k ORDER BY k`)
		if err != nil {
			return nil, fmt.Errorf("store: sealed values of %s: %w", c.table, err)
		}
		type group struct {
			k, id string
			n     int
		}
		var groups []group
		for rows.Next() {
			var g group
			if err := rows.Scan(&g.k, &g.n, &g.id); err != nil {
				rows.Close()
				return nil, err
			}
			groups = append(groups, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, g := range groups {
			var sealed string
			if err := d.queryRow(ctx, `SELECT `+c.column+` FROM `+c.table+` WHERE id = ?`, g.id).Scan(&sealed); err != nil {
				return nil, fmt.Errorf("store: sealed value of %s: %w", c.table, err)
			}
			out = append(out, vault.Sample{KEK: kekOfPrefix(g.k), Sealed: sealed, AAD: c.aad(g.id), Count: g.n, Where: c.what})
		}
	}
	return out, nil
}

// SealedCounts counts the sealed values under each KEK id (vault.V1 for the
// values from before envelope encryption) across every sealed column.
func (d *DB) SealedCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, c := range sealedColumns {
		rows, err := d.query(ctx, `SELECT `+kekExpr(c.column)+` AS k, COUNT(*) FROM `+c.table+` WHERE `+c.column+` IS NOT NULL GROUP BY 1`)
		if err != nil {
			return nil, fmt.Errorf("store: count sealed values of %s: %w", c.table, err)
		}
		m, err := scanCounts(rows)
		if err != nil {
			return nil, err
		}
		for k, n := range m {
			out[kekOfPrefix(k)] += n
		}
	}
	return out, nil
}

// CheckVault says, in words, why v cannot open the secrets this database
// holds (a KEK missing from the keyring, a wrong key); nil when it can. It
// tries one value per sealed column and KEK, and changes nothing.
func (d *DB) CheckVault(ctx context.Context, v *vault.Key) error {
	samples, err := d.SealedSamples(ctx)
	if err != nil {
		return err
	}
	if err := v.Ring().Verify(samples); err != nil {
		// A server that has not read the keyring file since another began a
		// rotation reads it once more before it gives up.
		if changed, _ := v.Reload(); changed {
			return v.Ring().Verify(samples)
		}
		return err
	}
	return nil
}

// RewrapOptions steer RewrapSealed.
type RewrapOptions struct {
	Batch int // rows per transaction; 0 is 500
	Limit int // stop after this many rows (0: all); tests interrupt a rotation with it
	// Progress hears the rows rewrapped so far after each committed batch.
	Progress func(done int)
}

// RewrapSealed puts every sealed value not under the vault's current KEK
// under it (vault.Key.Rewrap: only the wrapped data key changes; a value from
// before envelope encryption is sealed anew), in batches, each in its own
// transaction with its audit record. A row changed meanwhile is left for the
// next batch to find; the rows still to do are found by their prefix, so a
// run that is stopped (or killed) is finished by running it again. It returns
// the rows rewrapped.
func (d *DB) RewrapSealed(ctx context.Context, a keyward.Actor, v *vault.Key, o RewrapOptions) (int, error) {
	batch := o.Batch
	if batch <= 0 {
		batch = 500
	}
	done := 0
	for _, c := range sealedColumns {
		idle := 0
		for {
			want := batch
			if o.Limit > 0 {
				if done >= o.Limit {
					return done, nil
				}
				want = min(batch, o.Limit-done)
			}
			cur := v.Ring().Current()
			n, seen, err := d.rewrapBatch(ctx, a, v, c, cur, want)
			if err != nil {
				return done, err
			}
			done += n
			if n > 0 && o.Progress != nil {
				o.Progress(done)
			}
			if seen < want {
				break
			}
			if n == 0 {
				// Every row of the batch changed under us; a few tries, then give up.
				if idle++; idle > 5 {
					return done, fmt.Errorf("store: the %s keep changing while they are rewrapped; run the rotation again", c.what)
				}
			} else {
				idle = 0
			}
		}
	}
	return done, nil
}

func (d *DB) rewrapBatch(ctx context.Context, a keyward.Actor, v *vault.Key, c sealedColumn, cur string, limit int) (n, seen int, err error) {
	err = d.withTx(ctx, func(tx *Tx) error {
		// The audit chain head before any row, as every transaction takes
		// them (see storagePlace): a reveal holds the head and then locks
		// its place, so taking the rows first here could deadlock with it.
		if tx.db.dialect == postgresDialect {
			if _, err := tx.lockHead(ctx); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT id, `+c.column+` FROM `+c.table+` WHERE `+c.column+` IS NOT NULL AND substr(`+c.column+`, 1, ?) <> ? ORDER BY id LIMIT ?`,
			vault.PrefixLen, "v2:"+cur+":", limit)
		if err != nil {
			return fmt.Errorf("store: list %s to rewrap: %w", c.what, err)
		}
		type row struct{ id, sealed string }
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.sealed); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		seen = len(todo)
		from := map[string]int{}
		for _, r := range todo {
			out, changed, err := v.Rewrap(r.sealed, c.aad(r.id))
			if err != nil {
				return fmt.Errorf("store: rewrap one of the %s (row %s, under KEK %s): %w", c.what, r.id, kekOfPrefix(r.sealed[:min(len(r.sealed), vault.PrefixLen)]), err)
			}
			if !changed {
				continue
			}
			res, err := tx.Exec(ctx, `UPDATE `+c.table+` SET `+c.column+` = ? WHERE id = ? AND `+c.column+` = ?`, out, r.id, r.sealed)
			if err != nil {
				return fmt.Errorf("store: rewrap %s: %w", c.what, err)
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
				from[kekOfPrefix(r.sealed[:min(len(r.sealed), vault.PrefixLen)])]++
			}
		}
		if n == 0 {
			return nil
		}
		_, err = tx.record(ctx, a, "vault.rewrapped", "vault", v.Ring().Current(), map[string]any{
			"what": c.what, "rows": n, "to_kek": v.Ring().Current(), "from_keks": from})
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return n, seen, nil
}

// RotateOptions steer RotateKEK.
type RotateOptions struct {
	RewrapOptions
	// Settle is how long to wait, after writing the new keyring, for every
	// server to read it before rewrapping, so none seals under the old KEK
	// any more (servers look at the file every vault.ReloadEvery).
	Settle time.Duration
	// NewKEK is the new KEK's bytes; nil makes a random one.
	NewKEK []byte
}

// Rotation is what RotateKEK did.
type Rotation struct {
	Resumed   bool     // an earlier rotation was finished, no KEK added
	From      []string // the KEKs rotated away from
	To        string   // the current KEK
	Rewrapped int
	Retired   []string
	Remaining map[string]int // values still under a KEK other than To (a stopped run)
}

// ErrRotationStopped: RotateKEK stopped at its Limit, before every value was
// under the new KEK; running it again finishes the job.
var ErrRotationStopped = errors.New("the rotation stopped before every secret was rewrapped; run it again to finish")

// RotateKEK rotates the vault's KEK: it adds a new KEK to the keyring file as
// current (the old one stays, active, so every server opens both), waits for
// the servers to read it, rewraps every data key under it, then retires each
// active KEK once no sealed value uses it, and writes an audit record (KEK
// ids and counts only). If an earlier rotation did not finish (the keyring
// still has an active KEK), it finishes that one instead of adding a KEK. The
// keyring file is locked for the whole rotation. A keyring that cannot open
// this database's secrets is refused before anything changes.
func (d *DB) RotateKEK(ctx context.Context, a keyward.Actor, v *vault.Key, o RotateOptions) (Rotation, error) {
	unlock, err := v.Lock()
	if err != nil {
		return Rotation{}, err
	}
	defer unlock()
	if _, err := v.Reload(); err != nil {
		return Rotation{}, err
	}
	if err := d.CheckVault(ctx, v); err != nil {
		return Rotation{}, err
	}
	var rot Rotation
	if v.Ring().Rotating() {
		rot.Resumed = true
	} else {
		raw := o.NewKEK
		if raw == nil {
			raw = vault.NewRaw()
		}
		// The keyring is written before anything is rewrapped: every server
		// must open both KEKs while the rotation runs.
		if _, err := v.Update(func(r *vault.Ring) (*vault.Ring, error) { return r.WithNew(raw) }); err != nil {
			return Rotation{}, err
		}
		if o.Settle > 0 {
			select {
			case <-time.After(o.Settle):
			case <-ctx.Done():
				return Rotation{}, ctx.Err()
			}
		}
	}
	ring := v.Ring()
	rot.To = ring.Current()
	for _, k := range ring.KEKs() {
		if k.State == vault.Active {
			rot.From = append(rot.From, k.ID)
		}
	}
	// A server that had not read the new keyring yet may seal one more value
	// under an old KEK while the rewrap runs: count, and go round again.
	var counts map[string]int
	for range 3 {
		n, err := d.RewrapSealed(ctx, a, v, o.RewrapOptions)
		rot.Rewrapped += n
		if err != nil {
			return rot, err
		}
		if counts, err = d.SealedCounts(ctx); err != nil {
			return rot, err
		}
		delete(counts, rot.To)
		if len(counts) == 0 || o.Limit > 0 {
			break
		}
	}
	if len(counts) > 0 {
		rot.Remaining = counts
		return rot, ErrRotationStopped
	}
	for _, id := range rot.From {
		if _, err := v.Update(func(r *vault.Ring) (*vault.Ring, error) { return r.Retire(id) }); err != nil {
			return rot, err
		}
		rot.Retired = append(rot.Retired, id)
	}
	err = d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.record(ctx, a, "vault.kek_rotated", "vault", rot.To, map[string]any{
			"to_kek": rot.To, "from_keks": rot.From, "retired_keks": rot.Retired, "rewrapped": rot.Rewrapped, "resumed": rot.Resumed})
		return err
	})
	return rot, err
}

// DestroyKEK removes a retired KEK, and its bytes, from the keyring file, with
// an audit record: backups taken before its rotation can no longer be opened
// with this keyring. A KEK some sealed value still uses is refused.
func (d *DB) DestroyKEK(ctx context.Context, a keyward.Actor, v *vault.Key, id string) error {
	unlock, err := v.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	counts, err := d.SealedCounts(ctx)
	if err != nil {
		return err
	}
	if n := counts[id]; n > 0 {
		return keyward.Errorf(keyward.ECONFLICT, "KEK id %s still wraps %d secrets in this database: rotate first", id, n)
	}
	if _, err := v.Update(func(r *vault.Ring) (*vault.Ring, error) { return r.Destroy(id) }); err != nil {
		return keyward.Errorf(keyward.ECONFLICT, "%s", err.Error())
	}
	return d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.record(ctx, a, "vault.kek_destroyed", "vault", id, map[string]any{"kek": id})
		return err
	})
}

// sealedColumnNames lists "table.column" of sealedColumns, sorted, for the
// test that compares them with the schema.
func sealedColumnNames() []string {
	var out []string
	for _, c := range sealedColumns {
		out = append(out, c.table+"."+c.column)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
