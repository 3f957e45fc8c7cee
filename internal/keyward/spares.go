package keyward

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Vehicle spares: a spare key for a vehicle opening, made only for someone
// who proved they may have one (the registered owner with ID and the
// registration document, or an authorized agent with the owner's letter and
// their own ID), cut as a key of the vehicle, its transponder enrolled in
// the immobilizer, and tested: it is handed over only once a test records
// that it starts the vehicle and opens the door. A vehicle key reported lost
// asks whether the remaining keys were re-enrolled, so the lost one no
// longer starts the vehicle. The step rules are in spares_rules.go.

// Vehicle spare states, in workflow order.
const (
	SpareRequested  = "requested"   // waiting for proof of ownership or an agent's letter
	SpareProven     = "proven"      // proof checked: waiting for the key to be cut
	SpareProduced   = "produced"    // cut: waiting for the transponder to be enrolled
	SpareEnrolled   = "enrolled"    // enrolled: waiting for the test
	SpareTestFailed = "test_failed" // the last test failed: enroll again, or test again
	SpareTested     = "tested"      // a passed test: ready to hand over
	SpareHandedOver = "handed_over" // issued to the holder
)

// SpareStates lists the states in workflow order.
var SpareStates = []string{SpareRequested, SpareProven, SpareProduced, SpareEnrolled, SpareTestFailed, SpareTested, SpareHandedOver}

// Steps taken on a vehicle spare.
const (
	SpareStepRequest  = "request"
	SpareStepProof    = "proof"
	SpareStepProduce  = "produce"
	SpareStepEnroll   = "enroll"
	SpareStepTest     = "test"
	SpareStepHandOver = "hand_over"
)

// SpareRelationships are who may ask for a vehicle spare: the registered
// owner or an authorized agent (a fleet's spare goes through its owner).
var SpareRelationships = []string{RelOwner, RelAgent}

// Vehicle is a vehicle opening with its VIN.
type Vehicle struct {
	OpeningID string `json:"opening_id"`
	Name      string `json:"name"`
	SiteName  string `json:"site_name"`
	// VIN is "" until recorded.
	VIN string `json:"vin"`
	// Symbols are the key symbols on the vehicle's keying schedule.
	Symbols []string `json:"symbols"`
	// Warnings: the VIN's North-American check digit does not match.
	Warnings []FieldError `json:"warnings,omitempty"`
}

// VehicleVINInput records a vehicle's VIN.
type VehicleVINInput struct {
	VIN string `json:"vin"`
}

// Validate upper-cases and checks the VIN; a bad check digit is a warning.
func (in *VehicleVINInput) Validate() ([]FieldError, error) {
	var v Validator
	in.VIN = NormalizeVIN(in.VIN)
	var warnings []FieldError
	if in.VIN == "" {
		v.Check(false, "vin", "is required")
	} else if w, ok := CheckVIN(&v, "vin", in.VIN); ok && w != "" {
		warnings = append(warnings, FieldError{Field: "vin", Rule: w})
	}
	return warnings, v.Err()
}

// SpareRequestInput asks for a spare of a vehicle for a holder. VIN, when
// given, records the vehicle's VIN in the same transaction (a vehicle
// without a VIN needs one).
type SpareRequestInput struct {
	OpeningID string `json:"opening_id"`
	HolderID  string `json:"holder_id"`
	VIN       string `json:"vin,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Validate checks the shape; the VIN as VehicleVINInput does.
func (in *SpareRequestInput) Validate() ([]FieldError, error) {
	var v Validator
	in.OpeningID = strings.TrimSpace(in.OpeningID)
	in.HolderID = strings.TrimSpace(in.HolderID)
	in.Note = strings.TrimSpace(in.Note)
	in.VIN = NormalizeVIN(in.VIN)
	v.Check(in.OpeningID != "", "opening_id", "is required: the vehicle the spare is for")
	v.Check(in.HolderID != "", "holder_id", "is required: who receives the spare")
	checkText(&v, "note", in.Note, MaxNote, false)
	var warnings []FieldError
	if in.VIN != "" {
		if w, ok := CheckVIN(&v, "vin", in.VIN); ok && w != "" {
			warnings = append(warnings, FieldError{Field: "vin", Rule: w})
		}
	}
	return warnings, v.Err()
}

// SpareProofInput is what the desk checked: the registered owner's photo
// ID and the registration document, or the agent's letter from the owner
// and the agent's photo ID. Never a document's image or full number: the
// ID's type and last four characters, the document's reference.
type SpareProofInput struct {
	Relationship    string `json:"relationship"`
	RequesterName   string `json:"requester_name,omitempty"`
	IDType          string `json:"id_type"`
	IDLast4         string `json:"id_last4"`
	RegistrationRef string `json:"registration_ref,omitempty"`
	AgentLetterRef  string `json:"agent_letter_ref,omitempty"`
}

// Validate checks that the proof is complete for the relationship.
func (in *SpareProofInput) Validate() error {
	var v Validator
	in.Relationship = strings.ToLower(strings.TrimSpace(in.Relationship))
	in.RequesterName = strings.TrimSpace(in.RequesterName)
	in.IDType = NormalizeIDType(in.IDType)
	in.IDLast4 = strings.ToUpper(strings.TrimSpace(in.IDLast4))
	in.RegistrationRef = strings.TrimSpace(in.RegistrationRef)
	in.AgentLetterRef = strings.TrimSpace(in.AgentLetterRef)
	v.Check(slices.Contains(SpareRelationships, in.Relationship), "relationship", "must be owner (the registered owner) or agent (an authorized agent)")
	checkText(&v, "requester_name", in.RequesterName, MaxName, false)
	v.Check(slices.Contains(IDTypes, in.IDType), "id_type", "must be one of "+strings.Join(IDTypes, ", ")+": the photo ID checked")
	v.Check(validLast4(in.IDLast4), "id_last4", "must be the last 4 letters or digits of the ID")
	checkText(&v, "registration_ref", in.RegistrationRef, MaxName, in.Relationship == RelOwner)
	checkText(&v, "agent_letter_ref", in.AgentLetterRef, MaxName, in.Relationship == RelAgent)
	return v.Err()
}

// SpareProduceInput cuts the spare: a new key of the vehicle's key type,
// stamped with Symbol (by default the vehicle's one scheduled symbol).
type SpareProduceInput struct {
	KeywayID string `json:"keyway_id"`
	Symbol   string `json:"symbol,omitempty"`
}

// Validate checks the shape.
func (in *SpareProduceInput) Validate() error {
	var v Validator
	in.KeywayID = strings.TrimSpace(in.KeywayID)
	in.Symbol = strings.ToUpper(strings.TrimSpace(in.Symbol))
	v.Check(in.KeywayID != "", "keyway_id", "is required: the key type the spare is cut on")
	checkText(&v, "symbol", in.Symbol, MaxName, false)
	return v.Err()
}

// SpareEnrollInput records the transponder enrollment: with which tool and
// on which day (today when left out). Who is the person recording it.
type SpareEnrollInput struct {
	Tool string `json:"tool"`
	// Date is YYYY-MM-DD.
	Date string `json:"date,omitempty"`
}

// Validate checks the shape; today is the organization's date now, and
// an enrollment cannot be dated after it. It fills Date when left out.
func (in *SpareEnrollInput) Validate(today string) error {
	var v Validator
	in.Tool = strings.TrimSpace(in.Tool)
	in.Date = strings.TrimSpace(in.Date)
	checkText(&v, "tool", in.Tool, MaxName, true)
	if in.Date == "" {
		in.Date = today
	}
	d, err := time.Parse(time.DateOnly, in.Date)
	switch {
	case err != nil:
		v.Check(false, "date", "must be a date written YYYY-MM-DD")
	case d.Format(time.DateOnly) > today:
		v.Check(false, "date", "must not be after today")
	}
	return v.Err()
}

// SpareTestInput records a test of the spare on the vehicle: both answers
// are required; it passes when both are yes.
type SpareTestInput struct {
	StartsVehicle *bool  `json:"starts_vehicle"`
	OpensDoor     *bool  `json:"opens_door"`
	Note          string `json:"note,omitempty"`
}

// Validate requires both answers.
func (in *SpareTestInput) Validate() error {
	var v Validator
	in.Note = strings.TrimSpace(in.Note)
	v.Check(in.StartsVehicle != nil, "starts_vehicle", "is required: true if the spare starts the vehicle, else false")
	v.Check(in.OpensDoor != nil, "opens_door", "is required: true if the spare opens the door, else false")
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// Passed reports whether the test passed: the spare starts the vehicle and opens the door.
func (in *SpareTestInput) Passed() bool {
	return in.StartsVehicle != nil && in.OpensDoor != nil && *in.StartsVehicle && *in.OpensDoor
}

// SpareNoteInput is an optional note (the hand-over's).
type SpareNoteInput struct {
	Note string `json:"note,omitempty"`
}

// Validate bounds the note.
func (in *SpareNoteInput) Validate() error {
	var v Validator
	in.Note = strings.TrimSpace(in.Note)
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// SpareProof is the proof recorded, with who checked it.
type SpareProof struct {
	Relationship    string    `json:"relationship"`
	RequesterName   string    `json:"requester_name,omitempty"`
	IDType          string    `json:"id_type"`
	IDLast4         string    `json:"id_last4"`
	RegistrationRef string    `json:"registration_ref,omitempty"`
	AgentLetterRef  string    `json:"agent_letter_ref,omitempty"`
	CheckedBy       string    `json:"checked_by"`
	CheckedByName   string    `json:"checked_by_name"`
	CheckedAt       time.Time `json:"checked_at"`
}

// SpareEnrollment is the transponder enrollment recorded.
type SpareEnrollment struct {
	Tool   string    `json:"tool"`
	Date   string    `json:"date"`
	By     string    `json:"by"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
}

// SpareTest is the last test recorded.
type SpareTest struct {
	StartsVehicle bool      `json:"starts_vehicle"`
	OpensDoor     bool      `json:"opens_door"`
	Passed        bool      `json:"passed"`
	Note          string    `json:"note,omitempty"`
	By            string    `json:"by"`
	ByName        string    `json:"by_name"`
	At            time.Time `json:"at"`
}

// VehicleSpare is a spare request and how far it got.
type VehicleSpare struct {
	ID          string `json:"id"`
	OpeningID   string `json:"opening_id"`
	VehicleName string `json:"vehicle_name"`
	SiteName    string `json:"site_name"`
	VIN         string `json:"vin"`
	HolderID    string `json:"holder_id"`
	HolderName  string `json:"holder_name"`
	Note        string `json:"note,omitempty"`
	State       string `json:"state"`
	// NextStep is the step the spare waits for ("" once handed over).
	NextStep string `json:"next_step"`
	// NextWords says the next step in words.
	NextWords      string           `json:"next_words"`
	Proof          *SpareProof      `json:"proof,omitempty"`
	KeyID          string           `json:"key_id,omitempty"`
	KeyStamp       string           `json:"key_stamp,omitempty"`
	ProducedBy     string           `json:"produced_by,omitempty"`
	ProducedName   string           `json:"produced_by_name,omitempty"`
	ProducedAt     *time.Time       `json:"produced_at,omitempty"`
	Enrollment     *SpareEnrollment `json:"enrollment,omitempty"`
	Test           *SpareTest       `json:"test,omitempty"`
	HandedOverBy   string           `json:"handed_over_by,omitempty"`
	HandedOverName string           `json:"handed_over_by_name,omitempty"`
	HandedOverAt   *time.Time       `json:"handed_over_at,omitempty"`
	CreatedBy      string           `json:"created_by"`
	CreatedByName  string           `json:"created_by_name"`
	CreatedAt      time.Time        `json:"created_at"`
	// Warnings: the VIN's North-American check digit does not match.
	Warnings []FieldError `json:"warnings,omitempty"`
}

// Re-enrollment answers to the question a lost vehicle key asks.
const (
	ReenrolledYes = "yes" // the remaining keys were re-enrolled: the lost one no longer starts the vehicle
	ReenrolledNo  = "no"  // not yet: the lost key may still start the vehicle
)

// ReenrollAnswers lists the answers.
var ReenrollAnswers = []string{ReenrolledYes, ReenrolledNo}

// ReenrollInput answers whether the remaining keys were re-enrolled.
type ReenrollInput struct {
	Answer string `json:"answer"`
	Note   string `json:"note,omitempty"`
}

// Validate checks the answer.
func (in *ReenrollInput) Validate() error {
	var v Validator
	in.Answer = strings.ToLower(strings.TrimSpace(in.Answer))
	in.Note = strings.TrimSpace(in.Note)
	v.Check(slices.Contains(ReenrollAnswers, in.Answer), "answer", "must be yes (the remaining keys were re-enrolled) or no")
	checkText(&v, "note", in.Note, MaxNote, false)
	return v.Err()
}

// LostVehicleKey is a lost key of a vehicle and the answer to whether the
// remaining keys were re-enrolled. Open until answered yes.
type LostVehicleKey struct {
	KeyID        string     `json:"key_id"`
	Stamp        string     `json:"stamp"`
	OpeningID    string     `json:"opening_id"`
	VehicleName  string     `json:"vehicle_name"`
	Answer       string     `json:"answer,omitempty"`
	Note         string     `json:"note,omitempty"`
	AnsweredBy   string     `json:"answered_by,omitempty"`
	AnsweredName string     `json:"answered_by_name,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	// Open: not answered yes yet.
	Open bool `json:"open"`
}

// VehicleSpares is the vehicle spare service.
type VehicleSpares interface {
	// Vehicles lists the vehicle openings (not retired), with their VINs.
	Vehicles(ctx context.Context, a Actor) ([]Vehicle, error)
	Vehicle(ctx context.Context, a Actor, openingID string) (*Vehicle, error)
	// SetVehicleVIN records a vehicle opening's VIN (400 naming vin when
	// malformed; a bad check digit is a warning).
	SetVehicleVIN(ctx context.Context, a Actor, openingID string, in VehicleVINInput) (*Vehicle, error)

	CreateSpare(ctx context.Context, a Actor, in SpareRequestInput) (*VehicleSpare, error)
	Spare(ctx context.Context, a Actor, id string) (*VehicleSpare, error)
	// Spares lists the spares newest first; open only those not handed over.
	Spares(ctx context.Context, a Actor, open bool) ([]VehicleSpare, error)
	RecordSpareProof(ctx context.Context, a Actor, id string, in SpareProofInput) (*VehicleSpare, error)
	ProduceSpare(ctx context.Context, a Actor, id string, in SpareProduceInput) (*VehicleSpare, error)
	EnrollSpare(ctx context.Context, a Actor, id string, in SpareEnrollInput) (*VehicleSpare, error)
	TestSpare(ctx context.Context, a Actor, id string, in SpareTestInput) (*VehicleSpare, error)
	// HandOverSpare issues the spare's key to the holder: 409 naming the
	// missing step unless a passed test is recorded.
	HandOverSpare(ctx context.Context, a Actor, id string, in SpareNoteInput) (*VehicleSpare, error)

	// LostVehicleKey is the re-enrollment question of a lost vehicle key
	// (ENOTFOUND when the key is not a lost key of a vehicle).
	LostVehicleKey(ctx context.Context, a Actor, keyID string) (*LostVehicleKey, error)
	// LostVehicleKeys lists the lost vehicle keys not yet answered yes.
	LostVehicleKeys(ctx context.Context, a Actor) ([]LostVehicleKey, error)
	AnswerReenrollment(ctx context.Context, a Actor, keyID string, in ReenrollInput) (*LostVehicleKey, error)
}
