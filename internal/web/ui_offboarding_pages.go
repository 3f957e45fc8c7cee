package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/keyward/keyward/internal/keyward"
)

// "This person is leaving": the list of open offboardings and one holder's page.

type offboardingsPageData struct {
	Open    []keyward.Offboarding
	Holders []keyward.Holder
	Form    map[string]string
}

func (s *Server) offboardingsPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderOffboardings(w, r, a, http.StatusOK, nil)
}

func (s *Server) renderOffboardings(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error) error {
	open, err := s.offboarding.Open(r.Context(), a)
	if err != nil {
		return err
	}
	d := offboardingsPageData{Open: open, Form: map[string]string{}}
	if keyward.Allowed(a.Role, keyward.ActOffboard) {
		hs, err := s.directory.Holders(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Holders = hs.Items
	}
	if failed != nil {
		d.Form = postedValues(r, "holder_id", "note")
		return s.render(w, r, a, status, "offboarding_list", "Offboarding", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "offboarding_list", "Offboarding", d)
}

func (s *Server) offboardingsStart(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	holderID := r.PostFormValue("holder_id")
	var err error
	if holderID == "" {
		err = keyward.Invalid("holder_id", "is required")
	} else {
		_, err = s.offboarding.Start(r.Context(), a, holderID, keyward.OffboardingInput{Note: r.PostFormValue("note")})
		if keyward.ErrorCode(err) == keyward.ENOTFOUND {
			err = keyward.Invalid("holder_id", "must name an existing holder")
		}
	}
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderOffboardings(w, r, a, st, err) })
	}
	return redirectFlash(w, r, "/holders/"+url.PathEscape(holderID)+"/offboarding", "Offboarding started.")
}

type offboardingPageData struct {
	O *keyward.Offboarding
	// Open is false when no offboarding is open: the page lists holdings only.
	Open     bool
	Openings map[string]string
	// Seals says, per key that goes back into a sealed envelope when it is
	// collected, which seal that breaks: its form asks for the new seal.
	Seals map[string]string
}

func (s *Server) offboardingPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderOffboarding(w, r, a, http.StatusOK, nil)
}

func (s *Server) renderOffboarding(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error) error {
	ob := s.offboarding
	d := offboardingPageData{Open: true, Openings: map[string]string{}}
	var err error
	d.O, err = ob.Current(r.Context(), a, r.PathValue("id"))
	if keyward.ErrorCode(err) == keyward.ENOTFOUND {
		d.Open = false
		d.O, err = ob.Holdings(r.Context(), a, r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	if keyward.Allowed(a.Role, keyward.ActCustody) && keyward.Allowed(a.Role, keyward.ActInventoryRead) {
		d.Seals = map[string]string{}
		for _, k := range d.O.Keys {
			h, err := s.storage.KeyHome(r.Context(), a, k.ID)
			if err != nil {
				return err
			}
			action, cerr := keyward.CollectAction(k, d.O.HolderID)
			if h != nil && cerr == nil && keyward.MoveBreaksSeal(action, k.Status, h.StorageKind) {
				d.Seals[k.ID] = sealWords(&keyward.SealBreak{Name: h.StorageName, Broken: h.SealNumber}, k.Stamp, true)
			}
		}
	}
	for _, c := range d.O.Credentials {
		for _, id := range c.OpeningIDs {
			if _, ok := d.Openings[id]; ok {
				continue
			}
			o, err := s.directory.Opening(r.Context(), a, id)
			if err != nil {
				return err
			}
			d.Openings[id] = o.Name
		}
	}
	title := d.O.HolderName + " is leaving"
	if failed != nil {
		return s.render(w, r, a, status, "offboarding", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "offboarding", title, d)
}

func (s *Server) offboardingBack(w http.ResponseWriter, r *http.Request, msg string) error {
	return redirectFlash(w, r, "/holders/"+url.PathEscape(r.PathValue("id"))+"/offboarding", msg)
}

func (s *Server) offboardingStart(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	if _, err := s.offboarding.Start(r.Context(), a, r.PathValue("id"), keyward.OffboardingInput{Note: r.PostFormValue("note")}); err != nil {
		return formRefused(err, func(st int) error { return s.renderOffboarding(w, r, a, st, err) })
	}
	return s.offboardingBack(w, r, "Offboarding started.")
}

func (s *Server) offboardingCollect(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	k, err := s.offboarding.CollectKey(r.Context(), a, r.PathValue("id"), r.PathValue("key_id"),
		keyward.CheckinInput{Note: r.PostFormValue("note"), NewSealNumber: r.PostFormValue("new_seal_number")})
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderOffboarding(w, r, a, st, err) })
	}
	return s.offboardingBack(w, r, "Collected key "+k.Stamp+".")
}

func (s *Server) offboardingRevoke(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	c, err := s.offboarding.RevokeCredential(r.Context(), a, r.PathValue("id"), r.PathValue("credential_id"), r.PostFormValue("reason"))
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderOffboarding(w, r, a, st, err) })
	}
	return s.offboardingBack(w, r, "Revoked "+c.Kind+" "+c.ID+".")
}

func (s *Server) offboardingRelease(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	p, err := s.offboarding.ReleaseStorage(r.Context(), a, r.PathValue("id"), r.PathValue("storage_id"))
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderOffboarding(w, r, a, st, err) })
	}
	return s.offboardingBack(w, r, "Released "+p.Name+".")
}

func (s *Server) offboardingClear(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	o, err := s.offboarding.Clear(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return formRefused(err, func(st int) error { return s.renderOffboarding(w, r, a, st, err) })
	}
	return redirectFlash(w, r, "/offboardings", "Offboarding of "+o.HolderName+" cleared.")
}

// The dashboard's outstanding offboardings and its chart of keys out.

// dashboardView is the dashboard with the offboardings and the chart added.
type dashboardView struct {
	dashboardData
	Offboardings []keyward.Offboarding
	// Work is the open rekey plans and work lists of lost keys.
	Work  []keyward.OpenWork
	Chart keysOutChart
	// VehicleLost are the lost vehicle keys not yet answered "re-enrolled".
	VehicleLost []keyward.LostVehicleKey
}

// chartDays is the span of the keys-out chart.
const chartDays = 90

// keysOutChart is a server-rendered SVG bar chart: one bar a day. Its words
// (the first, middle and last day, the most) are HTML beside the drawing, so
// they keep the page's type size when the drawing shrinks to a phone.
type keysOutChart struct {
	Width, Height, Base int
	Max, Now            int
	Bars                []chartBar
	From, Mid, To       string
}

type chartBar struct {
	X, Y, W, H float64
	Label      string
}

func (s *Server) dashboardMore(r *http.Request, a keyward.Actor, d dashboardData) (dashboardView, error) {
	v := dashboardView{dashboardData: d}
	var err error
	if v.Offboardings, err = s.offboarding.Open(r.Context(), a); err != nil {
		return v, err
	}
	if v.Work, err = s.lostKeys.OpenWork(r.Context(), a); err != nil {
		return v, err
	}
	if s.spares != nil && keyward.Allowed(a.Role, keyward.ActSpareRead) {
		if v.VehicleLost, err = s.spares.LostVehicleKeys(r.Context(), a); err != nil {
			return v, err
		}
	}
	series, err := s.stats.KeysOut(r.Context(), a, chartDays)
	if err != nil {
		return v, err
	}
	v.Chart = newKeysOutChart(series)
	return v, nil
}

func newKeysOutChart(series []keyward.DayCount) keysOutChart {
	c := keysOutChart{Width: 720, Height: 150, Base: 150}
	for _, p := range series {
		c.Max = max(c.Max, p.N)
	}
	if len(series) == 0 {
		return c
	}
	c.Now = series[len(series)-1].N
	c.From, c.Mid, c.To = series[0].Day.Format("2 Jan"), series[len(series)/2].Day.Format("2 Jan"), series[len(series)-1].Day.Format("2 Jan")
	scale := 1.0
	if c.Max > 0 {
		scale = float64(c.Base) / float64(c.Max)
	}
	w := float64(c.Width) / float64(len(series))
	for i, p := range series {
		h := float64(p.N) * scale
		c.Bars = append(c.Bars, chartBar{X: float64(i) * w, Y: float64(c.Base) - h, W: w * 0.8, H: h,
			Label: p.Day.Format("2006-01-02") + ": " + strconv.Itoa(p.N) + " out"})
	}
	return c
}
