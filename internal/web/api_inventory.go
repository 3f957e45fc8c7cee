package web

import (
	"context"
	"net/http"

	"github.com/keyward/keyward/internal/keyward"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ keyward.Actor) error {
	if err := s.health.Ping(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, health{Status: "ok"})
}

// health is the answer of /healthz.
type health struct {
	Status string `json:"status"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return writeJSON(w, http.StatusOK, me{ID: a.UserID, Email: a.Email, Role: a.Role, HolderID: a.HolderID})
}

// me is who the token belongs to.
type me struct {
	ID       string       `json:"id"`
	Email    string       `json:"email"`
	Role     keyward.Role `json:"role"`
	HolderID string       `json:"holder_id"`
}

// create decodes an input, calls the service and answers 201 with the object.
func create[In any, Out any](fn func(context.Context, keyward.Actor, In) (Out, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		var in In
		if err := decode(r, &in); err != nil {
			return err
		}
		out, err := fn(r.Context(), a, in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, out)
	}
}

// get answers 200 with the object the service returns for {id}.
func get[Out any](fn func(context.Context, keyward.Actor, string) (Out, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		out, err := fn(r.Context(), a, r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// list answers 200 with one page.
func list[T any](fn func(*http.Request, keyward.Actor, keyward.ListOptions) (*keyward.Page[T], error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		opt, err := listOptions(r)
		if err != nil {
			return err
		}
		p, err := fn(r, a, opt)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, p)
	}
}

// listAll adapts a service list that needs nothing but the page options.
func listAll[T any](fn func(context.Context, keyward.Actor, keyward.ListOptions) (*keyward.Page[T], error)) handler {
	return list(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[T], error) {
		return fn(r.Context(), a, opt)
	})
}

func (s *Server) createSite(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.directory.CreateSite)(w, r, a)
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return directoryList(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Site], error) {
		return s.directory.Sites(r.Context(), a, opt)
	})(w, r, a)
}

func (s *Server) getSite(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.directory.Site)(w, r, a)
}

func (s *Server) createOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.directory.CreateOpening)(w, r, a)
}

func (s *Server) listOpenings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return directoryList(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Opening], error) {
		return s.directory.Openings(r.Context(), a, r.URL.Query().Get("site_id"), opt)
	})(w, r, a)
}

func (s *Server) getOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.directory.Opening)(w, r, a)
}

func (s *Server) createKeyway(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.directory.CreateKeyway)(w, r, a)
}

func (s *Server) listKeyways(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return directoryList(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Keyway], error) {
		return s.directory.Keyways(r.Context(), a, opt)
	})(w, r, a)
}

func (s *Server) getKeyway(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.directory.Keyway)(w, r, a)
}

func (s *Server) createHolder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return create(s.directory.CreateHolder)(w, r, a)
}

func (s *Server) listHolders(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return directoryList(func(r *http.Request, a keyward.Actor, opt keyward.ListOptions) (*keyward.Page[keyward.Holder], error) {
		return s.directory.Holders(r.Context(), a, opt)
	})(w, r, a)
}

func (s *Server) getHolder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return get(s.directory.Holder)(w, r, a)
}

func (s *Server) holderKeys(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	keys, err := s.custody.HolderKeys(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.Key]{Items: keys})
}

func (s *Server) holderHistory(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if _, err := s.directory.Holder(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	page, err := s.finder.HolderEvents(r.Context(), a, r.PathValue("id"), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	res, err := s.finder.Search(r.Context(), a, r.URL.Query().Get("q"), opt.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// patch decodes a partial body, calls the service with {id} and answers 200 with the object.
func patch[P any, Out any](fn func(context.Context, keyward.Actor, string, P) (Out, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		var p P
		if err := decode(r, &p); err != nil {
			return err
		}
		out, err := fn(r.Context(), a, r.PathValue("id"), p)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// retireOrRestore retires (or restores) the record {id} of kind and answers
// 200 with the record as it is now.
func retireOrRestore[Out any](fn func(context.Context, keyward.Actor, string, string) error, kind string,
	read func(context.Context, keyward.Actor, string) (Out, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		if err := noBody(r); err != nil {
			return err
		}
		if err := fn(r.Context(), a, kind, r.PathValue("id")); err != nil {
			return err
		}
		return get(read)(w, r, a)
	}
}

// directoryListOptions are a list's options plus include_retired.
func directoryListOptions(r *http.Request) (keyward.ListOptions, error) {
	opt, err := listOptions(r)
	if err != nil {
		return opt, err
	}
	switch r.URL.Query().Get("include_retired") {
	case "", "false":
	case "true":
		opt.IncludeRetired = true
	default:
		return opt, keyward.Invalid("include_retired", "must be true or false")
	}
	return opt, nil
}

// directoryList answers 200 with one page of a directory list.
func directoryList[T any](fn func(*http.Request, keyward.Actor, keyward.ListOptions) (*keyward.Page[T], error)) handler {
	return func(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
		opt, err := directoryListOptions(r)
		if err != nil {
			return err
		}
		p, err := fn(r, a, opt)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, p)
	}
}

func (s *Server) mergeHolder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.MergeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.directory.MergeHolders(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) updateSite(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return patch(s.directory.UpdateSite)(w, r, a)
}

func (s *Server) retireSite(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Retire, keyward.KindSite, s.directory.Site)(w, r, a)
}

func (s *Server) restoreSite(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Restore, keyward.KindSite, s.directory.Site)(w, r, a)
}

func (s *Server) updateOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return patch(s.directory.UpdateOpening)(w, r, a)
}

func (s *Server) retireOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Retire, keyward.KindOpening, s.directory.Opening)(w, r, a)
}

func (s *Server) restoreOpening(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Restore, keyward.KindOpening, s.directory.Opening)(w, r, a)
}

func (s *Server) updateKeyway(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return patch(s.directory.UpdateKeyway)(w, r, a)
}

func (s *Server) retireKeyway(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Retire, keyward.KindKeyway, s.directory.Keyway)(w, r, a)
}

func (s *Server) restoreKeyway(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Restore, keyward.KindKeyway, s.directory.Keyway)(w, r, a)
}

func (s *Server) updateHolder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return patch(s.directory.UpdateHolder)(w, r, a)
}

func (s *Server) retireHolder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Retire, keyward.KindHolder, s.directory.Holder)(w, r, a)
}

func (s *Server) restoreHolder(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return retireOrRestore(s.directory.Restore, keyward.KindHolder, s.directory.Holder)(w, r, a)
}
