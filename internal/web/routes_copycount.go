package web

import "github.com/keyward/keyward/internal/keyward"

// copyCountRoutes are copy accounting: how many copies of each symbol are
// under control and where each one is, and the copies found outside
// Keyward, each of which opens what a lost key of its symbol opens and
// leads to the same next step (the lost-key routes: a key system's rekey
// plan, or POST /api/v1/worklists naming the copy found).
func (s *Server) copyCountRoutes() []route {
	return []route{
		api("GET /api/v1/copies", keyward.ActCopyRead, s.listCopyCounts).describe(opDoc{
			id: "listCopyCounts", tag: "copies", summary: "Count the copies of every key",
			desc: "Every keyway and symbol that has a copy, by keyway name then symbol: `controlled` is the copies registered, imported or produced that were not destroyed (lost ones count until found or destroyed), `by_status` splits them by status and adds up to it, `destroyed` counts those written off, and `uncontrolled` lists the copies found outside Keyward. A `keyway_id` that names no keyway is a 400 naming it.",
			params: []param{{name: "keyway_id", in: "query", desc: "Only the symbols of this keyway.", schema: `{"type":"string"}`},
				{ref: "Cursor"}, {ref: "Limit"}},
			out:  []reply{{200, "One page of counts.", keyward.Page[keyward.CopyCount]{}, ""}},
			errs: []int{400, 401, 403},
		}),
		api("GET /api/v1/copies/{keyway}/{symbol}", keyward.ActCopyRead, s.getCopyCount).describe(opDoc{
			id: "getCopyCount", tag: "copies", summary: "Count the copies of one key, and where each is",
			desc: "The counts of one symbol of one keyway (the symbol in any case), each copy with where it is now (`holder_name`, `home`, `lost_at`), destroyed ones too, and the copies found outside Keyward. When there are any, `exposure` is what such a copy opens and the next step, exactly as `GET /api/v1/keys/{id}/lost` answers for a lost key of the symbol. A symbol that is not 1 to 32 letters, digits, `.` or `_` is a 400 naming `symbol`; an unknown keyway, or a symbol with no copy of that keyway, a 404.",
			params: []param{{name: "keyway", in: "path", desc: "The keyway id.", schema: `{"type":"string"}`, required: true},
				{name: "symbol", in: "path", desc: "The symbol stamped on the key, such as `AA1`.", schema: `{"type":"string"}`, required: true}},
			out:  []reply{{200, "The symbol's count with each copy.", keyward.CopyCount{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("POST /api/v1/uncontrolled-copies", keyward.ActCustody, s.recordUncontrolled).describe(opDoc{
			id: "recordUncontrolledCopy", tag: "copies", summary: "Record a copy found outside Keyward",
			desc:   "A copy nobody made through Keyward (\"a copy we never made\"): its keyway, the symbol stamped on it, `where` it was found and whether it was taken back (`in_hand`). It is counted apart from the controlled copies and recorded with its audit record. It opens what a lost key of its symbol opens: the answer's `exposure` lists those doors and the next step (`next`), the same as for a lost key: `start_plan` (`POST /api/v1/keysystems/{id}/lost` with the symbol), `start_work_list` (`POST /api/v1/worklists` with `uncontrolled_copy_id`), or the plan or work list already under way. 400 naming `keyway_id` (no such keyway), `symbol` or `where`.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.UncontrolledCopyInput{},
			out:    []reply{{201, "Recorded: the copy, with `exposure`.", keyward.UncontrolledCopy{}, ""}},
			errs:   []int{400, 401, 403, 422},
		}),

		page("GET /copies", keyward.ActCopyRead, s.copiesPage),
		page("GET /copies/{keyway}/{symbol}", keyward.ActCopyRead, s.copySymbolPage),
		page("POST /copies/uncontrolled", keyward.ActCustody, s.copyUncontrolledCreate),
		page("POST /uncontrolled-copies/{id}/worklist", keyward.ActKeySystemEdit, s.uncontrolledWorkListCreate),
	}
}
