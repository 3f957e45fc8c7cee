package store

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/keyward/keyward/internal/keyward"
)

// ImportUploadTTL is how long an uploaded spreadsheet waits for its import.
const ImportUploadTTL = keyward.ImportUploadTTL

// ImportUpload is a spreadsheet kept between the steps of the import page.
// Only the user who uploaded it may read it.
type ImportUpload = keyward.ImportUpload

// SaveImportUpload keeps a spreadsheet for the actor's later steps, and
// deletes every upload older than ImportUploadTTL. EFORBIDDEN (recorded)
// unless the actor may import.
func (d *DB) SaveImportUpload(ctx context.Context, a keyward.Actor, fileName, contentType string, content []byte) (*ImportUpload, error) {
	if err := d.recordDenial(ctx, a, keyward.ActImport, "import_upload", ""); err != nil {
		return nil, err
	}
	u := &ImportUpload{ID: newID("upl"), UserID: a.UserID, FileName: fileName, ContentType: contentType, Content: content}
	err := d.withTx(ctx, func(tx *Tx) error {
		u.CreatedAt = tx.now.UTC()
		if _, err := tx.Exec(ctx, `DELETE FROM import_uploads WHERE created_at < ?`, ts(tx.now.Add(-ImportUploadTTL))); err != nil {
			return fmt.Errorf("store: expire import uploads: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO import_uploads (id, user_id, file_name, content_type, content, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			u.ID, u.UserID, u.FileName, u.ContentType, base64.StdEncoding.EncodeToString(content), ts(tx.now))
		if err != nil {
			return fmt.Errorf("store: save import upload: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ImportUpload returns one of the actor's own uploads. ENOTFOUND for an
// upload of another user, or one older than ImportUploadTTL.
func (d *DB) ImportUpload(ctx context.Context, a keyward.Actor, id string) (*ImportUpload, error) {
	if err := keyward.Authorize(a, keyward.ActImport); err != nil {
		return nil, err
	}
	u := &ImportUpload{}
	var content, created string
	err := d.queryRow(ctx, `SELECT id, user_id, file_name, content_type, content, created_at FROM import_uploads
		WHERE id = ? AND user_id = ? AND created_at >= ?`, id, a.UserID, ts(d.Now().Add(-ImportUploadTTL))).
		Scan(&u.ID, &u.UserID, &u.FileName, &u.ContentType, &content, &created)
	if err != nil {
		return nil, notFound(err, "upload", id)
	}
	if u.Content, err = base64.StdEncoding.DecodeString(content); err != nil {
		return nil, fmt.Errorf("store: read import upload %s: %w", id, err)
	}
	u.CreatedAt = parseTS(created)
	return u, nil
}

// DeleteImportUpload removes one of the actor's own uploads; deleting one
// that is gone already is not an error.
func (d *DB) DeleteImportUpload(ctx context.Context, a keyward.Actor, id string) error {
	if err := keyward.Authorize(a, keyward.ActImport); err != nil {
		return err
	}
	err := d.withTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM import_uploads WHERE id = ? AND user_id = ?`, id, a.UserID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete import upload: %w", err)
	}
	return nil
}
