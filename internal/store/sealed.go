package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// sealedColumns are where secrets are sealed with the vault key, each with
// the label (AAD) its value was sealed under.
var sealedColumns = []struct{ table, column, aad string }{
	{"webhooks", "secret_sealed", "webhook:"},
	{"key_symbols", "bitting_sealed", "bitting:"},
	{"storage_places", "code_sealed", "lockbox:"},
	{"credentials", "pin_sealed", "pin:"},
	{"keyways", "card_sealed", "keyway-card:"},
	{"users", "totp_secret", "totp:"},
}

// SealedSample returns one secret sealed in this database and the label it
// was sealed under, so a server can check at start that its vault key opens
// the database's secrets (after a restore, the source's key must be given;
// a new key would open none of them). found is false when nothing is sealed.
func (d *DB) SealedSample(ctx context.Context) (sealed, aad string, found bool, err error) {
	for _, c := range sealedColumns {
		var id, v string
		err := d.queryRow(ctx, `SELECT id, `+c.column+` FROM `+c.table+` WHERE `+c.column+` IS NOT NULL AND `+c.column+` <> '' ORDER BY id LIMIT 1`).Scan(&id, &v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return "", "", false, fmt.Errorf("store: sealed secrets: %w", err)
		}
		return v, c.aad + id, true, nil
	}
	return "", "", false, nil
}
