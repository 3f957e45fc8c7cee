package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/keyward/keyward/internal/keyward"
)

// Spares implements keyward.VehicleSpares: a vehicle opening's VIN, spare
// requests through proof, production, enrollment and test to hand-over, and
// the re-enrollment question of a lost vehicle key. Every step locks the
// spare's row, asks keyward.CheckSpareStep, and writes its audit record in
// the same transaction; a refused step changes nothing and is recorded as
// a refusal.
type Spares struct{ db *DB }

// Spares returns the vehicle spare service.
func (d *DB) Spares() *Spares { return &Spares{db: d} }

// Vehicles.

const vehicleCols = `o.id, o.name, s.name, o.vin`

func vehicleSymbols(ctx context.Context, q querier, v *keyward.Vehicle) error {
	v.Symbols = []string{}
	return scanEach(ctx, q, `SELECT symbol FROM opening_symbols WHERE opening_id = ? ORDER BY symbol`, []any{v.OpeningID}, func(rows *sql.Rows) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		v.Symbols = append(v.Symbols, s)
		return nil
	})
}

func loadVehicle(ctx context.Context, q rowQuerier, id string) (*keyward.Vehicle, error) {
	var v keyward.Vehicle
	var kind string
	err := q.QueryRow(ctx, `SELECT `+vehicleCols+`, o.kind FROM openings o JOIN sites s ON s.id = o.site_id WHERE o.id = ?`, id).
		Scan(&v.OpeningID, &v.Name, &v.SiteName, &v.VIN, &kind)
	if err != nil {
		return nil, notFound(err, "vehicle", id)
	}
	if kind != "vehicle" {
		return nil, keyward.Errorf(keyward.ENOTFOUND, "no vehicle with this id: the opening is a %s", kind)
	}
	if err := vehicleSymbols(ctx, q, &v); err != nil {
		return nil, fmt.Errorf("store: vehicle symbols: %w", err)
	}
	return &v, nil
}

// Vehicles lists the vehicle openings that are not retired, by site and name.
func (s *Spares) Vehicles(ctx context.Context, a keyward.Actor) ([]keyward.Vehicle, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRead, "vehicle", ""); err != nil {
		return nil, err
	}
	out := []keyward.Vehicle{}
	q := poolQuerier{s.db}
	err := scanEach(ctx, q, `SELECT `+vehicleCols+` FROM openings o JOIN sites s ON s.id = o.site_id
		WHERE o.kind = 'vehicle' AND o.retired_at IS NULL ORDER BY s.name, o.name, o.id LIMIT 500`, nil, func(rows *sql.Rows) error {
		var v keyward.Vehicle
		if err := rows.Scan(&v.OpeningID, &v.Name, &v.SiteName, &v.VIN); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: vehicles: %w", err)
	}
	for i := range out {
		if err := vehicleSymbols(ctx, q, &out[i]); err != nil {
			return nil, fmt.Errorf("store: vehicle symbols: %w", err)
		}
	}
	return out, nil
}

// Vehicle returns one vehicle opening.
func (s *Spares) Vehicle(ctx context.Context, a keyward.Actor, id string) (*keyward.Vehicle, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRead, "opening", id); err != nil {
		return nil, err
	}
	return loadVehicle(ctx, poolQuerier{s.db}, id)
}

// setVIN records a vehicle's VIN with its audit record (nothing when unchanged).
func (t *Tx) setVIN(ctx context.Context, a keyward.Actor, openingID, vin string, warned bool) error {
	var old string
	if err := t.QueryRow(ctx, `SELECT vin FROM openings WHERE id = ?`, openingID).Scan(&old); err != nil {
		return notFound(err, "vehicle", openingID)
	}
	if old == vin {
		return nil
	}
	if _, err := t.Exec(ctx, `UPDATE openings SET vin = ? WHERE id = ?`, vin, openingID); err != nil {
		return fmt.Errorf("store: set vin: %w", err)
	}
	details := map[string]any{"vin": vin}
	if old != "" {
		details["previous_vin"] = old
	}
	if warned {
		details["vin_check_digit"] = "does not match"
	}
	_, err := t.record(ctx, a, "vehicle.vin", "opening", openingID, details)
	return err
}

// SetVehicleVIN records a vehicle opening's VIN.
func (s *Spares) SetVehicleVIN(ctx context.Context, a keyward.Actor, id string, in keyward.VehicleVINInput) (*keyward.Vehicle, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActInventoryEdit, "opening", id); err != nil {
		return nil, err
	}
	warnings, err := in.Validate()
	if err != nil {
		return nil, err
	}
	v, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.Vehicle, error) {
		if err := tx.lockRow(ctx, "openings", "vehicle", id); err != nil {
			return nil, err
		}
		if _, err := loadVehicle(ctx, tx, id); err != nil {
			return nil, err
		}
		if err := tx.setVIN(ctx, a, id, in.VIN, len(warnings) > 0); err != nil {
			return nil, err
		}
		return loadVehicle(ctx, tx, id)
	})
	if err != nil {
		return nil, err
	}
	v.Warnings = warnings
	return v, nil
}

// Spares.

const spareCols = `v.id, v.opening_id, o.name, st.name, o.vin, v.holder_id, h.name, v.note, v.state,
	v.relationship, v.requester_name, v.id_type, v.id_last4, v.registration_ref, v.agent_letter_ref, v.proof_by, v.proof_by_name, v.proof_at,
	COALESCE(v.key_id, ''), COALESCE(k.symbol, ''), COALESCE(k.copy_number, 0), v.produced_by, v.produced_by_name, v.produced_at,
	v.enroll_tool, v.enroll_date, v.enroll_by, v.enroll_by_name, v.enroll_at,
	v.test_starts, v.test_opens, v.test_note, v.test_by, v.test_by_name, v.test_at,
	v.handed_by, v.handed_by_name, v.handed_at, v.created_by, v.created_by_name, v.created_at`

const spareFrom = ` FROM vehicle_spares v JOIN openings o ON o.id = v.opening_id JOIN sites st ON st.id = o.site_id
	JOIN holders h ON h.id = v.holder_id LEFT JOIN keys k ON k.id = v.key_id`

func scanSpare(row interface{ Scan(...any) error }) (*keyward.VehicleSpare, error) {
	var sp keyward.VehicleSpare
	var p keyward.SpareProof
	var e keyward.SpareEnrollment
	var t keyward.SpareTest
	var symbol string
	var copyNo, starts, opens int
	var proofAt, producedAt, enrollAt, testAt, handedAt sql.NullString
	var created string
	err := row.Scan(&sp.ID, &sp.OpeningID, &sp.VehicleName, &sp.SiteName, &sp.VIN, &sp.HolderID, &sp.HolderName, &sp.Note, &sp.State,
		&p.Relationship, &p.RequesterName, &p.IDType, &p.IDLast4, &p.RegistrationRef, &p.AgentLetterRef, &p.CheckedBy, &p.CheckedByName, &proofAt,
		&sp.KeyID, &symbol, &copyNo, &sp.ProducedBy, &sp.ProducedName, &producedAt,
		&e.Tool, &e.Date, &e.By, &e.ByName, &enrollAt,
		&starts, &opens, &t.Note, &t.By, &t.ByName, &testAt,
		&sp.HandedOverBy, &sp.HandedOverName, &handedAt, &sp.CreatedBy, &sp.CreatedByName, &created)
	if err != nil {
		return nil, err
	}
	sp.CreatedAt = parseTS(created)
	if proofAt.Valid {
		p.CheckedAt = parseTS(proofAt.String)
		sp.Proof = &p
	}
	if sp.KeyID != "" {
		sp.KeyStamp = stamp(symbol, copyNo)
	}
	sp.ProducedAt = tsPtr(producedAt)
	if enrollAt.Valid {
		e.At = parseTS(enrollAt.String)
		sp.Enrollment = &e
	}
	if testAt.Valid {
		t.At, t.StartsVehicle, t.OpensDoor = parseTS(testAt.String), starts == 1, opens == 1
		t.Passed = t.StartsVehicle && t.OpensDoor
		sp.Test = &t
	}
	sp.HandedOverAt = tsPtr(handedAt)
	sp.NextStep, sp.NextWords = keyward.SpareWaitsFor(sp.State), keyward.SpareWaitWords(sp.State)
	return &sp, nil
}

func loadSpare(ctx context.Context, q rowQuerier, id string) (*keyward.VehicleSpare, error) {
	sp, err := scanSpare(q.QueryRow(ctx, `SELECT `+spareCols+spareFrom+` WHERE v.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "vehicle spare", id)
	}
	return sp, nil
}

// CreateSpare opens a spare request for a vehicle and a holder. The vehicle
// needs a VIN: the request may carry it, recorded in the same transaction.
func (s *Spares) CreateSpare(ctx context.Context, a keyward.Actor, in keyward.SpareRequestInput) (*keyward.VehicleSpare, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRequest, "vehicle_spare", ""); err != nil {
		return nil, err
	}
	warnings, err := in.Validate()
	if err != nil {
		return nil, err
	}
	id := newID("vsp")
	sp, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.VehicleSpare, error) {
		if err := tx.active(ctx, "openings", "opening_id", "vehicle", in.OpeningID); err != nil {
			return nil, err
		}
		v, err := loadVehicle(ctx, tx, in.OpeningID)
		if err != nil {
			return nil, keyward.Invalid("opening_id", "must name a vehicle (an opening of kind vehicle)")
		}
		if in.VIN == "" && v.VIN == "" {
			return nil, keyward.Invalid("vin", "is required: this vehicle has no VIN recorded yet")
		}
		if err := tx.active(ctx, "holders", "holder_id", "holder", in.HolderID); err != nil {
			return nil, err
		}
		if in.VIN != "" {
			if err := tx.setVIN(ctx, a, in.OpeningID, in.VIN, len(warnings) > 0); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO vehicle_spares (id, opening_id, holder_id, note, state, created_by, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, in.OpeningID, in.HolderID, in.Note, keyward.SpareRequested, a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now)); err != nil {
			return nil, fmt.Errorf("store: insert vehicle spare: %w", err)
		}
		details := map[string]any{"opening_id": in.OpeningID, "holder_id": in.HolderID, "state": keyward.SpareRequested}
		if in.Note != "" {
			details["note"] = in.Note
		}
		if _, err := tx.record(ctx, a, "spare.request", "vehicle_spare", id, details); err != nil {
			return nil, err
		}
		return loadSpare(ctx, tx, id)
	})
	if err != nil {
		return nil, err
	}
	sp.Warnings = warnings
	return sp, nil
}

// Spare returns one spare request.
func (s *Spares) Spare(ctx context.Context, a keyward.Actor, id string) (*keyward.VehicleSpare, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRead, "vehicle_spare", id); err != nil {
		return nil, err
	}
	return loadSpare(ctx, poolQuerier{s.db}, id)
}

// Spares lists spare requests newest first (the latest 200); open: not handed over.
func (s *Spares) Spares(ctx context.Context, a keyward.Actor, open bool) ([]keyward.VehicleSpare, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRead, "vehicle_spare", ""); err != nil {
		return nil, err
	}
	where := ``
	if open {
		where = ` WHERE v.state <> '` + keyward.SpareHandedOver + `'`
	}
	out := []keyward.VehicleSpare{}
	err := scanEach(ctx, poolQuerier{s.db}, `SELECT `+spareCols+spareFrom+where+` ORDER BY v.created_at DESC, v.id DESC LIMIT 200`, nil, func(rows *sql.Rows) error {
		sp, err := scanSpare(rows)
		if err != nil {
			return err
		}
		out = append(out, *sp)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: vehicle spares: %w", err)
	}
	return out, nil
}

// spareStepFunc does what a step changes, adds to its audit details, and
// says whether a test passed.
type spareStepFunc func(tx *Tx, sp *keyward.VehicleSpare, details map[string]any) (passed bool, err error)

// step locks the spare, lets keyward.CheckSpareStep decide, does the step,
// and writes the new state and the audit record in one transaction. A
// refused step changes nothing; the refusal is recorded after the rollback.
func (s *Spares) step(ctx context.Context, a keyward.Actor, id, step string, action keyward.Action, do spareStepFunc) (*keyward.VehicleSpare, error) {
	if err := s.db.recordDenial(ctx, a, action, "vehicle_spare", id); err != nil {
		return nil, err
	}
	var refused error
	var refusedState string
	sp, err := inTx(ctx, s.db, func(tx *Tx) (*keyward.VehicleSpare, error) {
		if err := tx.lockRow(ctx, "vehicle_spares", "vehicle spare", id); err != nil {
			return nil, err
		}
		sp, err := loadSpare(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if err := keyward.CheckSpareStep(sp.State, step); err != nil {
			refused, refusedState = err, sp.State
			return nil, err
		}
		details := map[string]any{"opening_id": sp.OpeningID, "holder_id": sp.HolderID}
		passed, err := do(tx, sp, details)
		if err != nil {
			return nil, err
		}
		if id, ok := details["key_id"].(string); !ok || id == "" {
			if sp.KeyID != "" {
				details["key_id"] = sp.KeyID
			}
		}
		next := keyward.SpareAfter(step, passed)
		details["state"] = next
		if _, err := tx.Exec(ctx, `UPDATE vehicle_spares SET state = ? WHERE id = ?`, next, id); err != nil {
			return nil, fmt.Errorf("store: update vehicle spare: %w", err)
		}
		if _, err := tx.record(ctx, a, "spare."+step, "vehicle_spare", id, details); err != nil {
			return nil, err
		}
		return loadSpare(ctx, tx, id)
	})
	if refused != nil && keyward.ErrorCode(refused) == keyward.ECONFLICT {
		return nil, s.db.recordRefusal(ctx, a, "spare."+step, "vehicle_spare", id, map[string]any{"state": refusedState}, refused)
	}
	return sp, err
}

// RecordSpareProof records the proof checked and who checked it.
func (s *Spares) RecordSpareProof(ctx context.Context, a keyward.Actor, id string, in keyward.SpareProofInput) (*keyward.VehicleSpare, error) {
	if keyward.Authorize(a, keyward.ActSpareRequest) == nil {
		if err := in.Validate(); err != nil {
			return nil, err
		}
	}
	return s.step(ctx, a, id, keyward.SpareStepProof, keyward.ActSpareRequest, func(tx *Tx, sp *keyward.VehicleSpare, details map[string]any) (bool, error) {
		if _, err := tx.Exec(ctx, `UPDATE vehicle_spares SET relationship = ?, requester_name = ?, id_type = ?, id_last4 = ?, registration_ref = ?, agent_letter_ref = ?,
			proof_by = ?, proof_by_name = ?, proof_at = ? WHERE id = ?`,
			in.Relationship, in.RequesterName, in.IDType, in.IDLast4, in.RegistrationRef, in.AgentLetterRef,
			a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), sp.ID); err != nil {
			return false, fmt.Errorf("store: record spare proof: %w", err)
		}
		for k, v := range map[string]string{"relationship": in.Relationship, "requester_name": in.RequesterName, "id_type": in.IDType,
			"id_last4": in.IDLast4, "registration_ref": in.RegistrationRef, "agent_letter_ref": in.AgentLetterRef} {
			if v != "" {
				details[k] = v
			}
		}
		return false, nil
	})
}

// ProduceSpare cuts the spare: a new key of the vehicle, in storage, listed
// on the vehicle's keying schedule.
func (s *Spares) ProduceSpare(ctx context.Context, a keyward.Actor, id string, in keyward.SpareProduceInput) (*keyward.VehicleSpare, error) {
	if keyward.Authorize(a, keyward.ActSpareWork) == nil {
		if err := in.Validate(); err != nil {
			return nil, err
		}
	}
	return s.step(ctx, a, id, keyward.SpareStepProduce, keyward.ActSpareWork, func(tx *Tx, sp *keyward.VehicleSpare, details map[string]any) (bool, error) {
		v, err := loadVehicle(ctx, tx, sp.OpeningID)
		if err != nil {
			return false, err
		}
		symbol := in.Symbol
		if symbol == "" {
			switch len(v.Symbols) {
			case 1:
				symbol = v.Symbols[0]
			case 0:
				return false, keyward.Invalid("symbol", "is required: the vehicle has no key symbol on its schedule yet")
			default:
				return false, keyward.Invalid("symbol", "is required: the vehicle's keys are stamped "+strings.Join(v.Symbols, ", ")+"; name one")
			}
		}
		kin := keyward.KeyInput{KeywayID: in.KeywayID, Symbol: symbol}
		if err := kin.Validate(); err != nil {
			return false, err
		}
		k, err := tx.createKey(ctx, a, kin, keyward.StatusInStorage, "", nil,
			keyOrigin{kind: keyward.OriginRegistered, note: "spare for vehicle " + v.Name})
		if err != nil {
			return false, err
		}
		if err := tx.scheduleKey(ctx, a, k, []string{sp.OpeningID}); err != nil {
			return false, err
		}
		if _, err := tx.Exec(ctx, `UPDATE vehicle_spares SET key_id = ?, produced_by = ?, produced_by_name = ?, produced_at = ? WHERE id = ?`,
			k.ID, a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), sp.ID); err != nil {
			return false, fmt.Errorf("store: record spare production: %w", err)
		}
		details["key_id"], details["stamp"] = k.ID, k.Stamp
		return false, nil
	})
}

// EnrollSpare records the transponder enrollment: who, with which tool, on which day.
func (s *Spares) EnrollSpare(ctx context.Context, a keyward.Actor, id string, in keyward.SpareEnrollInput) (*keyward.VehicleSpare, error) {
	loc, err := s.db.orgLocation(ctx)
	if err != nil {
		return nil, err
	}
	if keyward.Authorize(a, keyward.ActSpareWork) == nil {
		if err := in.Validate(s.db.Now().In(loc).Format("2006-01-02")); err != nil {
			return nil, err
		}
	}
	return s.step(ctx, a, id, keyward.SpareStepEnroll, keyward.ActSpareWork, func(tx *Tx, sp *keyward.VehicleSpare, details map[string]any) (bool, error) {
		if _, err := tx.Exec(ctx, `UPDATE vehicle_spares SET enroll_tool = ?, enroll_date = ?, enroll_by = ?, enroll_by_name = ?, enroll_at = ? WHERE id = ?`,
			in.Tool, in.Date, a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), sp.ID); err != nil {
			return false, fmt.Errorf("store: record spare enrollment: %w", err)
		}
		details["tool"], details["date"] = in.Tool, in.Date
		return false, nil
	})
}

// TestSpare records a test of the spare on the vehicle; the last test counts.
func (s *Spares) TestSpare(ctx context.Context, a keyward.Actor, id string, in keyward.SpareTestInput) (*keyward.VehicleSpare, error) {
	if keyward.Authorize(a, keyward.ActSpareWork) == nil {
		if err := in.Validate(); err != nil {
			return nil, err
		}
	}
	return s.step(ctx, a, id, keyward.SpareStepTest, keyward.ActSpareWork, func(tx *Tx, sp *keyward.VehicleSpare, details map[string]any) (bool, error) {
		b := func(v bool) int {
			if v {
				return 1
			}
			return 0
		}
		if _, err := tx.Exec(ctx, `UPDATE vehicle_spares SET test_starts = ?, test_opens = ?, test_note = ?, test_by = ?, test_by_name = ?, test_at = ? WHERE id = ?`,
			b(*in.StartsVehicle), b(*in.OpensDoor), in.Note, a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), sp.ID); err != nil {
			return false, fmt.Errorf("store: record spare test: %w", err)
		}
		details["starts_vehicle"], details["opens_door"], details["passed"] = *in.StartsVehicle, *in.OpensDoor, in.Passed()
		if in.Note != "" {
			details["note"] = in.Note
		}
		return in.Passed(), nil
	})
}

// HandOverSpare issues the spare's key to the holder, once a passed test is recorded.
func (s *Spares) HandOverSpare(ctx context.Context, a keyward.Actor, id string, in keyward.SpareNoteInput) (*keyward.VehicleSpare, error) {
	if keyward.Authorize(a, keyward.ActSpareHandOver) == nil {
		if err := in.Validate(); err != nil {
			return nil, err
		}
	}
	return s.step(ctx, a, id, keyward.SpareStepHandOver, keyward.ActSpareHandOver, func(tx *Tx, sp *keyward.VehicleSpare, details map[string]any) (bool, error) {
		note := "vehicle spare handed over"
		if in.Note != "" {
			note = in.Note
			details["note"] = in.Note
		}
		if _, err := tx.move(ctx, a, sp.KeyID, keyward.MoveRequest{Action: keyward.CustodyIssue, HolderID: sp.HolderID, Note: note}); err != nil {
			return false, err
		}
		if _, err := tx.Exec(ctx, `UPDATE vehicle_spares SET handed_by = ?, handed_by_name = ?, handed_at = ? WHERE id = ?`,
			a.UserID, tx.actorDisplayName(ctx, a), ts(tx.now), sp.ID); err != nil {
			return false, fmt.Errorf("store: record spare hand-over: %w", err)
		}
		return true, nil
	})
}

// Lost vehicle keys.

// lostVehicleSQL selects the lost keys whose symbol is on a vehicle's
// schedule, with the last re-enrollment answer.
const lostVehicleSQL = `SELECT k.id, k.symbol, k.copy_number, o.id, o.name, COALESCE(r.answer, ''), COALESCE(r.note, ''), COALESCE(r.by_user, ''),
	COALESCE(r.by_name, ''), r.at
	FROM keys k JOIN opening_symbols os ON os.symbol = k.symbol JOIN openings o ON o.id = os.opening_id AND o.kind = 'vehicle'
	LEFT JOIN vehicle_reenrollments r ON r.key_id = k.id
	WHERE k.status = '` + keyward.StatusLost + `'`

func scanLostVehicle(row interface{ Scan(...any) error }) (*keyward.LostVehicleKey, error) {
	var l keyward.LostVehicleKey
	var symbol string
	var n int
	var at sql.NullString
	if err := row.Scan(&l.KeyID, &symbol, &n, &l.OpeningID, &l.VehicleName, &l.Answer, &l.Note, &l.AnsweredBy, &l.AnsweredName, &at); err != nil {
		return nil, err
	}
	l.Stamp, l.AnsweredAt, l.Open = stamp(symbol, n), tsPtr(at), keyward.ReenrollOpen(l.Answer)
	return &l, nil
}

func loadLostVehicle(ctx context.Context, q rowQuerier, keyID string) (*keyward.LostVehicleKey, error) {
	l, err := scanLostVehicle(q.QueryRow(ctx, lostVehicleSQL+` AND k.id = ? ORDER BY o.name, o.id LIMIT 1`, keyID))
	if err != nil {
		return nil, notFound(err, "lost vehicle key", keyID)
	}
	return l, nil
}

// LostVehicleKey is the re-enrollment question of a lost vehicle key.
func (s *Spares) LostVehicleKey(ctx context.Context, a keyward.Actor, keyID string) (*keyward.LostVehicleKey, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRead, "key", keyID); err != nil {
		return nil, err
	}
	return loadLostVehicle(ctx, poolQuerier{s.db}, keyID)
}

// LostVehicleKeys lists the lost vehicle keys whose question is open.
func (s *Spares) LostVehicleKeys(ctx context.Context, a keyward.Actor) ([]keyward.LostVehicleKey, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareRead, "key", ""); err != nil {
		return nil, err
	}
	out := []keyward.LostVehicleKey{}
	seen := map[string]bool{}
	err := scanEach(ctx, poolQuerier{s.db}, lostVehicleSQL+` AND COALESCE(r.answer, '') <> '`+keyward.ReenrolledYes+`' ORDER BY k.symbol, k.copy_number, o.id LIMIT 200`, nil,
		func(rows *sql.Rows) error {
			l, err := scanLostVehicle(rows)
			if err != nil {
				return err
			}
			if !seen[l.KeyID] {
				seen[l.KeyID] = true
				out = append(out, *l)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store: lost vehicle keys: %w", err)
	}
	return out, nil
}

// AnswerReenrollment records whether the vehicle's remaining keys were
// re-enrolled after keyID was lost; the last answer counts.
func (s *Spares) AnswerReenrollment(ctx context.Context, a keyward.Actor, keyID string, in keyward.ReenrollInput) (*keyward.LostVehicleKey, error) {
	if err := s.db.recordDenial(ctx, a, keyward.ActSpareReenroll, "key", keyID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return inTx(ctx, s.db, func(tx *Tx) (*keyward.LostVehicleKey, error) {
		if err := tx.lockRow(ctx, "keys", "key", keyID); err != nil {
			return nil, err
		}
		l, err := loadLostVehicle(ctx, tx, keyID)
		if err != nil {
			return nil, err
		}
		name := tx.actorDisplayName(ctx, a)
		if _, err := tx.Exec(ctx, `INSERT INTO vehicle_reenrollments (key_id, opening_id, answer, note, by_user, by_name, at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key_id) DO UPDATE SET opening_id = excluded.opening_id, answer = excluded.answer, note = excluded.note,
			by_user = excluded.by_user, by_name = excluded.by_name, at = excluded.at`,
			keyID, l.OpeningID, in.Answer, in.Note, a.UserID, name, ts(tx.now)); err != nil {
			return nil, fmt.Errorf("store: record re-enrollment: %w", err)
		}
		details := map[string]any{"opening_id": l.OpeningID, "answer": in.Answer, "stamp": l.Stamp}
		if in.Note != "" {
			details["note"] = in.Note
		}
		if _, err := tx.record(ctx, a, "vehicle.reenroll", "key", keyID, details); err != nil {
			return nil, err
		}
		return loadLostVehicle(ctx, tx, keyID)
	})
}
