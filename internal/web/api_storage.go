package web

import (
	"net/http"
	"strconv"

	"github.com/keyward/keyward/internal/keyward"
)

// API handlers of storage places, the keying schedule, credentials and offboarding.

func (s *Server) createStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.StorageInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.storage.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) listStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	opt, err := directoryListOptions(r) // include_retired, like every list of records that retire
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := s.storage.Places(r.Context(), a, q.Get("kind"), q.Get("holder_id"), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.storage.Place(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) storageEvents(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	st := s.storage
	if _, err := st.Place(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := st.Events(r.Context(), a, r.PathValue("id"), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) assignKeyHome(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.HookInput
	if err := decode(r, &in); err != nil {
		return err
	}
	h, err := s.storage.Assign(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) getKeyHome(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if _, err := s.custody.Key(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	h, err := s.storage.KeyHome(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if h == nil {
		return keyward.Errorf(keyward.ENOTFOUND, "key %q has no storage place", r.PathValue("id"))
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) deleteKeyHome(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	// The body is optional: only a key taken out of a sealed envelope needs one.
	var in keyward.ResealInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	if err := s.storage.Unassign(r.Context(), a, r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) revealStorageCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CodeRevealInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	code, err := s.storage.RevealCode(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, revealedCode{ID: r.PathValue("id"), Code: code.Reveal()})
}

// revealedCode is a lockbox code, revealed for a reason.
type revealedCode struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

func (s *Server) changeStorageCode(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CodeChangeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	st := s.storage
	if err := st.ChangeCode(r.Context(), a, r.PathValue("id"), in); err != nil {
		return err
	}
	p, err := st.Place(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) breakSeal(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.BreakSealInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.storage.BreakSeal(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) acknowledgeStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	p, err := s.storage.Acknowledge(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) retireStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	p, err := s.storage.Retire(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// The keying schedule.

func (s *Server) addOpeningSymbol(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.SymbolInput
	if err := decode(r, &in); err != nil {
		return err
	}
	syms, err := s.schedule.AddSymbol(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, openingSymbols{OpeningID: r.PathValue("id"), Symbols: syms})
}

// openingSymbols are the key symbols listed as operating an opening.
type openingSymbols struct {
	OpeningID string   `json:"opening_id"`
	Symbols   []string `json:"symbols"`
}

func (s *Server) removeOpeningSymbol(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	if err := s.schedule.RemoveSymbol(r.Context(), a, r.PathValue("id"), r.PathValue("symbol")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) openingAccess(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	acc, err := s.schedule.Access(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, acc)
}

// Credentials.

func (s *Server) createCredential(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CredentialInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.credentials.Issue(r.Context(), a, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	q := r.URL.Query()
	active := false
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return keyward.Invalid("active", "must be true or false")
		}
		active = b
	}
	opt, err := listOptions(r)
	if err != nil {
		return err
	}
	p, err := s.credentials.List(r.Context(), a, q.Get("holder_id"), active, opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getCredential(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.credentials.Credential(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) revokeCredential(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.RevokeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.credentials.Revoke(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) revealCredentialPIN(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CodeRevealInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	pin, err := s.credentials.RevealPIN(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, revealedPIN{ID: r.PathValue("id"), PIN: pin.Reveal()})
}

// revealedPIN is a credential's PIN, revealed for a reason.
type revealedPIN struct {
	ID  string `json:"id"`
	PIN string `json:"pin"`
}

// Offboarding.

func (s *Server) startOffboarding(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.OffboardingInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	o, err := s.offboarding.Start(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, o)
}

func (s *Server) getOffboarding(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	o, err := s.offboarding.Current(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) listOffboardings(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	os, err := s.offboarding.Open(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.Offboarding]{Items: os})
}

func (s *Server) clearOffboarding(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	o, err := s.offboarding.Clear(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) offboardCollectKey(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.CheckinInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	k, err := s.offboarding.CollectKey(r.Context(), a, r.PathValue("id"), r.PathValue("key_id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}

func (s *Server) offboardRevokeCredential(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.RevokeInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	c, err := s.offboarding.RevokeCredential(r.Context(), a, r.PathValue("id"), r.PathValue("credential_id"), in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) offboardReleaseStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	p, err := s.offboarding.ReleaseStorage(r.Context(), a, r.PathValue("id"), r.PathValue("storage_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// keysOutSeries is the daily count of keys out, for the dashboard chart.
func (s *Server) keysOutSeries(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	days := 90
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return keyward.Invalid("days", "must be between 1 and 366")
		}
		days = n
	}
	series, err := s.stats.KeysOut(r.Context(), a, days)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, keyward.Page[keyward.DayCount]{Items: series})
}

func (s *Server) updateStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	var in keyward.StoragePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.storage.Update(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	p, err := s.storage.RetireEmpty(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) restoreStorage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if err := noBody(r); err != nil {
		return err
	}
	p, err := s.storage.Restore(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
