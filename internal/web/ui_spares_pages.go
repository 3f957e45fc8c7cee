package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// Pages of vehicle spares: the list with the form that asks for one, and a
// spare's page with what was recorded and the form of its next step.

type sparesData struct {
	Open, Done []keyward.VehicleSpare
	Vehicles   []keyward.Vehicle
	Holders    []keyward.Holder
	refusedForm
}

func (s *Server) sparesPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderSpares(w, r, a, http.StatusOK, "", nil, nil)
}

func (s *Server) renderSpares(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	ctx := r.Context()
	all, err := s.spares.Spares(ctx, a, false)
	if err != nil {
		return err
	}
	d := sparesData{refusedForm: refusedForm{failed, form}}
	for _, sp := range all {
		if sp.State == keyward.SpareHandedOver {
			d.Done = append(d.Done, sp)
		} else {
			d.Open = append(d.Open, sp)
		}
	}
	if keyward.Allowed(a.Role, keyward.ActSpareRequest) {
		if d.Vehicles, err = s.spares.Vehicles(ctx, a); err != nil {
			return err
		}
		hp, err := s.directory.Holders(ctx, a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Holders = hp.Items
	}
	var data any = d
	if ferr != nil {
		data = newFormError(ferr, d)
	}
	return s.render(w, r, a, status, "spares", "Vehicle spares", data)
}

func (s *Server) spareCreate(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "opening_id", "holder_id", "vin", "note")
	sp, err := s.spares.CreateSpare(r.Context(), a, keyward.SpareRequestInput{OpeningID: form["opening_id"], HolderID: form["holder_id"], VIN: form["vin"], Note: form["note"]})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderSpares(w, r, a, st, "create", form, err) })
	}
	msg := "Spare of " + sp.VehicleName + " asked for " + sp.HolderName + ". Next: check proof."
	if len(sp.Warnings) > 0 {
		msg += " Note: the VIN's check digit does not match; check it against the vehicle."
	}
	return redirectFlash(w, r, "/vehicle-spares/"+sp.ID, msg)
}

type spareData struct {
	Spare   *keyward.VehicleSpare
	Keyways []keyward.Keyway
	Vehicle *keyward.Vehicle
	IDTypes []string
	Today   string
	Next    string
	Can     map[string]bool
	refusedForm
}

// spareStepAction is the policy action of each step's form.
var spareStepAction = map[string]keyward.Action{
	keyward.SpareStepProof:    keyward.ActSpareRequest,
	keyward.SpareStepProduce:  keyward.ActSpareWork,
	keyward.SpareStepEnroll:   keyward.ActSpareWork,
	keyward.SpareStepTest:     keyward.ActSpareWork,
	keyward.SpareStepHandOver: keyward.ActSpareHandOver,
}

func (s *Server) sparePage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderSpare(w, r, a, http.StatusOK, "", nil, nil)
}

func (s *Server) renderSpare(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed string, form map[string]string, ferr error) error {
	ctx := r.Context()
	sp, err := s.spares.Spare(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := spareData{Spare: sp, IDTypes: keyward.IDTypes, Next: sp.NextStep, Can: map[string]bool{}, refusedForm: refusedForm{failed, form},
		Today: s.now().In(s.zone(r)).Format("2006-01-02")}
	for step, act := range spareStepAction {
		d.Can[step] = keyward.Allowed(a.Role, act) && keyward.CheckSpareStep(sp.State, step) == nil
	}
	d.Can["vin"] = keyward.Allowed(a.Role, keyward.ActInventoryEdit) && sp.State != keyward.SpareHandedOver
	if d.Can[keyward.SpareStepProduce] {
		kp, err := s.directory.Keyways(ctx, a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Keyways = kp.Items
		if d.Vehicle, err = s.spares.Vehicle(ctx, a, sp.OpeningID); err != nil {
			return err
		}
	}
	var data any = d
	if ferr != nil {
		data = newFormError(ferr, d)
	}
	return s.render(w, r, a, status, "spare", "Spare of "+sp.VehicleName, data)
}

// sparePost takes one step from the spare's page.
func (s *Server) sparePost(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		ctx, id := r.Context(), r.PathValue("id")
		var form map[string]string
		var sp *keyward.VehicleSpare
		var err error
		switch step {
		case keyward.SpareStepProof:
			form = postedValues(r, "relationship", "requester_name", "id_type", "id_last4", "registration_ref", "agent_letter_ref")
			sp, err = s.spares.RecordSpareProof(ctx, a, id, keyward.SpareProofInput{Relationship: form["relationship"], RequesterName: form["requester_name"],
				IDType: form["id_type"], IDLast4: form["id_last4"], RegistrationRef: form["registration_ref"], AgentLetterRef: form["agent_letter_ref"]})
		case keyward.SpareStepProduce:
			form = postedValues(r, "keyway_id", "symbol")
			sp, err = s.spares.ProduceSpare(ctx, a, id, keyward.SpareProduceInput{KeywayID: form["keyway_id"], Symbol: form["symbol"]})
		case keyward.SpareStepEnroll:
			form = postedValues(r, "tool", "date")
			sp, err = s.spares.EnrollSpare(ctx, a, id, keyward.SpareEnrollInput{Tool: form["tool"], Date: form["date"]})
		case keyward.SpareStepTest:
			form = postedValues(r, "starts_vehicle", "opens_door", "note")
			sp, err = s.spares.TestSpare(ctx, a, id, keyward.SpareTestInput{StartsVehicle: yesNo(form["starts_vehicle"]), OpensDoor: yesNo(form["opens_door"]), Note: form["note"]})
		case keyward.SpareStepHandOver:
			form = postedValues(r, "note")
			sp, err = s.spares.HandOverSpare(ctx, a, id, keyward.SpareNoteInput{Note: form["note"]})
		}
		if err != nil {
			return formRefused(err, func(st int) error { return s.renderSpare(w, r, a, st, step, form, err) })
		}
		return redirectFlash(w, r, "/vehicle-spares/"+sp.ID, spareDoneWords(sp, step))
	}
}

// spareDoneWords says what was recorded and what comes next.
func spareDoneWords(sp *keyward.VehicleSpare, step string) string {
	switch step {
	case keyward.SpareStepProof:
		return "Proof recorded. Next: cut the spare key."
	case keyward.SpareStepProduce:
		return "Spare key " + sp.KeyStamp + " cut and put in storage. Next: enroll its transponder."
	case keyward.SpareStepEnroll:
		return "Transponder enrollment recorded. Next: test the spare on the vehicle."
	case keyward.SpareStepTest:
		if sp.Test != nil && sp.Test.Passed {
			return "Test passed: the spare starts the vehicle and opens the door. Next: hand it over."
		}
		return "Test failed: the spare cannot be handed over. Enroll the transponder again, or test again."
	}
	return "Spare key " + sp.KeyStamp + " handed over to " + sp.HolderName + "."
}

// yesNo reads a yes/no radio: nil when neither was chosen.
func yesNo(v string) *bool {
	switch v {
	case "yes":
		t := true
		return &t
	case "no":
		f := false
		return &f
	}
	return nil
}

func (s *Server) spareVIN(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "opening_id", "vin")
	sp, err := s.spares.Spare(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.spares.SetVehicleVIN(r.Context(), a, sp.OpeningID, keyward.VehicleVINInput{VIN: form["vin"]})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderSpare(w, r, a, st, "vin", form, err) })
	}
	msg := "VIN of " + v.Name + " recorded."
	if len(v.Warnings) > 0 {
		msg += " Note: its check digit does not match; check it against the vehicle."
	}
	return redirectFlash(w, r, "/vehicle-spares/"+sp.ID, msg)
}

// reenrollPost answers a lost vehicle key's question from the key's page.
func (s *Server) reenrollPost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	form := postedValues(r, "answer", "note")
	l, err := s.spares.AnswerReenrollment(r.Context(), a, r.PathValue("id"), keyward.ReenrollInput{Answer: form["answer"], Note: form["note"]})
	if err != nil {
		return err
	}
	msg := "Answer recorded: the remaining keys of " + l.VehicleName + " were re-enrolled, so " + l.Stamp + " no longer starts it."
	if l.Open {
		msg = "Answer recorded: not re-enrolled yet. " + l.Stamp + " may still start " + l.VehicleName + "; this stays on the dashboard until the keys are re-enrolled."
	}
	return redirectFlash(w, r, "/keys/"+l.KeyID, msg)
}

// vehicleLost is the re-enrollment question of a lost key, nil when the key
// opens no vehicle or the actor may not read spares.
func (s *Server) vehicleLost(r *http.Request, a keyward.Actor, keyID string) (*keyward.LostVehicleKey, error) {
	if s.spares == nil || !keyward.Allowed(a.Role, keyward.ActSpareRead) {
		return nil, nil
	}
	l, err := s.spares.LostVehicleKey(r.Context(), a, keyID)
	if keyward.ErrorCode(err) == keyward.ENOTFOUND {
		return nil, nil
	}
	return l, err
}
