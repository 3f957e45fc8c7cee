package web

import (
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

// netAccessRoutes are network locks and their master / backup / sub / soft
// keys: the JSON API, then the pages. Every change goes through one op
// endpoint, as the hierarchy's ops do.
func (s *Server) netAccessRoutes() []route {
	return []route{
		api("GET /api/v1/access", keyward.ActInventoryRead, s.netHierarchy).describe(opDoc{
			id: "getNetworkAccess", tag: "network keys", summary: "Every network key, lock and grant, with exposures",
			desc: "`exposed`: keys an offline lock still accepts though they may no longer open it; `pending`: keys it will accept when it is back online. `single_key`: masters whose group only one key can manage.",
			out:  []reply{{200, "The hierarchy.", keyward.NetHierarchy{}, ""}},
			errs: []int{401, 403},
		}),
		scoped(api("POST /api/v1/access/ops", keyward.ActNetAccess, s.netApply)).describe(opDoc{
			id: "applyNetworkAccessOp", tag: "network keys", summary: "Change the network key hierarchy",
			desc:   "One op: `master` (name), `lock` (name, opening_id), `serialize` and `unserialize` (lock, by), `backup` (name, by), `sub` (name, by, locks, soft), `grant` (to, locks, by), `revoke` (from, locks, by), `delete` (key, by), `offline` and `online` (lock). `by` is the master or backup key the change is made with; a key holder may use only a key they hold. A refusal of the hierarchy's rules is a 422 whose `rule` member names it (`unknown_key`, `unknown_lock`, `sub_cannot_manage`, `duplicate_id`, `lock_owned`, `not_owner`, `grant_target`, `not_granted`, `self`) and whose detail says it in words.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.NetOp{},
			out:    []reply{{200, "What the op changed.", keyward.NetOpResult{}, ""}},
			errs:   []int{400, 401, 403, 422},
		}),
		api("GET /api/v1/access/check", keyward.ActInventoryRead, s.netCheck).describe(opDoc{
			id: "checkNetworkAccess", tag: "network keys", summary: "May this key open this lock, and why",
			params: []param{{name: "key", in: "query", desc: "The key's id.", schema: `{"type":"string"}`, required: true},
				{name: "lock", in: "query", desc: "The lock's id.", schema: `{"type":"string"}`, required: true}},
			out:  []reply{{200, "The decision with its reason.", keyward.NetDecision{}, ""}},
			errs: []int{400, 401, 403, 404},
		}),
		api("GET /api/v1/access/keys/{id}", keyward.ActInventoryRead, s.netKeyView).describe(opDoc{
			id: "getNetworkKey", tag: "network keys", summary: "A network key and every lock it opens",
			desc: "For a deleted (lost) key: `reached`, every lock it opened when it was deleted, and `still_accepted`, the offline locks that accept it until they come back online.",
			out:  []reply{{200, "The key.", keyward.NetKeyView{}, ""}},
			errs: []int{401, 403, 404},
		}),
		scoped(api("PATCH /api/v1/access/keys/{id}", keyward.ActNetAccess, s.netRename)).describe(opDoc{
			id: "renameNetworkKey", tag: "network keys", summary: "Rename a network key",
			desc:   "Made with `by`, a master or backup key of the key's group. Refusals as for the ops.",
			params: []param{{ref: "IdempotencyKey"}},
			in:     keyward.NetRename{},
			out:    []reply{{200, "The key after the change.", keyward.NetKey{}, ""}},
			errs:   []int{400, 401, 403, 404, 422},
		}),
		api("GET /api/v1/access/keys/{id}/tree", keyward.ActInventoryRead, s.netTree).describe(opDoc{
			id: "getNetworkKeyTree", tag: "network keys", summary: "A master's group: backups, sub and soft keys, and the locks each opens",
			out:  []reply{{200, "The group.", keyward.NetTree{}, ""}},
			errs: []int{401, 403, 404},
		}),

		page("GET /access", keyward.ActInventoryRead, s.accessPage),
		scoped(page("POST /access", keyward.ActNetAccess, s.accessPost)),
		page("GET /access/keys/{id}", keyward.ActInventoryRead, s.accessKeyPage),
		scoped(page("POST /access/keys/{id}", keyward.ActNetAccess, s.accessKeyPost)),
	}
}

func (s *Server) netHierarchy(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	h, err := s.netAccess.Hierarchy(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) netApply(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.NetOp
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.netAccess.Apply(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) netCheck(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	q := r.URL.Query()
	for _, f := range []string{"key", "lock"} {
		if q.Get(f) == "" {
			return keyward.Invalid(f, "is required")
		}
	}
	d, err := s.netAccess.Check(r.Context(), a, q.Get("key"), q.Get("lock"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) netKeyView(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	v, err := s.netAccess.KeyView(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) netRename(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.NetRename
	if err := decode(r, &in); err != nil {
		return err
	}
	k, err := s.netAccess.Rename(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}

func (s *Server) netTree(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	t, err := s.netAccess.Tree(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}
