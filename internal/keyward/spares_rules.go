package keyward

import (
	"slices"
)

// The rules of vehicle spares, each decided here once: which step may
// follow which state, what a spare waits for, and what blocks its
// hand-over. The store asks them under the spare's row lock.

// spareStepFrom lists the states each step can be taken from. Proof may be
// corrected until the key is cut; a failed test sends the spare back to
// enrollment or another test; only a passed test allows the hand-over.
var spareStepFrom = map[string][]string{
	SpareStepProof:    {SpareRequested, SpareProven},
	SpareStepProduce:  {SpareProven},
	SpareStepEnroll:   {SpareProduced, SpareTestFailed},
	SpareStepTest:     {SpareEnrolled, SpareTestFailed},
	SpareStepHandOver: {SpareTested},
}

// spareNext is the step each state waits for.
var spareNext = map[string]string{
	SpareRequested:  SpareStepProof,
	SpareProven:     SpareStepProduce,
	SpareProduced:   SpareStepEnroll,
	SpareEnrolled:   SpareStepTest,
	SpareTestFailed: SpareStepTest,
	SpareTested:     SpareStepHandOver,
}

// spareStepWords tell each step as the next thing to do.
var spareStepWords = map[string]string{
	SpareStepProof:    "check proof: the registered owner's ID and registration document, or the agent's letter and ID",
	SpareStepProduce:  "cut the spare key",
	SpareStepEnroll:   "enroll the spare's transponder in the vehicle",
	SpareStepTest:     "test the spare: it must start the vehicle and open the door",
	SpareStepHandOver: "hand the spare over",
}

// SpareStepWords says a step as the next thing to do.
func SpareStepWords(step string) string { return spareStepWords[step] }

// SpareWaitsFor is the step a spare in state waits for ("" when handed over).
func SpareWaitsFor(state string) string { return spareNext[state] }

// SpareWaitWords says what a spare in state waits for, in words.
func SpareWaitWords(state string) string {
	if state == SpareTestFailed {
		return "the last test failed: enroll the transponder again, or test again"
	}
	if state == SpareHandedOver {
		return "done: the spare was handed over"
	}
	return spareStepWords[spareNext[state]]
}

// SpareAfter is the state a step leaves the spare in (a test: by its result).
func SpareAfter(step string, passed bool) string {
	switch step {
	case SpareStepProof:
		return SpareProven
	case SpareStepProduce:
		return SpareProduced
	case SpareStepEnroll:
		return SpareEnrolled
	case SpareStepTest:
		if passed {
			return SpareTested
		}
		return SpareTestFailed
	case SpareStepHandOver:
		return SpareHandedOver
	}
	return SpareRequested
}

// spareMissing is, for a step that cannot be taken in a state, the
// earliest step still missing before it.
func spareMissing(state, step string) string {
	if state == SpareHandedOver {
		return ""
	}
	if state == SpareTestFailed && step == SpareStepHandOver {
		return SpareStepTest
	}
	return spareNext[state]
}

// CheckSpareStep decides whether step may be taken on a spare in state:
// nil, or ECONFLICT naming the missing step (in the message and in the
// problem's "missing_step" member). Nothing is changed by a refusal.
func CheckSpareStep(state, step string) error {
	from, ok := spareStepFrom[step]
	if !ok {
		return Invalid("step", "is not a step of a vehicle spare")
	}
	if slices.Contains(from, state) {
		return nil
	}
	missing := spareMissing(state, step)
	var e *Error
	switch {
	case state == SpareHandedOver:
		e = Errorf(ECONFLICT, "this spare was handed over already: nothing more can be recorded on it")
	case step == SpareStepHandOver && state == SpareTestFailed:
		e = Errorf(ECONFLICT, "the spare cannot be handed over: its last test failed; record a passed test (it starts the vehicle and opens the door) first")
	case step == SpareStepHandOver:
		e = Errorf(ECONFLICT, "the spare cannot be handed over before a passed test: the missing step is to %s", spareStepWords[missing])
	case slices.Index(spareOrder, step) < slices.Index(spareOrder, missing):
		e = Errorf(ECONFLICT, "this step was recorded already: the next step is to %s", spareStepWords[missing])
	default:
		e = Errorf(ECONFLICT, "not yet: first %s", spareStepWords[missing])
	}
	if missing != "" {
		e.Extra = map[string]any{"missing_step": missing}
	}
	return e
}

// spareOrder is the steps in workflow order.
var spareOrder = []string{SpareStepRequest, SpareStepProof, SpareStepProduce, SpareStepEnroll, SpareStepTest, SpareStepHandOver}

// ReenrollOpen reports whether a lost vehicle key's question is still open:
// until someone answers that the remaining keys were re-enrolled.
func ReenrollOpen(answer string) bool { return answer != ReenrolledYes }
