package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/when"
)

// clientCommands are `keyward NOUN VERB …`, clients of the API: sites,
// openings, keyways, holders and keys.
func (e *env) clientCommands() []*cobra.Command {
	return []*cobra.Command{e.sitesCommand(), e.openingsCommand(), e.keywaysCommand(), e.holdersCommand(), e.keysCommand(), e.loadCommand()}
}

// kind is one kind of directory record as the CLI shows it.
type kind[T any] struct {
	plural, one string // "sites", "site"
	path        string // "/api/v1/sites"
	header      []string
	row         func(a *api, t T) ([]string, error)
	// label names one record in a sentence ("Depot", "Jane Doe <jane@example.com>").
	label func(a *api, t T) (string, error)
	// id finds the record a person named; retired looks among retired ones too.
	id func(a *api, ref string, retired bool) (string, error)
	// arg is how the help names the argument ("SITE").
	arg string
	// prepare, when set, reads at once what the rows of items will name.
	prepare func(a *api, items []T) error
}

// printList prints a page (or all pages) of a list: JSON as the API said, or a table.
func printList[T any](a *api, k kind[T], raw []json.RawMessage, next string) int {
	if a.e.json {
		return a.e.printJSON(keyward.Page[json.RawMessage]{Items: raw, Next: next})
	}
	items, err := decodeAll[T](raw)
	if err != nil {
		return a.e.fail(err)
	}
	if k.prepare != nil {
		if err := k.prepare(a, items); err != nil {
			return a.e.fail(err)
		}
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		r, err := k.row(a, it)
		if err != nil {
			return a.e.fail(err)
		}
		rows = append(rows, r)
	}
	a.e.table(k.plural, k.header, rows)
	if next != "" {
		fmt.Fprintf(a.e.stdout, "More %s follow: add --all to list them all.\n", k.plural)
	}
	return 0
}

// printOne prints one record: JSON as the API said, or a one-row table.
func printOne[T any](a *api, k kind[T], raw json.RawMessage) int {
	if a.e.json {
		return a.e.printJSON(raw)
	}
	return printList(a, k, []json.RawMessage{raw}, "")
}

// listVerb is `NOUN list`; query adds the command's filters.
func listVerb[T any](e *env, k kind[T], query func(a *api) (url.Values, error), flags func(c *cobra.Command)) *cobra.Command {
	var l listFlags
	var retired bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List " + k.plural + " (50 at a time; --all for every one)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			a := e.api()
			q := url.Values{}
			if query != nil {
				var err error
				if q, err = query(a); err != nil {
					return status(e.fail(err))
				}
			}
			if retired {
				q.Set("include_retired", "true")
			}
			raw, next, err := a.list(l, k.path, q)
			if err != nil {
				return status(e.fail(err))
			}
			return status(printList(a, k, raw, next))
		},
	}
	l.add(c)
	if k.path != "/api/v1/keys" {
		c.Flags().BoolVar(&retired, "retired", false, "list retired "+k.plural+" too")
	}
	if flags != nil {
		flags(c)
	}
	return c
}

// createVerb is `NOUN create`: body builds the request from the flags.
func createVerb[T any](e *env, k kind[T], use, long string, flags func(c *cobra.Command), body func(a *api) (any, error)) *cobra.Command {
	c := &cobra.Command{
		Use:   "create " + use,
		Short: "Create a " + k.one,
		Long:  long,
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			a := e.api()
			in, err := body(a)
			if err != nil {
				return status(e.fail(err))
			}
			var raw json.RawMessage
			if err := a.c.Do(e.ctx, "POST", k.path, nil, in, &raw); err != nil {
				return status(e.fail(err))
			}
			return status(printOne(a, k, raw))
		},
	}
	flags(c)
	return c
}

// retireVerbs are `NOUN retire REF` and `NOUN restore REF`: retiring hides a
// record from the lists (it is never erased); restoring brings it back.
func retireVerbs[T any](e *env, k kind[T], flags func(c *cobra.Command)) []*cobra.Command {
	verb := func(name, short string) *cobra.Command {
		c := &cobra.Command{
			Use:   name + " " + k.arg,
			Short: short,
			Args:  oneArg(k.arg),
			RunE: func(_ *cobra.Command, args []string) error {
				a := e.api()
				id, err := k.id(a, args[0], name == "restore")
				if err != nil {
					return status(e.fail(err))
				}
				method, path := "DELETE", k.path+"/"+url.PathEscape(id)
				if name == "restore" {
					method, path = "POST", path+"/restore"
				}
				var raw json.RawMessage
				if err := a.c.Do(e.ctx, method, path, nil, nil, &raw); err != nil {
					return status(e.fail(err))
				}
				if e.json {
					return status(e.printJSON(raw))
				}
				var t T
				if err := json.Unmarshal(raw, &t); err != nil {
					return status(e.fail(err))
				}
				label, err := k.label(a, t)
				if err != nil {
					return status(e.fail(err))
				}
				past := map[string]string{"retire": "Retired", "restore": "Restored"}[name]
				fmt.Fprintf(e.stdout, "%s %s %s.\n", past, k.one, label)
				return nil
			},
		}
		if flags != nil {
			flags(c)
		}
		return c
	}
	return []*cobra.Command{
		verb("retire", "Retire a "+k.one+": gone from the lists, kept with its history"),
		verb("restore", "Bring a retired "+k.one+" back"),
	}
}

func plainName[T any](name func(T) string) func(*api, T) (string, error) {
	return func(_ *api, t T) (string, error) { return name(t), nil }
}

var sites = kind[keyward.Site]{
	plural: "sites", one: "site", path: "/api/v1/sites", arg: "SITE",
	header: []string{"NAME", "ADDRESS"},
	row:    func(_ *api, s keyward.Site) ([]string, error) { return []string{s.Name, s.Address}, nil },
	label:  plainName(func(s keyward.Site) string { return s.Name }),
	id:     (*api).siteID,
}

func (e *env) sitesCommand() *cobra.Command {
	var in keyward.SiteInput
	create := createVerb(e, sites, "--name NAME [--address TEXT]", "", func(c *cobra.Command) {
		c.Flags().StringVar(&in.Name, "name", "", "the site's name")
		c.Flags().StringVar(&in.Address, "address", "", "its address")
	}, func(*api) (any, error) { return in, nil })
	return group("sites", "Sites: the buildings and grounds the doors are in",
		"SITE is a site's name (any case; part of it when only one name has that part).",
		append([]*cobra.Command{listVerb(e, sites, nil, nil), create}, retireVerbs(e, sites, nil)...)...)
}

func (e *env) openingsCommand() *cobra.Command {
	openings := kind[keyward.Opening]{
		plural: "openings", one: "opening", path: "/api/v1/openings", arg: "OPENING",
		header: []string{"NAME", "SITE", "KIND"},
		row: func(a *api, o keyward.Opening) ([]string, error) {
			site, err := a.siteName(o.SiteID)
			return []string{o.Name, site, o.Kind}, err
		},
		label: func(a *api, o keyward.Opening) (string, error) {
			site, err := a.siteName(o.SiteID)
			return o.Name + " at " + site, err
		},
	}
	var site string
	openings.id = func(a *api, ref string, retired bool) (string, error) { return a.openingID(ref, site, retired) }
	siteFlag := func(usage string) func(c *cobra.Command) {
		return func(c *cobra.Command) { c.Flags().StringVar(&site, "site", "", usage) }
	}
	list := listVerb(e, openings, func(a *api) (url.Values, error) {
		q := url.Values{}
		if site != "" {
			id, err := a.siteID(site, false)
			if err != nil {
				return nil, err
			}
			q.Set("site_id", id)
		}
		return q, nil
	}, siteFlag("only the openings of this SITE"))
	var in keyward.OpeningInput
	create := createVerb(e, openings, "--site SITE --name NAME --kind "+strings.Join(keyward.OpeningKinds, "|"), "", func(c *cobra.Command) {
		siteFlag("the SITE the opening is in")(c)
		c.Flags().StringVar(&in.Name, "name", "", "the opening's name, e.g. Front door")
		c.Flags().StringVar(&in.Kind, "kind", "", strings.Join(keyward.OpeningKinds, ", "))
	}, func(a *api) (any, error) {
		if site != "" {
			id, err := a.siteID(site, false)
			if err != nil {
				return nil, err
			}
			in.SiteID = id
		}
		return in, nil
	})
	return group("openings", "Openings: doors, gates, cabinets, vehicles",
		"OPENING is an opening's name; when two sites have one of that name, --site SITE says which.",
		append([]*cobra.Command{list, create}, retireVerbs(e, openings, siteFlag("the SITE the opening is in, when the name is not enough"))...)...)
}

// policyWords are the duplication policies in words.
var policyWords = map[string]string{"open": "open", "dnd": "do not duplicate", "restricted": "restricted"}

var keyways = kind[keyward.Keyway]{
	plural: "keyways", one: "keyway", path: "/api/v1/keyways", arg: "KEYWAY",
	header: []string{"NAME", "MANUFACTURER", "COPYING"},
	row: func(_ *api, k keyward.Keyway) ([]string, error) {
		return []string{k.Name, k.Manufacturer, policyWords[k.DuplicationPolicy]}, nil
	},
	label: plainName(func(k keyward.Keyway) string { return k.Name }),
	id:    (*api).keywayID,
}

func (e *env) keywaysCommand() *cobra.Command {
	var in keyward.KeywayInput
	create := createVerb(e, keyways, "--name NAME [--manufacturer M] --policy open|dnd|restricted",
		"--policy says who may copy keys of the keyway: open (anyone), dnd (a \"do not duplicate\"\nrequest) or restricted (a registered signatory only).",
		func(c *cobra.Command) {
			c.Flags().StringVar(&in.Name, "name", "", "the keyway's name, e.g. Schlage SC1")
			c.Flags().StringVar(&in.Manufacturer, "manufacturer", "", "its manufacturer")
			c.Flags().StringVar(&in.DuplicationPolicy, "policy", "", "open, dnd or restricted")
		}, func(*api) (any, error) { return in, nil })
	return group("keyways", "Keyways: the key blank profiles, and who may copy them",
		"KEYWAY is a keyway's name.",
		append([]*cobra.Command{listVerb(e, keyways, nil, nil), create}, retireVerbs(e, keyways, nil)...)...)
}

var holders = kind[keyward.Holder]{
	plural: "holders", one: "holder", path: "/api/v1/holders", arg: "HOLDER",
	header: []string{"NAME", "EMAIL", "PHONE", "KIND"},
	row: func(_ *api, h keyward.Holder) ([]string, error) {
		return []string{h.Name, h.Email, h.Phone, h.Kind}, nil
	},
	label: plainName(keyward.HolderLabel),
	id:    (*api).holderID,
}

const holderLong = `HOLDER is a holder's email, or their name (part of it when only one name has
that part). When two holders share a name, the command lists them with their
emails: give the email instead.`

func (e *env) holdersCommand() *cobra.Command {
	var in keyward.HolderInput
	create := createVerb(e, holders, "--name NAME --email EMAIL [--phone P] [--kind KIND]", "", func(c *cobra.Command) {
		c.Flags().StringVar(&in.Name, "name", "", "the holder's name")
		c.Flags().StringVar(&in.Email, "email", "", "their email")
		c.Flags().StringVar(&in.Phone, "phone", "", "their phone number")
		c.Flags().StringVar(&in.Kind, "kind", "", strings.Join(keyward.HolderKinds, ", "))
	}, func(*api) (any, error) { return in, nil })
	var into string
	merge := &cobra.Command{
		Use:   "merge HOLDER --into HOLDER",
		Short: "Merge a duplicate holder into the one who stays",
		Long: `Moves every key, check-out, logbook line, credential and storage place of the
first HOLDER to the one named by --into, and retires the first.

` + holderLong,
		Args: oneArg("HOLDER"),
		RunE: func(_ *cobra.Command, args []string) error {
			a := e.api()
			from, err := a.holderID(args[0], false)
			if err != nil {
				return status(e.fail(err))
			}
			to := ""
			if into != "" {
				if to, err = a.holderID(into, false); err != nil {
					return status(e.fail(err))
				}
			}
			var raw json.RawMessage
			if err := a.c.Do(e.ctx, "POST", "/api/v1/holders/"+url.PathEscape(from)+"/merge", nil, keyward.MergeInput{Into: to}, &raw); err != nil {
				return status(e.fail(err))
			}
			if e.json {
				return status(e.printJSON(raw))
			}
			var m keyward.Merged
			if err := json.Unmarshal(raw, &m); err != nil {
				return status(e.fail(err))
			}
			gone, err := a.holder(from)
			if err != nil {
				return status(e.fail(err))
			}
			fmt.Fprintf(e.stdout, "Merged %s into %s: %d keys, %d logbook lines, %d credentials and %d storage places moved.\n",
				keyward.HolderLabel(gone), keyward.HolderLabel(m.Holder), m.Keys, m.Events, m.Credentials, m.Storage)
			return nil
		},
	}
	merge.Flags().StringVar(&into, "into", "", "the HOLDER who stays")
	keys := &cobra.Command{
		Use:   "keys HOLDER",
		Short: "The keys a holder has now",
		Long:  holderLong,
		Args:  oneArg("HOLDER"),
		RunE: func(_ *cobra.Command, args []string) error {
			a := e.api()
			id, err := a.holderID(args[0], false)
			if err != nil {
				return status(e.fail(err))
			}
			raw, _, err := a.list(listFlags{}, "/api/v1/holders/"+url.PathEscape(id)+"/keys", nil)
			if err != nil {
				return status(e.fail(err))
			}
			heldKeys := keysKind
			heldKeys.header, heldKeys.row = []string{"KEY", "STATUS", "DUE BACK"}, func(a *api, k keyward.Key) ([]string, error) {
				due, err := a.due(k)
				return []string{k.Stamp, words(k.Status), due}, err
			}
			return status(printList(a, heldKeys, raw, ""))
		},
	}
	return group("holders", "Holders: the people keys are handed to", holderLong,
		append([]*cobra.Command{listVerb(e, holders, nil, nil), create, merge, keys}, retireVerbs(e, holders, nil)...)...)
}

var keysKind = kind[keyward.Key]{
	plural: "keys", one: "key", path: "/api/v1/keys",
	header: []string{"KEY", "STATUS", "HOLDER", "DUE BACK"},
	row: func(a *api, k keyward.Key) ([]string, error) {
		name, err := a.holderName(k.HolderID)
		if err != nil {
			return nil, err
		}
		due, err := a.due(k)
		return []string{k.Stamp, words(k.Status), name, due}, err
	},
	prepare: func(a *api, keys []keyward.Key) error {
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.HolderID
		}
		return a.knowHolders(ids)
	},
}

const keyLong = `KEY is the stamp on the key as printed (AA3-1), in any case, with or without
the dash; a symbol alone (AA3) names its only copy.

` + holderLong

func (e *env) keysCommand() *cobra.Command {
	var symbol, st, holder string
	list := listVerb(e, keysKind, func(a *api) (url.Values, error) {
		q := url.Values{}
		if symbol != "" {
			q.Set("symbol", symbol)
		}
		if st != "" {
			q.Set("status", strings.ReplaceAll(strings.TrimSpace(st), " ", "_"))
		}
		if holder != "" {
			id, err := a.holderID(holder, false)
			if err != nil {
				return nil, err
			}
			q.Set("holder_id", id)
		}
		return q, nil
	}, func(c *cobra.Command) {
		c.Flags().StringVar(&symbol, "symbol", "", "only copies of this symbol, e.g. AA1")
		c.Flags().StringVar(&st, "status", "", "only keys in this status: "+strings.Join(keyward.KeyStatuses, ", "))
		c.Flags().StringVar(&holder, "holder", "", "only the keys this HOLDER has")
	})
	var in keyward.KeyInput
	var keyway string
	created := keysKind
	created.header, created.row = []string{"KEY", "KEYWAY", "STATUS"}, func(a *api, k keyward.Key) ([]string, error) {
		kw, err := a.keywayName(k.KeywayID)
		return []string{k.Stamp, kw, words(k.Status)}, err
	}
	create := createVerb(e, created, "--keyway KEYWAY --symbol SYMBOL [--copy N]", "Stamps a new copy: without --copy it gets the next free copy number of its symbol.", func(c *cobra.Command) {
		c.Flags().StringVar(&keyway, "keyway", "", "the KEYWAY (key blank) it is cut on")
		c.Flags().StringVar(&in.Symbol, "symbol", "", "the symbol stamped on it, e.g. AA1")
		c.Flags().IntVar(&in.CopyNumber, "copy", 0, "its copy number (default: the next free one)")
	}, func(a *api) (any, error) {
		if keyway != "" {
			id, err := a.keywayID(keyway, false)
			if err != nil {
				return nil, err
			}
			in.KeywayID = id
		}
		return in, nil
	})
	verbs := []*cobra.Command{list, create, e.keyShow(), e.keyHistory()}
	for _, m := range keyward.CustodyMoves {
		verbs = append(verbs, e.keyMove(m))
	}
	return group("keys", "Keys: stamp copies, check them out and in, read their logbook", keyLong, verbs...)
}

func (e *env) keyShow() *cobra.Command {
	return &cobra.Command{
		Use:               "show KEY",
		Short:             "Where a key is now: its status, holder and due time",
		Long:              keyLong,
		Args:              oneArg("KEY"),
		ValidArgsFunction: e.completeKey,
		RunE: func(_ *cobra.Command, args []string) error {
			a := e.api()
			id, err := a.keyID(args[0])
			if err != nil {
				return status(e.fail(err))
			}
			var raw json.RawMessage
			if err := a.get("/api/v1/keys/"+url.PathEscape(id), nil, &raw); err != nil {
				return status(e.fail(err))
			}
			if e.json {
				return status(e.printJSON(raw))
			}
			var k keyward.Key
			if err := json.Unmarshal(raw, &k); err != nil {
				return status(e.fail(err))
			}
			kw, err := a.keywayName(k.KeywayID)
			if err != nil {
				return status(e.fail(err))
			}
			h, err := a.holder(k.HolderID)
			if err != nil {
				return status(e.fail(err))
			}
			holder := ""
			if h.ID != "" {
				holder = keyward.HolderLabel(h)
			}
			due, err := a.due(k)
			if err != nil {
				return status(e.fail(err))
			}
			e.fields("Key", k.Stamp, "Keyway", kw, "Status", words(k.Status), "Holder", holder, "Due back", due)
			return nil
		},
	}
}

// actionWords are the logbook's verbs in words.
var actionWords = map[string]string{
	keyward.CustodyCreate: "created", keyward.CustodyIssue: "issued", keyward.CustodyReturn: "returned",
	keyward.CustodyTransfer: "transferred", keyward.CustodyCheckout: "checked out", keyward.CustodyCheckin: "checked in",
	keyward.CustodyLost: "reported lost", keyward.CustodyFound: "found", keyward.CustodyDestroy: "destroyed",
}

func actionText(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	return words(action)
}

func (e *env) keyHistory() *cobra.Command {
	var l listFlags
	c := &cobra.Command{
		Use:               "history KEY",
		Short:             "A key's logbook, oldest first: who had it when",
		Long:              keyLong,
		Args:              oneArg("KEY"),
		ValidArgsFunction: e.completeKey,
		RunE: func(_ *cobra.Command, args []string) error {
			a := e.api()
			id, err := a.keyID(args[0])
			if err != nil {
				return status(e.fail(err))
			}
			raw, next, err := a.list(l, "/api/v1/keys/"+url.PathEscape(id)+"/history", nil)
			if err != nil {
				return status(e.fail(err))
			}
			events := kind[keyward.Event]{
				plural: "logbook lines", header: []string{"WHEN", "WHAT", "HOLDER", "DUE BACK", "BY", "NOTE"},
				row: func(a *api, ev keyward.Event) ([]string, error) {
					at, err := a.when(&ev.At)
					if err != nil {
						return nil, err
					}
					holder, err := a.holderName(ev.HolderID)
					if err != nil {
						return nil, err
					}
					if ev.FromHolderID != "" {
						from, err := a.holderName(ev.FromHolderID)
						if err != nil {
							return nil, err
						}
						holder = "from " + from + " to " + holder
					}
					due, err := a.when(ev.DueAt)
					return []string{at, actionText(ev.Action), holder, due, ev.Actor, ev.Note}, err
				},
				prepare: func(a *api, evs []keyward.Event) error {
					var ids []string
					for _, ev := range evs {
						ids = append(ids, ev.HolderID, ev.FromHolderID)
					}
					return a.knowHolders(ids)
				},
			}
			return status(printList(a, events, raw, next))
		},
	}
	l.add(c)
	return c
}

// keyMove is the verb of one custody move (keyward.CustodyMoves): check-out
// takes a holder and a due time, the moves that hand the key to someone a
// holder, every move a note.
func (e *env) keyMove(m keyward.CustodyMove) *cobra.Command {
	var holder, due, note, seal string
	use, short := m.Action+" KEY", "Record that a key was "+actionText(m.Action)
	switch {
	case m.Action == keyward.CustodyCheckout:
		use, short = m.Action+" KEY --holder HOLDER --due WHEN", "Lend a key until a due time"
	case m.Holder:
		use += " --holder HOLDER"
	}
	long := keyLong
	if m.Action == keyward.CustodyCheckout {
		long += "\n\nWHEN is a span from now (4h, 90m, 2d, 1w), a time today or tomorrow (17:00,\n5pm, tomorrow 9:00), a date and time ('2026-12-20 17:00'), on the organization's\nclock, or RFC 3339 with its own offset."
	}
	c := &cobra.Command{
		Use:               use,
		Short:             short,
		Long:              long,
		Args:              oneArg("KEY"),
		ValidArgsFunction: e.completeKey,
		RunE: func(_ *cobra.Command, args []string) error {
			a := e.api()
			in := map[string]any{}
			if note != "" {
				in["note"] = note
			}
			if seal != "" {
				in["new_seal_number"] = seal
			}
			if m.Action == keyward.CustodyCheckout {
				zone, err := a.clock()
				if err != nil {
					return status(e.fail(err))
				}
				t, err := when.ParseDue(due, time.Now(), zone)
				if err != nil {
					fmt.Fprintln(e.stderr, "keyward: --due:", err)
					return exitCode(2)
				}
				in["due_at"] = t
			}
			if m.Holder {
				if strings.TrimSpace(holder) == "" {
					fmt.Fprintln(e.stderr, "keyward: --holder: say who gets the key: an email or a name")
					return exitCode(2)
				}
				id, err := a.holderID(holder, false)
				if err != nil {
					return status(e.fail(err))
				}
				in["holder_id"] = id
			}
			id, err := a.keyID(args[0])
			if err != nil {
				return status(e.fail(err))
			}
			var raw json.RawMessage
			if err := a.c.Do(e.ctx, "POST", "/api/v1/keys/"+url.PathEscape(id)+"/"+m.Action, nil, in, &raw); err != nil {
				return status(e.fail(err))
			}
			if e.json {
				return status(e.printJSON(raw))
			}
			var k keyward.Key
			if err := json.Unmarshal(raw, &k); err != nil {
				return status(e.fail(err))
			}
			return status(e.moved(a, m.Action, k))
		},
	}
	if m.Holder {
		c.Flags().StringVar(&holder, "holder", "", "the HOLDER who gets the key: an email or a name")
		_ = c.RegisterFlagCompletionFunc("holder", e.completeHolder)
	}
	if m.Action == keyward.CustodyCheckout {
		c.Flags().StringVar(&due, "due", "", "WHEN it is due back: 4h, 2d, 17:00, '2026-12-20 17:00'")
	}
	c.Flags().StringVar(&note, "note", "", "a note for the logbook")
	if m.Action != keyward.CustodyTransfer && m.Action != keyward.CustodyLost {
		// A key kept in a sealed envelope leaves it, or goes back in, only with a new seal.
		c.Flags().StringVar(&seal, "new-seal", "", "the NUMBER of the new seal on the envelope the key is taken out of or put back in")
	}
	return c
}

// moved says in a sentence what a move did: "Checked out AA3-1 to Jane Doe,
// due back Sun 6 Dec 2026 18:05."
func (e *env) moved(a *api, action string, k keyward.Key) int {
	s := actionText(action)
	s = strings.ToUpper(s[:1]) + s[1:] + " " + k.Stamp
	if k.HolderID != "" && keyward.Held(k.Status) {
		name, err := a.holderName(k.HolderID)
		if err != nil {
			return e.fail(err)
		}
		s += " to " + name
	}
	due, err := a.due(k)
	if err != nil {
		return e.fail(err)
	}
	switch {
	case due != "":
		s += ", due back " + due
	case k.Status == keyward.StatusInStorage:
		s += ", back in storage"
	}
	fmt.Fprintln(e.stdout, s+".")
	return 0
}
