package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/keyward"
)

// clientCmd runs `keyward NOUN VERB …` against the API.
func (e *env) clientCmd(noun string, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, "usage: keyward %s VERB (see keyward help)\n", noun)
		return 2
	}
	verb, args := args[0], args[1:]
	c := client.New(e.server, e.token)
	fs := e.flags(noun + " " + verb)
	str := func(name, usage string) *string { return fs.String(name, "", usage) }
	var (
		method, path string
		query        = url.Values{}
		body         any
		out          any
		columns      []string
	)
	id := func() (string, bool) {
		if fs.NArg() != 1 {
			fmt.Fprintf(e.stderr, "usage: keyward %s %s ID\n", noun, verb)
			return "", false
		}
		return url.PathEscape(fs.Arg(0)), true
	}
	// parse lets flags come before or after the positional id.
	parse := func() bool {
		var pos []string
		rest := args
		for {
			if err := fs.Parse(rest); err != nil {
				return false
			}
			if fs.NArg() == 0 {
				break
			}
			pos = append(pos, fs.Arg(0))
			rest = fs.Args()[1:]
		}
		_ = fs.Parse(pos)
		return true
	}
	command := noun + " " + verb
	if m, ok := keyward.FindCustodyMove(verb); ok && noun == "keys" && m.Action != keyward.CustodyCheckout {
		command = "keys move" // one of keyward.CustodyMoves; check-out has flags of its own
	}
	switch command {
	case "sites list":
		method, path, columns = "GET", "/api/v1/sites", []string{"id", "name"}
	case "sites create":
		name := str("name", "site name")
		if !parse() {
			return 2
		}
		method, path, body, columns = "POST", "/api/v1/sites", keyward.SiteInput{Name: *name}, []string{"id", "name"}
	case "openings list":
		site := str("site", "site id")
		if !parse() {
			return 2
		}
		if *site != "" {
			query.Set("site_id", *site)
		}
		method, path, columns = "GET", "/api/v1/openings", []string{"id", "site_id", "name", "kind"}
	case "openings create":
		site, name, kind := str("site", "site id"), str("name", "name"), str("kind", "door|gate|cabinet|vehicle|other")
		if !parse() {
			return 2
		}
		method, path, body, columns = "POST", "/api/v1/openings", keyward.OpeningInput{SiteID: *site, Name: *name, Kind: *kind}, []string{"id", "site_id", "name", "kind"}
	case "keyways list":
		method, path, columns = "GET", "/api/v1/keyways", []string{"id", "name", "manufacturer", "duplication_policy"}
	case "keyways create":
		name, mf, pol := str("name", "name"), str("manufacturer", "manufacturer"), str("policy", "open|dnd|restricted")
		if !parse() {
			return 2
		}
		method, path, body, columns = "POST", "/api/v1/keyways", keyward.KeywayInput{Name: *name, Manufacturer: *mf, DuplicationPolicy: *pol}, []string{"id", "name", "manufacturer", "duplication_policy"}
	case "holders list":
		method, path, columns = "GET", "/api/v1/holders", []string{"id", "name", "email", "kind"}
	case "holders create":
		name, email, kind := str("name", "name"), str("email", "email"), str("kind", "staff|tenant|contractor|family|neighbour|other")
		if !parse() {
			return 2
		}
		method, path, body, columns = "POST", "/api/v1/holders", keyward.HolderInput{Name: *name, Email: *email, Kind: *kind}, []string{"id", "name", "email", "kind"}
	case "sites retire", "openings retire", "keyways retire", "holders retire", "sites restore", "openings restore", "keyways restore", "holders restore":
		// Retire hides the record from lists (DELETE never erases); restore brings it back.
		if !parse() {
			return 2
		}
		rid, ok := id()
		if !ok {
			return 2
		}
		method, path, columns = "DELETE", "/api/v1/"+noun+"/"+rid, []string{"id", "name", "retired_at"}
		if verb == "restore" {
			method, path = "POST", path+"/restore"
		}
	case "holders merge":
		into := str("into", "the holder who stays")
		if !parse() {
			return 2
		}
		hid, ok := id()
		if !ok {
			return 2
		}
		method, path, body, columns = "POST", "/api/v1/holders/"+hid+"/merge", keyward.MergeInput{Into: *into}, []string{"merged_id", "keys", "events"}
	case "holders keys":
		if !parse() {
			return 2
		}
		hid, ok := id()
		if !ok {
			return 2
		}
		method, path, columns = "GET", "/api/v1/holders/"+hid+"/keys", []string{"id", "stamp", "status", "due_at"}
	case "keys list":
		sym, status := str("symbol", "symbol"), str("status", "status")
		if !parse() {
			return 2
		}
		for k, v := range map[string]string{"symbol": *sym, "status": *status} {
			if v != "" {
				query.Set(k, v)
			}
		}
		method, path, columns = "GET", "/api/v1/keys", []string{"id", "stamp", "status", "holder_id", "due_at"}
	case "keys create":
		kw, sym := str("keyway", "keyway id"), str("symbol", "symbol, e.g. AA1")
		if !parse() {
			return 2
		}
		method, path, body, columns = "POST", "/api/v1/keys", keyward.KeyInput{KeywayID: *kw, Symbol: *sym}, []string{"id", "stamp", "status"}
	case "keys show", "keys history":
		if !parse() {
			return 2
		}
		kid, ok := id()
		if !ok {
			return 2
		}
		method, path, columns = "GET", "/api/v1/keys/"+kid, []string{"id", "stamp", "status", "holder_id", "due_at"}
		if verb == "history" {
			path += "/history"
			columns = []string{"at", "action", "actor", "holder_id", "note"}
		}
	case "keys checkout":
		holder, due, note := str("holder", "holder id"), str("due", "due time: RFC 3339 or a duration such as 4h"), str("note", "note")
		seal := str("new-seal", "the new seal of the sealed envelope the key is taken out of")
		if !parse() {
			return 2
		}
		kid, ok := id()
		if !ok {
			return 2
		}
		t, err := parseDue(*due)
		if err != nil {
			fmt.Fprintln(e.stderr, "keyward: --due:", err)
			return 2
		}
		in := map[string]any{"holder_id": *holder, "due_at": t, "note": *note}
		if *seal != "" {
			in["new_seal_number"] = *seal
		}
		method, path, body, columns = "POST", "/api/v1/keys/"+kid+"/checkout", in, []string{"id", "stamp", "status", "holder_id", "due_at"}
	case "keys move":
		holder, note := str("holder", "holder id (issue, transfer)"), str("note", "note")
		seal := str("new-seal", "the new seal of the sealed envelope the key is taken out of or put back in")
		if !parse() {
			return 2
		}
		kid, ok := id()
		if !ok {
			return 2
		}
		in := map[string]string{}
		if *note != "" {
			in["note"] = *note
		}
		if *holder != "" {
			in["holder_id"] = *holder
		}
		if *seal != "" {
			in["new_seal_number"] = *seal
		}
		method, path, body, columns = "POST", "/api/v1/keys/"+kid+"/"+verb, in, []string{"id", "stamp", "status", "holder_id", "due_at"}
	default:
		fmt.Fprintf(e.stderr, "keyward: unknown command %q\n", noun+" "+verb)
		return 2
	}
	if err := c.Do(e.ctx, method, path, query, body, &out); err != nil {
		return e.fail(err)
	}
	return e.print(out, columns)
}

func parseDue(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("is required")
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d).UTC(), nil
	}
	return time.Parse(time.RFC3339, s)
}

// print writes JSON for scripts or a table for people.
func (e *env) print(v any, columns []string) int {
	if e.json {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return 0
	}
	var rows []map[string]any
	switch t := v.(type) {
	case map[string]any:
		if items, ok := t["items"].([]any); ok {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					rows = append(rows, m)
				}
			}
		} else {
			rows = []map[string]any{t}
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t")))
	for _, r := range rows {
		cells := make([]string, len(columns))
		for i, c := range columns {
			if r[c] != nil {
				cells[i] = fmt.Sprint(r[c])
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	if m, ok := v.(map[string]any); ok {
		if next, _ := m["next"].(string); next != "" {
			fmt.Fprintf(e.stdout, "(more: --json shows the next cursor %s)\n", next)
		}
	}
	return 0
}
