package store_test

import (
	"context"
	"testing"

	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// Migration 0016 gives the keys that existed before it an origin: those an
// import created are imported, the others registered; none is produced.
func TestKeyOriginBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		env := b(t)
		ctx := context.Background()
		if err := store.MigrateToForTest(ctx, store.Config{URL: env.URL, DataDir: env.Dir, Now: env.Clock.Now}, 15); err != nil {
			t.Fatal(err)
		}
		raw := env.SQL()
		at := "2026-03-02T09:00:00.000000000Z"
		for _, q := range []string{
			`INSERT INTO keyways (id, name, duplication_policy, created_at) VALUES ('kwy_1', 'Schlage SC1', 'dnd', '` + at + `')`,
			`INSERT INTO keys (id, keyway_id, symbol, copy_number, status, created_at) VALUES ('key_made', 'kwy_1', 'AA1', 1, 'in_storage', '` + at + `')`,
			`INSERT INTO keys (id, keyway_id, symbol, copy_number, status, created_at) VALUES ('key_imp', 'kwy_1', 'AA1', 2, 'in_storage', '` + at + `')`,
			`INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, note, audit_seq) VALUES ('evt_1', 'key_made', 'create', '` + at + `', 'o', 'owner', '', 1)`,
			`INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, note, audit_seq) VALUES ('evt_2', 'key_imp', 'import', '` + at + `', 'o', 'owner', 'import imp_1, row 1', 2)`,
			`INSERT INTO custody_events (id, key_id, action, at, actor, actor_role, note, audit_seq) VALUES ('evt_3', 'key_imp', 'issue', '` + at + `', 'o', 'owner', '', 3)`,
		} {
			if err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		env.Open(t) // migrates the rest
		for id, want := range map[string]string{"key_made": "registered", "key_imp": "imported"} {
			if n := raw.MustCount(t, `SELECT COUNT(*) FROM keys WHERE id = ? AND origin = ? AND copy_request_id IS NULL`, id, want); n != 1 {
				t.Errorf("%s: origin is not %s", id, want)
			}
		}
	})
}
