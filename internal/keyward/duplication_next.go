package keyward

// What a copy request waits for, and what a person may do with it now: the
// questions a request's page and the dashboard ask. Both follow from the
// workflow's one rule, CheckCopyStep.

// CopyStepOrder lists the steps a person takes on a request, in the order a
// page offers them: the step that moves the request on first, the ones that
// stop it last.
var CopyStepOrder = []string{CopyStepEvidence, CopyStepApprove, CopyStepProduce, CopyStepHandOver, CopyStepDeny, CopyStepEscalate, CopyStepCancel}

// CopyStepsFor lists the steps actor a may take on r now (those
// CheckCopyStep allows), in CopyStepOrder.
func CopyStepsFor(r *CopyRequest, a Actor, s CopySettings) []string {
	var out []string
	for _, step := range CopyStepOrder {
		if CheckCopyStep(r, step, a, s) == nil {
			out = append(out, step)
		}
	}
	return out
}

// CopyWaitsFor is the step that moves r on: evidence for a restricted
// request not yet checked, an approval (the owner's when escalated),
// production once approved, the hand-over of copies cut for a holder. It is
// "" when nothing more is needed: the request was denied, cancelled or
// handed over, or its copies were cut for storage.
func CopyWaitsFor(r *CopyRequest) string {
	switch r.State {
	case CopyRequested:
		if r.Policy == DupRestricted && r.Evidence == nil {
			return CopyStepEvidence
		}
		return CopyStepApprove
	case CopyEvidenceAccepted, CopyEscalated:
		return CopyStepApprove
	case CopyApproved:
		return CopyStepProduce
	case CopyProduced:
		if r.ForHolderID != "" {
			return CopyStepHandOver
		}
	}
	return ""
}

// Groups of copy request states, as a list of requests filters them.
const (
	CopyGroupWaiting  = "waiting"  // waiting for evidence or a decision
	CopyGroupApproved = "approved" // approved: to cut, or cut and to hand over
	CopyGroupDone     = "done"     // handed over, denied or cancelled
)

// CopyGroups lists the groups in the order a page offers them.
var CopyGroups = []string{CopyGroupWaiting, CopyGroupApproved, CopyGroupDone}

// CopyGroupStates are the states of each group; every state is in exactly one.
var CopyGroupStates = map[string][]string{
	CopyGroupWaiting:  {CopyRequested, CopyEvidenceAccepted, CopyEscalated},
	CopyGroupApproved: {CopyApproved, CopyProduced},
	CopyGroupDone:     {CopyHandedOver, CopyDenied, CopyCancelled},
}
