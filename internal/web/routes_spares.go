package web

import (
	"context"
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// spareRoutes are vehicle spares: a vehicle opening's VIN, spare requests
// through proof, production, transponder enrollment and test to hand-over,
// and the re-enrollment question of a lost vehicle key. The service checks
// each step's order (keyward.CheckSpareStep): a route open to a role may
// still answer 409 naming the missing step.
func (s *Server) spareRoutes() []route {
	stepErrs := []int{400, 401, 403, 404, 409}
	return []route{
		api("PUT /api/v1/openings/{id}/vin", keyward.ActInventoryEdit, s.setVehicleVIN).describe(opDoc{
			id: "setVehicleVIN", tag: "vehicle-spares", summary: "Record a vehicle's VIN",
			desc: "On an opening of kind `vehicle` (404 for another kind). The VIN is upper-cased, then must be 17 characters of A-Z and 0-9 without I, O or Q (else a 400 naming `vin`); a well-formed VIN whose North-American check digit does not match is accepted with a `warnings` entry naming `vin`.",
			in:   keyward.VehicleVINInput{},
			out:  []reply{{200, "The vehicle.", keyward.Vehicle{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("GET /api/v1/vehicles", keyward.ActSpareRead, s.listVehicles).describe(opDoc{
			id: "listVehicles", tag: "vehicle-spares", summary: "List vehicles",
			desc: "The openings of kind `vehicle` that are not retired, with their VINs and key symbols.",
			out:  []reply{{200, "The vehicles.", itemList[keyward.Vehicle]{}, ""}},
			errs: []int{401, 403},
		}),
		api("POST /api/v1/vehicle-spares", keyward.ActSpareRequest, s.createSpare).describe(opDoc{
			id: "createVehicleSpare", tag: "vehicle-spares", summary: "Ask for a vehicle spare",
			desc: "For a vehicle (`opening_id`) and the holder who will receive it (`holder_id`). A vehicle without a VIN needs `vin` (checked as on `PUT /api/v1/openings/{id}/vin`, recorded in the same transaction). The spare then waits for proof.",
			in:   keyward.SpareRequestInput{},
			out:  []reply{{201, "Created.", keyward.VehicleSpare{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/vehicle-spares", keyward.ActSpareRead, s.listSpares).describe(opDoc{
			id: "listVehicleSpares", tag: "vehicle-spares", summary: "List vehicle spares",
			desc:   "Newest first, the latest 200. `open=yes`: only those not handed over.",
			params: []param{{name: "open", in: "query", desc: "`yes` for the spares not handed over.", schema: `{"type":"string","enum":["yes","no"]}`}},
			out:    []reply{{200, "The spares.", itemList[keyward.VehicleSpare]{}, ""}},
			errs:   []int{400, 401, 403},
		}),
		api("GET /api/v1/vehicle-spares/{id}", keyward.ActSpareRead, get(func(ctx context.Context, a keyward.Actor, id string) (*keyward.VehicleSpare, error) {
			return s.spares.Spare(ctx, a, id)
		})).describe(opDoc{
			id: "getVehicleSpare", tag: "vehicle-spares", summary: "Get a vehicle spare",
			desc: "Its proof (who checked it), key, enrollment, last test, hand-over, and `next_step`.",
			out:  []reply{{200, "The spare.", keyward.VehicleSpare{}, ""}},
			errs: []int{401, 403, 404},
		}),
		api("POST /api/v1/vehicle-spares/{id}/proof", keyward.ActSpareRequest, spareStep(s, keyward.VehicleSpares.RecordSpareProof)).describe(opDoc{
			id: "recordVehicleSpareProof", tag: "vehicle-spares", summary: "Record the proof checked",
			desc: "An `advisor`, `manager`, `admin` or `owner`. `relationship` `owner`: the registered owner's photo ID (`id_type`, `id_last4`) and the registration document (`registration_ref`); `agent`: the owner's letter (`agent_letter_ref`) and the agent's photo ID. A missing item is a 400 naming it. Who checked it is recorded. 409 once the spare is cut.",
			in:   keyward.SpareProofInput{},
			out:  []reply{{200, "The spare.", keyward.VehicleSpare{}, ""}},
			errs: stepErrs,
		}),
		api("POST /api/v1/vehicle-spares/{id}/produce", keyward.ActSpareWork, spareStep(s, keyward.VehicleSpares.ProduceSpare)).describe(opDoc{
			id: "produceVehicleSpare", tag: "vehicle-spares", summary: "Record the spare cut",
			desc: "A `technician`, `manager`, `admin` or `owner`. Makes the new key of the vehicle, in storage, on `keyway_id`, stamped with `symbol` (by default the vehicle's one key symbol). 409 naming `missing_step` before the proof.",
			in:   keyward.SpareProduceInput{},
			out:  []reply{{200, "The spare.", keyward.VehicleSpare{}, ""}},
			errs: stepErrs,
		}),
		api("POST /api/v1/vehicle-spares/{id}/enroll", keyward.ActSpareWork, spareStep(s, keyward.VehicleSpares.EnrollSpare)).describe(opDoc{
			id: "enrollVehicleSpare", tag: "vehicle-spares", summary: "Record the transponder enrollment",
			desc: "A `technician`, `manager`, `admin` or `owner`: the `tool` and the `date` (YYYY-MM-DD, today when left out, never after today); who is the caller. 409 naming `missing_step` before the spare is cut.",
			in:   keyward.SpareEnrollInput{},
			out:  []reply{{200, "The spare.", keyward.VehicleSpare{}, ""}},
			errs: stepErrs,
		}),
		api("POST /api/v1/vehicle-spares/{id}/test", keyward.ActSpareWork, spareStep(s, keyward.VehicleSpares.TestSpare)).describe(opDoc{
			id: "testVehicleSpare", tag: "vehicle-spares", summary: "Record a test of the spare",
			desc: "A `technician`, `manager`, `admin` or `owner`. `starts_vehicle` and `opens_door` are both required (true or false); the test passes when both are true. A failed test leaves the spare to be enrolled or tested again. 409 naming `missing_step` before the enrollment.",
			in:   keyward.SpareTestInput{},
			out:  []reply{{200, "The spare.", keyward.VehicleSpare{}, ""}},
			errs: stepErrs,
		}),
		api("POST /api/v1/vehicle-spares/{id}/hand-over", keyward.ActSpareHandOver, spareStep(s, keyward.VehicleSpares.HandOverSpare)).describe(opDoc{
			id: "handOverVehicleSpare", tag: "vehicle-spares", summary: "Hand the spare over",
			desc:         "Any staff role. Issues the spare's key to the spare's holder. Only once a passed test is recorded: otherwise 409, its `missing_step` naming the first step missing (`proof`, `produce`, `enroll` or `test`), and nothing changes. The refusal is an audit record.",
			in:           keyward.SpareNoteInput{},
			optionalBody: true,
			out:          []reply{{200, "The spare, handed over.", keyward.VehicleSpare{}, ""}},
			errs:         stepErrs,
		}),
		api("GET /api/v1/lost-vehicle-keys", keyward.ActSpareRead, s.listLostVehicleKeys).describe(opDoc{
			id: "listLostVehicleKeys", tag: "vehicle-spares", summary: "Lost vehicle keys not yet re-enrolled",
			desc: "Every lost key of a vehicle whose question (were the remaining keys re-enrolled so the lost one no longer starts it?) is not answered `yes`.",
			out:  []reply{{200, "The open questions.", itemList[keyward.LostVehicleKey]{}, ""}},
			errs: []int{401, 403},
		}),
		api("POST /api/v1/keys/{id}/reenrollment", keyward.ActSpareReenroll, s.answerReenrollment).describe(opDoc{
			id: "answerReenrollment", tag: "vehicle-spares", summary: "Answer whether a vehicle's keys were re-enrolled",
			desc: "For a lost key of a vehicle (404 otherwise): `answer` `yes` (the remaining keys were re-enrolled: the lost key no longer starts the vehicle) or `no`. A `technician`, `manager`, `admin` or `owner`; who and when are recorded. The last answer counts.",
			in:   keyward.ReenrollInput{},
			out:  []reply{{200, "The question with its answer.", keyward.LostVehicleKey{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		page("GET /vehicle-spares", keyward.ActSpareRead, s.sparesPage),
		page("POST /vehicle-spares", keyward.ActSpareRequest, s.spareCreate),
		page("GET /vehicle-spares/{id}", keyward.ActSpareRead, s.sparePage),
		page("POST /vehicle-spares/{id}/proof", keyward.ActSpareRequest, s.sparePost(keyward.SpareStepProof)),
		page("POST /vehicle-spares/{id}/produce", keyward.ActSpareWork, s.sparePost(keyward.SpareStepProduce)),
		page("POST /vehicle-spares/{id}/enroll", keyward.ActSpareWork, s.sparePost(keyward.SpareStepEnroll)),
		page("POST /vehicle-spares/{id}/test", keyward.ActSpareWork, s.sparePost(keyward.SpareStepTest)),
		page("POST /vehicle-spares/{id}/hand-over", keyward.ActSpareHandOver, s.sparePost(keyward.SpareStepHandOver)),
		page("POST /vehicle-spares/{id}/vin", keyward.ActInventoryEdit, s.spareVIN),
		page("POST /keys/{id}/reenrollment", keyward.ActSpareReenroll, s.reenrollPost),
	}
}

// spareStep decodes a step's body and answers 200 with the spare.
func spareStep[In any](s *Server, fn func(sp keyward.VehicleSpares, ctx context.Context, a keyward.Actor, id string, in In) (*keyward.VehicleSpare, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		var in In
		if r.ContentLength != 0 {
			if err := decode(r, &in); err != nil {
				return err
			}
		}
		out, err := fn(s.spares, r.Context(), a, r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) setVehicleVIN(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.VehicleVINInput
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := s.spares.SetVehicleVIN(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) listVehicles(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	vs, err := s.spares.Vehicles(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(vs))
}

func (s *Server) createSpare(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.spares.CreateSpare)(w, r, a)
}

func (s *Server) listSpares(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	open := false
	switch r.URL.Query().Get("open") {
	case "yes":
		open = true
	case "", "no":
	default:
		return keyward.Invalid("open", "must be yes or no")
	}
	list, err := s.spares.Spares(r.Context(), a, open)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(list))
}

func (s *Server) listLostVehicleKeys(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	list, err := s.spares.LostVehicleKeys(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, itemsOf(list))
}

func (s *Server) answerReenrollment(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.ReenrollInput
	if err := decode(r, &in); err != nil {
		return err
	}
	l, err := s.spares.AnswerReenrollment(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}
