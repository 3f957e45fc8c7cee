package store_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/auth"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/vault"
)

// sealV1 seals as Keyward did before envelope encryption: directly under the
// one vault key, "v1:<base64 nonce+ciphertext>".
func sealV1(t testing.TB, raw []byte, secret, aad string) string {
	t.Helper()
	block, err := aes.NewCipher(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cipher.NewGCM(block)
	nonce := make([]byte, a.NonceSize())
	_, _ = rand.Read(nonce)
	return "v1:" + base64.RawStdEncoding.EncodeToString(a.Seal(nonce, nonce, []byte(secret), []byte(aad)))
}

// keyFileRaw reads the 32 bytes of a bare key file.
func keyFileRaw(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != 32 {
		t.Fatalf("key file: %v", err)
	}
	return raw
}

// TestSealedColumnsAreListed: every column of the schema that holds a sealed
// value is in the store's one list, so a rotation cannot miss one.
func TestSealedColumnsAreListed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env := b(t)
		env.Open(t)
		q := `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND (p.name LIKE '%sealed%' OR p.name LIKE '%secret%')`
		if env.URL != "" {
			q = `SELECT table_name || '.' || column_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND (column_name LIKE '%sealed%' OR column_name LIKE '%secret%')`
		}
		rows, err := env.SQL().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var inSchema []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			inSchema = append(inSchema, s)
		}
		slices.Sort(inSchema)
		if listed := store.SealedColumnNamesForTest(); !slices.Equal(inSchema, listed) {
			t.Fatalf("sealed columns in the schema %v, in the store's list %v", inSchema, listed)
		}
	})
}

// secretsFixture holds one of every kind of sealed secret, in a database
// where half of them are still in the format from before envelope encryption.
type secretsFixture struct {
	env    *storetest.Env
	db     *store.DB
	owner  keyward.Actor
	box    string            // lockbox id
	plain  map[string]string // "table.column:id" → the secret
	oldRaw []byte            // the single vault key the installation had
}

func newSecretsFixture(t *testing.T, b storetest.Backend) *secretsFixture {
	t.Helper()
	ctx := context.Background()
	env := b(t)
	db := env.Open(t)
	v := env.Vault
	acc := db.Accounts(v)
	u, _, err := acc.Init(ctx, store.InitInput{Org: "Harbour Point", Email: "owner@harbour.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	f := &secretsFixture{env: env, db: db, owner: keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}, oldRaw: keyFileRaw(t, v.Path())}
	seed := auth.NewTOTPSecret()
	code, _ := auth.TOTPCode(seed, db.Now())
	if err := acc.EnrolTOTP(ctx, f.owner, seed, code); err != nil {
		t.Fatal(err)
	}
	d := db.Directory()
	kw, err := d.CreateKeyway(ctx, f.owner, keyward.KeywayInput{Name: "HP1", DuplicationPolicy: "open"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Duplication(v).SetCard(ctx, f.owner, kw.ID, keyward.CardInput{Number: "CARD-77310-QX"}); err != nil {
		t.Fatal(err)
	}
	site, _ := d.CreateSite(ctx, f.owner, keyward.SiteInput{Name: "Harbour Point"})
	door, err := d.CreateOpening(ctx, f.owner, keyward.OpeningInput{SiteID: site.ID, Name: "Boiler room", Kind: "door"})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := d.CreateHolder(ctx, f.owner, keyward.HolderInput{Name: "Dana Ruiz", Email: "dana@harbour.test"})
	if _, err := db.Credentials(v).Issue(ctx, f.owner, keyward.CredentialInput{Kind: "pin", PIN: "90817263", HolderID: h.ID, OpeningIDs: []string{door.ID}}); err != nil {
		t.Fatal(err)
	}
	st := db.Storage(v)
	for i, c := range []string{"LOCK-4711-XZ", "LOCK-5822-YW", "LOCK-6933-VU"} {
		p, err := st.Create(ctx, f.owner, keyward.StorageInput{Kind: "lockbox", Name: fmt.Sprintf("Gate lockbox %d", i), Code: keyward.Secret(c)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.box = p.ID
		}
	}
	if _, err := db.KeySystems(v).CreateKeySystem(ctx, f.owner, keyward.KeySystemInput{Name: "HQ", Manufacturer: "schlage_sc4", TMK: "555555",
		Levels: []keyward.KeySystemLevel{{Level: "master", Sequence: []int{1}}, {Level: "change", Sequence: []int{2, 3}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Notifications(v).CreateWebhook(ctx, f.owner, keyward.WebhookInput{URL: "https://hooks.example.com/kw", Secret: "whsec-Plum-Otter-8841", Events: []string{"checkout.overdue"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.KeyCodes(v).CreateKeyCode(ctx, f.owner, keyward.KeyCodeInput{VIN: "1HGCM82633A004352", Code: "K3Y-C0DE-8812", Source: "code_service", SourceRef: "CS-1"}); err != nil {
		t.Fatal(err)
	}
	ls := db.LockSync(v)
	lock, err := ls.AddSyncLock(ctx, f.owner, keyward.SyncLockInput{Name: "Side door", Adapter: "keyward"})
	if err != nil {
		t.Fatal(err)
	}
	from, until := db.Now(), db.Now().Add(4*time.Hour)
	if _, err := ls.IssueTempCode(ctx, f.owner, keyward.TempCodeInput{For: "Plumber", Locks: []string{lock.ID}, Schedule: keyward.CodeSchedule{Kind: keyward.ScheduleWindow, From: &from, Until: &until}}); err != nil {
		t.Fatal(err)
	}
	// Read every secret back, and put every other one in the old format.
	f.plain = map[string]string{}
	raw := env.SQL()
	for _, c := range store.SealedColumnsForTest() {
		rows, err := raw.Query(`SELECT id, ` + c.Column + ` FROM ` + c.Table + ` WHERE ` + c.Column + ` IS NOT NULL ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ id, sealed string }
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.sealed); err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
		rows.Close()
		if len(all) == 0 {
			t.Fatalf("the fixture has no %s.%s", c.Table, c.Column)
		}
		for i, r := range all {
			s, err := v.Open(r.sealed, c.AAD(r.id))
			if err != nil {
				t.Fatalf("%s.%s %s: %v", c.Table, c.Column, r.id, err)
			}
			f.plain[c.Table+"."+c.Column+":"+r.id] = s.Reveal()
			if i%2 == 0 {
				if err := raw.Exec(`UPDATE `+c.Table+` SET `+c.Column+` = ? WHERE id = ?`, sealV1(t, f.oldRaw, s.Reveal(), c.AAD(r.id)), r.id); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return f
}

// openAll opens every sealed value with v and compares it with the fixture's
// secrets; it returns the KEK ids the values are under.
func (f *secretsFixture) openAll(t *testing.T, v *vault.Key) map[string]int {
	t.Helper()
	keks := map[string]int{}
	n := 0
	for _, c := range store.SealedColumnsForTest() {
		rows, err := f.env.SQL().Query(`SELECT id, ` + c.Column + ` FROM ` + c.Table + ` WHERE ` + c.Column + ` IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, sealed string
			if err := rows.Scan(&id, &sealed); err != nil {
				t.Fatal(err)
			}
			s, err := v.Open(sealed, c.AAD(id))
			if want := f.plain[c.Table+"."+c.Column+":"+id]; err != nil || s.Reveal() != want {
				t.Fatalf("%s.%s %s opens to %q, %v", c.Table, c.Column, id, s.Reveal(), err)
			}
			keks[vault.KEKOf(sealed)]++
			n++
		}
		rows.Close()
	}
	if n != len(f.plain) {
		t.Fatalf("%d sealed values, the fixture made %d", n, len(f.plain))
	}
	return keks
}

func (f *secretsFixture) reveal(t *testing.T, db *store.DB, v *vault.Key) string {
	t.Helper()
	s, err := db.Storage(v).RevealCode(context.Background(), f.owner, f.box, keyward.CodeRevealInput{Reason: "let the plumber in"})
	if err != nil {
		t.Fatalf("reveal: %v", err)
	}
	return s.Reveal()
}

// TestRotateKEK: a rotation interrupted after a few rows and run again puts
// every kind of secret (and those from before envelope encryption) under the
// new KEK without changing one, while a second server on the same keyring
// file keeps revealing; the old KEK is retired, then destroyed; a backup and
// a dump hold no secret and no KEK.
func TestRotateKEK(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newSecretsFixture(t, b)
		v := f.env.Vault
		oldID := vault.KEKID(f.oldRaw)
		before := f.openAll(t, v)
		if before[vault.V1] == 0 || before[oldID] == 0 || len(before) != 2 {
			t.Fatalf("fixture KEKs %v", before)
		}
		if err := f.db.CheckVault(ctx, v); err != nil {
			t.Fatal(err)
		}
		// A second server: its own handle and its own vault on the same file.
		db2 := f.env.Open(t)
		v2, err := vault.ReadKeyFile(v.Path())
		if err != nil {
			t.Fatal(err)
		}
		if got := f.reveal(t, db2, v2); got != "LOCK-4711-XZ" {
			t.Fatalf("reveal %q", got)
		}
		actor := keyward.SystemActor("cli")

		// Stop after 3 rows, as a kill would.
		rot, err := f.db.RotateKEK(ctx, actor, v, store.RotateOptions{RewrapOptions: store.RewrapOptions{Batch: 2, Limit: 3}})
		if !errors.Is(err, store.ErrRotationStopped) || rot.Rewrapped != 3 || rot.Resumed {
			t.Fatalf("stopped rotation: %+v, %v", rot, err)
		}
		newID := rot.To
		if newID == oldID || v.Ring().StateOf(oldID) != vault.Active || v.Ring().Current() != newID {
			t.Fatalf("keyring after a stopped rotation: %+v", v.Ring().KEKs())
		}
		mid := f.openAll(t, v)
		if mid[newID] != 3 || mid[oldID]+mid[vault.V1] != len(f.plain)-3 {
			t.Fatalf("KEKs after 3 rows: %v", mid)
		}
		// The second server, which has not read the new keyring, reveals a
		// value under either KEK.
		if got := f.reveal(t, db2, v2); got != "LOCK-4711-XZ" {
			t.Fatalf("reveal mid-rotation %q", got)
		}
		f.openAll(t, v2)
		// A server given a keyring without the new KEK is refused, by name.
		only, _ := vault.NewKey(f.oldRaw)
		if err := f.db.CheckVault(ctx, only); err == nil || !strings.Contains(err.Error(), "KEK id "+newID+" is missing") {
			t.Fatalf("check with the old key alone: %v", err)
		}

		// Run again: it finishes the rotation it finds, adding no KEK.
		var progress []int
		rot, err = f.db.RotateKEK(ctx, actor, v, store.RotateOptions{RewrapOptions: store.RewrapOptions{Batch: 2, Progress: func(n int) { progress = append(progress, n) }}})
		if err != nil || !rot.Resumed || rot.To != newID || rot.Rewrapped != len(f.plain)-3 || !slices.Equal(rot.Retired, []string{oldID}) || len(progress) == 0 {
			t.Fatalf("resumed rotation: %+v, %v (progress %v)", rot, err, progress)
		}
		if len(v.Ring().KEKs()) != 2 || v.Ring().StateOf(oldID) != vault.Retired {
			t.Fatalf("keyring after the rotation: %+v", v.Ring().KEKs())
		}
		// Every value opens with the new KEK alone: nothing is left under the old.
		ring, err := vault.ParseKeyring(mustRead(t, v.Path()))
		if err != nil {
			t.Fatal(err)
		}
		newOnly, err := ring.Destroy(oldID)
		if err != nil {
			t.Fatal(err)
		}
		if after := f.openAll(t, vault.FromRing(newOnly)); after[newID] != len(f.plain) {
			t.Fatalf("KEKs after the rotation: %v", after)
		}
		if got := f.reveal(t, db2, v2); got != "LOCK-4711-XZ" {
			t.Fatalf("reveal after the rotation %q", got)
		}
		counts, err := f.db.SealedCounts(ctx)
		if err != nil || len(counts) != 1 || counts[newID] != len(f.plain) {
			t.Fatalf("SealedCounts %v, %v", counts, err)
		}
		// Audit: the batches and the rotation, with KEK ids and counts only.
		sum, _, err := f.db.VerifyAudit(ctx, nil)
		if err != nil {
			t.Fatalf("audit chain: %v (%+v)", err, sum)
		}
		rows := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'vault.rewrapped'`)
		rotated := f.env.SQL().MustCount(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'vault.kek_rotated'`)
		if rows < 2 || rotated != 1 {
			t.Fatalf("audit: %d vault.rewrapped, %d vault.kek_rotated", rows, rotated)
		}
		// A rotation with nothing to do still adds a KEK (a new rotation).
		rot, err = f.db.RotateKEK(ctx, actor, v, store.RotateOptions{})
		if err != nil || rot.Resumed || rot.To == newID || rot.Rewrapped != len(f.plain) || !slices.Equal(rot.Retired, []string{newID}) {
			t.Fatalf("second rotation: %+v, %v", rot, err)
		}
		// Destroy: the first KEK goes; the current one cannot.
		if err := f.db.DestroyKEK(ctx, actor, v, oldID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DestroyKEK(ctx, actor, v, rot.To); keyward.ErrorCode(err) != keyward.ECONFLICT {
			t.Fatalf("destroying the current KEK: %v", err)
		}
		if v.Ring().Has(oldID) || bytes.Contains(mustRead(t, v.Path()), []byte(base64.StdEncoding.EncodeToString(f.oldRaw))) {
			t.Fatal("the destroyed KEK is still in the keyring file")
		}
		f.openAll(t, v)
		f.noSecretsIn(t, ring)
	})
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noSecretsIn takes a backup and a dump of the database (PostgreSQL: pg_dump;
// SQLite: its files) and looks in them for every secret and every KEK the
// keyring ever held, raw and in base64.
func (f *secretsFixture) noSecretsIn(t *testing.T, ring *vault.Ring) {
	t.Helper()
	ctx := context.Background()
	backup := filepath.Join(t.TempDir(), "backup")
	if _, err := f.db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"backup": mustRead(t, backup)}
	if f.env.URL == "" {
		paths, _ := filepath.Glob(filepath.Join(f.env.Dir, "*.db*"))
		if len(paths) == 0 {
			t.Fatal("no SQLite files found")
		}
		for _, p := range paths {
			files[filepath.Base(p)] = mustRead(t, p)
		}
	} else {
		u, _ := url.Parse(f.env.URL)
		schema := u.Query().Get("search_path")
		q := u.Query()
		q.Del("search_path")
		u.RawQuery = q.Encode()
		out, err := exec.Command("pg_dump", "--dbname", u.String(), "--schema", schema).Output()
		if err != nil {
			t.Skipf("pg_dump: %v", err)
		}
		if !bytes.Contains(out, []byte("storage_places")) {
			t.Fatal("the dump holds no storage places")
		}
		files["pg_dump"] = out
	}
	var needles [][]byte
	for _, s := range f.plain {
		if len(s) >= 8 {
			needles = append(needles, []byte(s))
		}
	}
	for _, s := range []string{"LOCK-4711-XZ", "90817263", "CARD-77310-QX", "whsec-Plum-Otter-8841"} {
		needles = append(needles, []byte(s))
	}
	keks := append([][]byte{f.oldRaw}, kekBytes(t, ring)...)
	for _, k := range keks {
		needles = append(needles, k, []byte(base64.StdEncoding.EncodeToString(k)), []byte(base64.RawStdEncoding.EncodeToString(k)[:24]))
	}
	for name, b := range files {
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("the %s holds a secret or a KEK (%d bytes)", name, len(n))
			}
		}
	}
}

// kekBytes reads the KEKs of a keyring from its file form.
func kekBytes(t *testing.T, r *vault.Ring) [][]byte {
	t.Helper()
	var out [][]byte
	for _, line := range strings.Split(string(r.Marshal()), "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), `"key": "`); ok {
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(k, `"`))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, raw)
		}
	}
	if len(out) != len(r.KEKs()) {
		t.Fatalf("read %d KEKs of %d", len(out), len(r.KEKs()))
	}
	return out
}
