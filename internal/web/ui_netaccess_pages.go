package web

import (
	"net/http"
	"net/url"

	"github.com/keyward/keyward/internal/keyward"
)

// The network keys pages: /access lists masters and locks (and the keys an
// offline lock still accepts), /access/keys/{id} is one key: what it opens and
// why, a "can it open…?" question, and for a master or backup its group's
// tree and every change made with that key.

type accessMasterRow struct {
	Key                  keyward.NetKey
	Holder               string
	Backups, Subs, Locks int
	SingleKey            bool
}

type accessLockRow struct {
	Lock  keyward.NetLock
	Door  string
	Owner string // the owning master's name
}

type accessPairRow struct {
	LockName, KeyName, KeyID string
}

type accessPageData struct {
	Masters          []accessMasterRow
	Locks            []accessLockRow
	Exposed, Pending []accessPairRow
	Holders          []keyward.Holder
	Openings         []keyward.Opening
	Form             map[string]string
	Manage           bool
}

// netNames holds what the pages call keys and locks.
type netNames struct {
	h     *keyward.NetHierarchy
	keys  map[string]keyward.NetKey
	locks map[string]keyward.NetLock
}

func (s *Server) netNames(r *http.Request, a keyward.Actor) (*netNames, error) {
	h, err := s.netAccess.Hierarchy(r.Context(), a)
	if err != nil {
		return nil, err
	}
	n := &netNames{h: h, keys: map[string]keyward.NetKey{}, locks: map[string]keyward.NetLock{}}
	for _, k := range h.Keys {
		n.keys[k.ID] = k
	}
	for _, l := range h.Locks {
		n.locks[l.ID] = l
	}
	return n, nil
}

func (s *Server) accessPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderAccess(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderAccess(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	n, err := s.netNames(r, a)
	if err != nil {
		return err
	}
	d := accessPageData{Form: form, Manage: keyward.Allowed(a.Role, keyward.ActNetAccess) && a.Role != keyward.RoleHolder}
	pn := s.newPageNames(r, a)
	single := map[string]bool{}
	for _, id := range n.h.SingleKey {
		single[id] = true
	}
	counts := map[string]*accessMasterRow{}
	for _, k := range n.h.Keys {
		if k.Kind == keyward.NetMaster {
			row := accessMasterRow{Key: k, SingleKey: single[k.ID]}
			if k.HolderID != "" {
				if row.Holder, err = pn.holder(k.HolderID); err != nil {
					return err
				}
			}
			d.Masters = append(d.Masters, row)
		}
	}
	for i := range d.Masters {
		counts[d.Masters[i].Key.ID] = &d.Masters[i]
	}
	for _, k := range n.h.Keys {
		if c := counts[k.GroupID]; c != nil && !k.Deleted {
			switch k.Kind {
			case keyward.NetBackup:
				c.Backups++
			case keyward.NetSub, keyward.NetSoft:
				c.Subs++
			}
		}
	}
	os, err := s.directory.Openings(r.Context(), a, "", keyward.ListOptions{Limit: 500})
	if err != nil {
		return err
	}
	doors := map[string]string{}
	for _, o := range os.Items {
		doors[o.ID] = o.Name
	}
	for _, l := range n.h.Locks {
		row := accessLockRow{Lock: l, Owner: n.keys[l.OwnerID].Name, Door: doors[l.OpeningID]}
		if c := counts[l.OwnerID]; c != nil {
			c.Locks++
		}
		d.Locks = append(d.Locks, row)
	}
	for _, p := range n.h.Exposed {
		d.Exposed = append(d.Exposed, accessPairRow{LockName: n.locks[p.LockID].Name, KeyName: n.keys[p.KeyID].Name, KeyID: p.KeyID})
	}
	for _, p := range n.h.Pending {
		d.Pending = append(d.Pending, accessPairRow{LockName: n.locks[p.LockID].Name, KeyName: n.keys[p.KeyID].Name, KeyID: p.KeyID})
	}
	if d.Manage {
		hs, err := s.directory.Holders(r.Context(), a, keyward.ListOptions{Limit: 500})
		if err != nil {
			return err
		}
		d.Holders, d.Openings = hs.Items, os.Items
	}
	if failed != nil {
		return s.render(w, r, a, status, "access", "Network keys", newFormError(failed, d))
	}
	return s.render(w, r, a, status, "access", "Network keys", d)
}

// netOpFromForm reads an op from a posted form.
func netOpFromForm(r *http.Request) keyward.NetOp {
	_ = r.ParseForm()
	return keyward.NetOp{Op: r.PostFormValue("op"), Name: r.PostFormValue("name"), Key: r.PostFormValue("key"),
		Lock: r.PostFormValue("lock"), To: r.PostFormValue("to"), From: r.PostFormValue("from"), Locks: r.PostForm["locks"],
		Soft: r.PostFormValue("soft") == "1", HolderID: r.PostFormValue("holder_id"), OpeningID: r.PostFormValue("opening_id")}
}

// netDone says what an accepted op did.
var netDone = map[string]string{
	"master": "Added the master key.", "lock": "Added the lock.", "serialize": "Serialized the lock.",
	"unserialize": "Took the lock out of the group.", "backup": "Added the backup key.", "sub": "Added the key.",
	"grant": "Granted.", "revoke": "Taken back.", "delete": "Deleted the key: it opens nothing now.",
	"offline": "The lock is marked offline: it keeps the keys it had until it is back online.",
	"online":  "The lock is back online and has every change.", "rename": "Renamed.",
}

func (s *Server) accessPost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	in := netOpFromForm(r)
	if _, err := s.netAccess.Apply(r.Context(), a, in); err != nil {
		return formRefused(err, func(st int) error {
			return s.renderAccess(w, r, a, st, err, postedValues(r, "op", "name", "holder_id", "opening_id"))
		})
	}
	return redirectFlash(w, r, "/access", netDone[in.Op])
}

type accessKeyData struct {
	View      *keyward.NetKeyView
	KindWords string
	GroupName string
	GroupID   string
	Holder    string
	Tree      *keyward.NetTree
	Opens     []accessReachRow
	Members   []accessMemberRow
	AllLocks  []keyward.NetLock
	Check     *keyward.NetDecision
	CheckLock string
	Reached   []keyward.NetLock
	// what a change made with this key may name
	Manage                  bool
	FreeLocks, GroupLocks   []keyward.NetLock
	GrantTargets, GroupKeys []keyward.NetKey
	Grants                  []accessGrantRow
	Holders                 []keyward.Holder
	Form                    map[string]string
}

type accessReachRow struct {
	LockName, Reason string
	Accepts          bool
}

type accessMemberRow struct {
	Role    string // in words
	Key     keyward.NetKey
	Reaches []accessReachRow
}

func (n *netNames) reaches(ds []keyward.NetDecision) []accessReachRow {
	out := make([]accessReachRow, 0, len(ds))
	for _, d := range ds {
		out = append(out, accessReachRow{LockName: n.locks[d.LockID].Name, Reason: d.Reason, Accepts: d.Accepts})
	}
	return out
}

type accessGrantRow struct {
	KeyID, KeyName, LockID, LockName string
}

func kindWords(kind string) string {
	switch kind {
	case keyward.NetMaster:
		return "Master key"
	case keyward.NetBackup:
		return "Backup key"
	case keyward.NetSub:
		return "Sub key"
	case keyward.NetSoft:
		return "Soft key (a sub key on a phone or computer)"
	}
	return kind
}

func (s *Server) accessKeyPage(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	return s.renderAccessKey(w, r, a, http.StatusOK, nil, nil)
}

func (s *Server) renderAccessKey(w http.ResponseWriter, r *http.Request, a keyward.Actor, status int, failed error, form map[string]string) error {
	id := r.PathValue("id")
	v, err := s.netAccess.KeyView(r.Context(), a, id)
	if err != nil {
		return err
	}
	n, err := s.netNames(r, a)
	if err != nil {
		return err
	}
	k := v.Key
	d := accessKeyData{View: v, KindWords: kindWords(k.Kind), GroupName: n.keys[k.GroupID].Name, GroupID: k.GroupID, AllLocks: n.h.Locks, Form: form}
	if k.HolderID != "" {
		if d.Holder, err = s.newPageNames(r, a).holder(k.HolderID); err != nil {
			return err
		}
	}
	if lock := r.URL.Query().Get("lock"); lock != "" {
		if d.Check, err = s.netAccess.Check(r.Context(), a, id, lock); err != nil {
			return err
		}
		d.CheckLock = lock
	}
	manager := k.Kind == keyward.NetMaster || k.Kind == keyward.NetBackup
	d.Opens = n.reaches(v.Reaches)
	if manager {
		if d.Tree, err = s.netAccess.Tree(r.Context(), a, k.GroupID); err != nil {
			return err
		}
		d.Members = append(d.Members, accessMemberRow{Role: "Master", Key: d.Tree.Master.Key, Reaches: n.reaches(d.Tree.Master.Reaches)})
		for _, m := range d.Tree.Backups {
			d.Members = append(d.Members, accessMemberRow{Role: "Backup", Key: m.Key, Reaches: n.reaches(m.Reaches)})
		}
		for _, m := range d.Tree.Subs {
			role := "Sub key"
			if m.Key.Kind == keyward.NetSoft {
				role = "Soft key"
			}
			d.Members = append(d.Members, accessMemberRow{Role: role, Key: m.Key, Reaches: n.reaches(m.Reaches)})
		}
	}
	d.Manage = manager && !k.Deleted && keyward.Allowed(a.Role, keyward.ActNetAccess) && (a.Role != keyward.RoleHolder || k.HolderID == a.HolderID)
	if d.Manage {
		for _, l := range n.h.Locks {
			switch l.OwnerID {
			case "":
				d.FreeLocks = append(d.FreeLocks, l)
			case k.GroupID:
				d.GroupLocks = append(d.GroupLocks, l)
			}
		}
		for _, o := range n.h.Keys {
			if o.Deleted {
				continue
			}
			if o.GroupID == k.GroupID {
				d.GroupKeys = append(d.GroupKeys, o)
			}
			if (o.GroupID == k.GroupID && (o.Kind == keyward.NetSub || o.Kind == keyward.NetSoft)) || (o.GroupID != k.GroupID && o.Kind == keyward.NetMaster) {
				d.GrantTargets = append(d.GrantTargets, o)
			}
		}
		for _, g := range n.h.Grants {
			if n.locks[g.LockID].OwnerID == k.GroupID {
				d.Grants = append(d.Grants, accessGrantRow{KeyID: g.KeyID, KeyName: n.keys[g.KeyID].Name, LockID: g.LockID, LockName: n.locks[g.LockID].Name})
			}
		}
		if a.Role != keyward.RoleHolder {
			hs, err := s.directory.Holders(r.Context(), a, keyward.ListOptions{Limit: 500})
			if err != nil {
				return err
			}
			d.Holders = hs.Items
		}
	}
	title := k.Name
	if failed != nil {
		return s.render(w, r, a, status, "access_key", title, newFormError(failed, d))
	}
	return s.render(w, r, a, status, "access_key", title, d)
}

func (s *Server) accessKeyPost(w http.ResponseWriter, r *http.Request, a keyward.Actor) error {
	id := r.PathValue("id")
	in := netOpFromForm(r)
	in.By = id
	var err error
	if in.Op == "rename" {
		_, err = s.netAccess.Rename(r.Context(), a, in.Key, keyward.NetRename{Name: in.Name, By: id})
	} else {
		_, err = s.netAccess.Apply(r.Context(), a, in)
	}
	if err != nil {
		return formRefused(err, func(st int) error {
			return s.renderAccessKey(w, r, a, st, err, postedValues(r, "op", "name", "holder_id", "key", "to", "from", "lock"))
		})
	}
	back := "/access/keys/" + url.PathEscape(id)
	if in.Op == "delete" {
		back = "/access/keys/" + url.PathEscape(in.Key)
	}
	return redirectFlash(w, r, back, netDone[in.Op])
}
