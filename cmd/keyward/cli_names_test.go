package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/client"
	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
	"github.com/keyward/keyward/internal/when"
)

// cliServer starts `keyward serve` on a fresh database of the target with an
// organization on Berlin's clock, and returns the environment of an API
// client command (server and token) and the token.
func cliServer(t *testing.T, tg cliTarget, extra map[string]string) (map[string]string, string) {
	t.Helper()
	keyFileFor(t, tg)
	env := map[string]string{"KEYWARD_SCHEDULER_INTERVAL": "1h"}
	for k, v := range tg.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	mustRun(t, env, "init", "--org", "Acme", "--admin-email", "o@acme.test", "--time-zone", "Europe/Berlin")
	lines := strings.Split(strings.TrimSpace(mustRun(t, env, "token", "create", "--user", "o@acme.test", "--name", "cli")), "\n")
	token := lines[len(lines)-1]
	base := startServe(t, env)
	return map[string]string{"KEYWARD_SERVER": base, "KEYWARD_TOKEN": token}, token
}

// cli runs one API client command and keeps everything it printed.
type cli struct {
	t   *testing.T
	env map[string]string
	all strings.Builder
}

func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	code, out, errOut := runCmd(c.t, context.Background(), c.env, "", args...)
	c.all.WriteString(out + errOut)
	return code, out, errOut
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != 0 {
		c.t.Fatalf("keyward %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

var (
	anyID     = regexp.MustCompile(`\b(key|hld|site|opn|kwy|evt|usr)_[0-9a-z]{16}\b`)
	utcStamp  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}`)
	localTime = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}`)
)

// TestCLIDayWithoutIDs: a day's work through the CLI against a real server,
// naming keys by stamp and holders by email or name: list, check out for 4h,
// check in, read the history. Everything printed names people and keys, shows
// times on the organization's clock, and holds no internal id.
func TestCLIDayWithoutIDs(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		tg := target(t)
		cenv, token := cliServer(t, tg, nil)
		c := &cli{t: t, env: cenv}
		c.ok("sites", "create", "--name", "Elm Street", "--address", "1 Elm St")
		c.ok("openings", "create", "--site", "elm street", "--name", "Front door", "--kind", "door")
		c.ok("keyways", "create", "--name", "Schlage SC1", "--policy", "open")
		c.ok("holders", "create", "--name", "Jane Doe", "--email", "jane@example.com")
		c.ok("holders", "create", "--name", "Jane Doe", "--email", "jdoe@example.org")
		c.ok("holders", "create", "--name", "Bob Stone", "--email", "bob@example.com")
		c.ok("keys", "create", "--keyway", "schlage sc1", "--symbol", "AA3")
		c.ok("keys", "create", "--keyway", "SC1", "--symbol", "AA3")

		list := c.ok("keys", "list")
		if !strings.Contains(list, "AA3-1") || !strings.Contains(list, "AA3-2") || !strings.Contains(list, "in storage") {
			t.Fatalf("keys list:\n%s", list)
		}
		// The outside contract's words, exactly.
		start := time.Now()
		out := c.ok("keys", "checkout", "AA3-1", "--holder", "jane@example.com", "--due", "4h")
		m := regexp.MustCompile(`^Checked out AA3-1 to Jane Doe, due back (.+)\.\n$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("checkout said %q", out)
		}
		berlin, _ := time.LoadLocation("Europe/Berlin")
		due, err := time.ParseInLocation(when.Layout, m[1], berlin)
		if want := start.Add(4 * time.Hour); err != nil || due.Before(want.Add(-time.Minute)) || due.After(want.Add(2*time.Minute)) {
			t.Fatalf("due back %q (%v), want about %s on Berlin's clock", m[1], err, when.Format(want, berlin))
		}
		// Any case, no dash; a holder by a name only they have; a date and time on the organization's clock.
		out = c.ok("keys", "checkout", "aa32", "--holder", "bob stone", "--due", "2030-01-02 17:00")
		if out != "Checked out AA3-2 to Bob Stone, due back Wed 2 Jan 2030 17:00.\n" {
			t.Fatalf("checkout by lower-case stamp said %q", out)
		}
		var k keyward.Key
		_, js, _ := runCmd(t, context.Background(), cenv, "", "keys", "show", "AA3-2", "--json") // scripts get the API's JSON, ids and all
		if err := json.Unmarshal([]byte(js), &k); err != nil || k.DueAt == nil || !k.DueAt.Equal(time.Date(2030, 1, 2, 16, 0, 0, 0, time.UTC)) {
			t.Fatalf("AA3-2 is due %v (%v), want 17:00 in Berlin", k.DueAt, err)
		}
		list = c.ok("keys", "list")
		for _, want := range []string{"checked out", "Jane Doe", "Bob Stone", "Wed 2 Jan 2030 17:00"} {
			if !strings.Contains(list, want) {
				t.Fatalf("keys list misses %q:\n%s", want, list)
			}
		}
		if out := c.ok("holders", "keys", "Bob Stone"); !strings.Contains(out, "AA3-2") || strings.Contains(out, "AA3-1") {
			t.Fatalf("holders keys Bob Stone:\n%s", out)
		}
		show := c.ok("keys", "show", "aa3-2")
		for _, want := range []string{"AA3-2", "Schlage SC1", "checked out", "Bob Stone <bob@example.com>", "Wed 2 Jan 2030 17:00"} {
			if !strings.Contains(show, want) {
				t.Fatalf("keys show misses %q:\n%s", want, show)
			}
		}
		if out := c.ok("keys", "checkin", "AA3-1"); out != "Checked in AA3-1, back in storage.\n" {
			t.Fatalf("checkin said %q", out)
		}
		// History with the server and token as flags and a trailing --data, as the outside contract runs it.
		hc := &cli{t: t, env: map[string]string{}}
		history := hc.ok("keys", "history", "AA3-1", "--server", cenv["KEYWARD_SERVER"], "--token", token, "--data", t.TempDir())
		c.all.WriteString(history)
		lines := strings.Split(strings.TrimSpace(history), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "WHEN") {
			t.Fatalf("history:\n%s", history)
		}
		for i, want := range []string{"created", "checked out", "checked in"} {
			row := lines[i+1]
			if !strings.Contains(row, want) || !localTime.MatchString(row) || !strings.Contains(row, "o@acme.test") {
				t.Errorf("history line %d %q: want %q at a local time, by o@acme.test", i+1, row, want)
			}
		}
		if !strings.Contains(lines[2], "Jane Doe") || !strings.Contains(lines[3], "Jane Doe") {
			t.Errorf("history does not name the holder:\n%s", history)
		}
		if everything := c.all.String(); anyID.MatchString(everything) || utcStamp.MatchString(everything) {
			t.Fatalf("an internal id or a raw UTC time reached the output: %q %q\n%s", anyID.FindString(everything), utcStamp.FindString(everything), everything)
		}
	})
}

// TestCLINamesRefusedInWords: a name that fits two holders, a bad due time,
// a stamp on no key and a symbol on two keys are refused in words, and
// change nothing.
func TestCLINamesRefusedInWords(t *testing.T) {
	tg := sqliteTarget(t, storetest.SQLite(t))
	cenv, _ := cliServer(t, tg, nil)
	c := &cli{t: t, env: cenv}
	c.ok("keyways", "create", "--name", "SC1", "--policy", "open")
	c.ok("holders", "create", "--name", "Jane Doe", "--email", "jane@example.com")
	c.ok("holders", "create", "--name", "JANE DOE", "--email", "jdoe@example.org")
	c.ok("keys", "create", "--keyway", "SC1", "--symbol", "AA3")
	c.ok("keys", "create", "--keyway", "SC1", "--symbol", "AA3")
	for _, tc := range []struct {
		args []string
		code int
		says []string
	}{
		{[]string{"keys", "checkout", "AA3-1", "--holder", "jane doe", "--due", "4h"}, 1,
			[]string{`2 holders match "jane doe"`, "Jane Doe <jane@example.com>", "JANE DOE <jdoe@example.org>", "give the email instead"}},
		{[]string{"keys", "checkout", "AA3-1", "--holder", "jane@example.com", "--due", "2026-12-20T17"}, 2,
			[]string{"keyward: --due: say when the key is due back, e.g. 4h, 2d, '2026-12-20 17:00'"}},
		{[]string{"keys", "checkout", "AA3-1", "--holder", "jane@example.com", "--due", "2001-01-01 09:00"}, 2,
			[]string{"keyward: --due: Mon 1 Jan 2001 09:00 has already passed; say when the key is due back"}},
		{[]string{"keys", "checkout", "AA3-1", "--holder", "jane@example.com"}, 2,
			[]string{"keyward: --due: say when the key is due back"}},
		{[]string{"keys", "checkout", "AA3", "--holder", "jane@example.com", "--due", "4h"}, 1,
			[]string{`"AA3" is stamped on 2 keys: AA3-1 and AA3-2; say which copy`}},
		{[]string{"keys", "checkout", "AA3-1", "--due", "4h"}, 2, []string{"keyward: --holder: say who gets the key: an email or a name"}},
		{[]string{"keys", "transfer", "AA3-1"}, 2, []string{"keyward: --holder: say who gets the key"}},
		{[]string{"keys", "checkin", "ZZ9-1"}, 1, []string{`No key is stamped "ZZ9-1".`}},
		{[]string{"keys", "issue", "AA3-1", "--holder", "nobody@example.com"}, 1, []string{`No holder has the email "nobody@example.com".`}},
		{[]string{"keys", "create", "--keyway", "Medeco", "--symbol", "B1"}, 1, []string{`No keyway is named "Medeco".`}},
	} {
		code, out, errOut := c.run(tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, errOut)
		}
		for _, s := range tc.says {
			if !strings.Contains(errOut, s) {
				t.Errorf("%v: stderr %q misses %q", tc.args, errOut, s)
			}
		}
		for _, layout := range []string{"parsing time", "2006-01-02", "cannot parse"} {
			if strings.Contains(errOut, layout) {
				t.Errorf("%v: Go's layout text: %q", tc.args, errOut)
			}
		}
	}
	if out := c.ok("keys", "list"); strings.Contains(out, "checked out") || strings.Contains(out, "issued") {
		t.Fatalf("a refused command changed a key:\n%s", out)
	}
	// Shell completion asks the server: the stamps for a KEY, the emails for a HOLDER.
	if out := c.ok("__complete", "keys", "checkout", "aa3-"); !strings.HasPrefix(out, "AA3-1\tin storage\nAA3-2\tin storage\n:4\n") {
		t.Fatalf("completing a stamp: %q", out)
	}
	if out := c.ok("__complete", "keys", "checkout", "AA3-1", "--holder", "jane"); !strings.Contains(out, "jane@example.com\tJane Doe\n") || !strings.Contains(out, "jdoe@example.org\tJANE DOE\n") {
		t.Fatalf("completing a holder: %q", out)
	}
}

// TestCLIDirectoryByName: sites, doors, keyways and holders are retired,
// restored and merged by name or email; a door name two sites share is
// refused naming both sites, and --site says which.
func TestCLIDirectoryByName(t *testing.T) {
	tg := sqliteTarget(t, storetest.SQLite(t))
	cenv, _ := cliServer(t, tg, nil)
	c := &cli{t: t, env: cenv}
	c.ok("sites", "create", "--name", "Elm Street")
	c.ok("sites", "create", "--name", "Oak Avenue")
	c.ok("openings", "create", "--site", "Elm", "--name", "Front door", "--kind", "door")
	c.ok("openings", "create", "--site", "Oak", "--name", "Front door", "--kind", "door")
	if out := c.ok("openings", "list", "--site", "oak avenue"); !strings.Contains(out, "Front door  Oak Avenue") || strings.Contains(out, "Elm") {
		t.Fatalf("openings list --site:\n%s", out)
	}
	code, _, errOut := c.run("openings", "retire", "front door")
	if code != 1 || !strings.Contains(errOut, `2 openings match "front door"`) || !strings.Contains(errOut, "Front door at Elm Street") ||
		!strings.Contains(errOut, "Front door at Oak Avenue") || !strings.Contains(errOut, "--site SITE") {
		t.Fatalf("retire an ambiguous door: %d %s", code, errOut)
	}
	if out := c.ok("openings", "retire", "front door", "--site", "Oak Avenue"); out != "Retired opening Front door at Oak Avenue.\n" {
		t.Fatalf("openings retire: %q", out)
	}
	if out := c.ok("openings", "restore", "Front door", "--site", "Oak Avenue"); out != "Restored opening Front door at Oak Avenue.\n" {
		t.Fatalf("openings restore: %q", out)
	}
	c.ok("openings", "retire", "front door", "--site", "Oak Avenue")
	c.ok("sites", "retire", "oak avenue")
	if out := c.ok("sites", "list"); strings.Contains(out, "Oak") {
		t.Fatalf("a retired site is listed:\n%s", out)
	}
	if out := c.ok("sites", "list", "--retired"); !strings.Contains(out, "Oak Avenue") {
		t.Fatalf("sites list --retired:\n%s", out)
	}
	if out := c.ok("sites", "restore", "Oak Avenue"); out != "Restored site Oak Avenue.\n" {
		t.Fatalf("sites restore: %q", out)
	}
	c.ok("keyways", "create", "--name", "Schlage SC1", "--policy", "dnd")
	if out := c.ok("keyways", "list"); !strings.Contains(out, "do not duplicate") {
		t.Fatalf("keyways list:\n%s", out)
	}
	c.ok("holders", "create", "--name", "Jane Doe", "--email", "jane@example.com")
	c.ok("holders", "create", "--name", "J. Doe", "--email", "jdoe@example.org")
	c.ok("keys", "create", "--keyway", "Schlage SC1", "--symbol", "B1")
	c.ok("keys", "issue", "B1-1", "--holder", "J. Doe")
	out := c.ok("holders", "merge", "jdoe@example.org", "--into", "jane@example.com")
	if !strings.HasPrefix(out, "Merged J. Doe <jdoe@example.org> into Jane Doe <jane@example.com>: 1 keys") {
		t.Fatalf("holders merge: %q", out)
	}
	if out := c.ok("holders", "keys", "Jane Doe"); !strings.Contains(out, "B1-1") {
		t.Fatalf("the merged key is not Jane's:\n%s", out)
	}
	c.ok("keys", "return", "b1-1")
	if out := c.ok("holders", "retire", "Jane Doe"); out != "Retired holder Jane Doe <jane@example.com>.\n" {
		t.Fatalf("holders retire: %q", out)
	}
	// A retired holder is found to be restored.
	if out := c.ok("holders", "restore", "jane@example.com"); out != "Restored holder Jane Doe <jane@example.com>.\n" {
		t.Fatalf("holders restore: %q", out)
	}
	if all := c.all.String(); anyID.MatchString(all) {
		t.Fatalf("an internal id reached the output: %s", anyID.FindString(all))
	}
}

// TestCLIPagesWithAll: a list prints its first page and says how to see the
// rest; --all follows the pages (past 50, whatever the page size), also as
// JSON; holders on many keys are named.
func TestCLIPagesWithAll(t *testing.T) {
	tg := sqliteTarget(t, storetest.SQLite(t))
	cenv, token := cliServer(t, tg, map[string]string{"KEYWARD_API_RATE": "0"})
	base := cenv["KEYWARD_SERVER"]
	var kw keyward.Keyway
	if st := apiCall(t, base, token, "POST", "/api/v1/keyways", map[string]any{"name": "SC1", "duplication_policy": "open"}, &kw); st != 201 {
		t.Fatalf("keyway: %d", st)
	}
	const n, lent = 62, 25
	for i := range n {
		var k keyward.Key
		if st := apiCall(t, base, token, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw.ID, "symbol": fmt.Sprintf("K%02d", i)}, &k); st != 201 {
			t.Fatalf("key %d: %d", i, st)
		}
		if i >= lent {
			continue
		}
		var h keyward.Holder
		if st := apiCall(t, base, token, "POST", "/api/v1/holders", map[string]any{"name": fmt.Sprintf("Tenant %02d", i), "email": fmt.Sprintf("t%02d@example.com", i)}, &h); st != 201 {
			t.Fatalf("holder %d: %d", i, st)
		}
		if st := apiCall(t, base, token, "POST", "/api/v1/keys/"+k.ID+"/issue", map[string]any{"holder_id": h.ID}, nil); st != 200 {
			t.Fatalf("issue %d: %d", i, st)
		}
	}
	c := &cli{t: t, env: cenv}
	rows := func(out string) int { return strings.Count(out, "\nK") }
	first := c.ok("keys", "list")
	if rows(first) != 50 || !strings.HasSuffix(first, "More keys follow: add --all to list them all.\n") {
		t.Fatalf("first page: %d rows\n%s", rows(first), first)
	}
	for _, args := range [][]string{{"keys", "list", "--all"}, {"keys", "list", "--all", "--limit", "7"}, {"keys", "list", "--all", "--limit=500"}} {
		out := c.ok(args...)
		if rows(out) != n || strings.Contains(out, "More keys") {
			t.Fatalf("%v: %d rows, want %d\n%s", args, rows(out), n, out)
		}
		for i := range lent {
			if !regexp.MustCompile(fmt.Sprintf(`\nK%02d-1 +issued +Tenant %02d\n`, i, i)).MatchString(out) {
				t.Fatalf("%v does not name the holder of K%02d-1:\n%s", args, i, out)
			}
		}
	}
	var page keyward.Page[keyward.Key]
	if err := json.Unmarshal([]byte(c.ok("keys", "list", "--json")), &page); err != nil || len(page.Items) != 50 || page.Next == "" {
		t.Fatalf("--json: %d items, next %q (%v)", len(page.Items), page.Next, err)
	}
	var rest keyward.Page[keyward.Key]
	if err := json.Unmarshal([]byte(c.ok("keys", "list", "--json", "--cursor", page.Next)), &rest); err != nil || len(rest.Items) != n-50 || rest.Next != "" {
		t.Fatalf("--cursor: %d items, next %q (%v)", len(rest.Items), rest.Next, err)
	}
	var all keyward.Page[keyward.Key]
	if err := json.Unmarshal([]byte(c.ok("keys", "list", "--all", "--json")), &all); err != nil || len(all.Items) != n || all.Next != "" {
		t.Fatalf("--all --json: %d items, next %q (%v)", len(all.Items), all.Next, err)
	}
	if out := c.ok("holders", "list", "--all"); strings.Count(out, "Tenant") != lent {
		t.Fatalf("holders list --all:\n%s", out)
	}
}

// TestCLIHelpEverywhere walks the command tree: every noun and verb answers
// --help with its usage (exit 0); a noun without a verb prints its usage and
// an unknown verb is refused (exit 2); completion scripts are generated.
func TestCLIHelpEverywhere(t *testing.T) {
	root := (&env{getenv: func(string) string { return "" }}).rootCommand()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() && sub.Name() != "help" {
				continue
			}
			p := append(slices.Clone(path), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	walk(root, nil)
	if len(paths) < 45 {
		t.Fatalf("only %d commands in the tree: %v", len(paths), paths)
	}
	for _, p := range append([][]string{{}}, paths...) {
		code, out, errOut := runCmd(t, context.Background(), nil, "", append(p, "--help")...)
		usage := "Usage:"
		if len(p) > 0 && p[0] == "keying" {
			usage = "usage: keyward keying VERB"
		}
		if code != 0 || !strings.Contains(out, usage) || errOut != "" {
			t.Errorf("keyward %s --help: exit %d\n%s%s", strings.Join(p, " "), code, out, errOut)
		}
		if c, _, err := root.Find(p); err == nil && c.HasAvailableSubCommands() && c != root {
			code, out, errOut := runCmd(t, context.Background(), nil, "", p...)
			if code != 2 || out != "" || !strings.Contains(errOut, "Usage:") {
				t.Errorf("keyward %s without a verb: exit %d, stdout %q, stderr %q", strings.Join(p, " "), code, out, errOut)
			}
			code, _, errOut = runCmd(t, context.Background(), nil, "", append(p, "frobnicate")...)
			if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
				t.Errorf("keyward %s frobnicate: exit %d, %q", strings.Join(p, " "), code, errOut)
			}
		}
	}
	// The outside contract's help, and what it lists.
	_, out, _ := runCmd(t, context.Background(), nil, "", "keys", "--help")
	for _, verb := range append([]string{"list", "create", "show", "history"}, keyward.CustodyActions()[1:]...) {
		if !regexp.MustCompile(`(?m)^  ` + verb + ` `).MatchString(out) {
			t.Errorf("keyward keys --help does not list %s:\n%s", verb, out)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, out, _ := runCmd(t, context.Background(), nil, "", "completion", shell); code != 0 || !strings.Contains(out, "keyward") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
	if code, _, errOut := runCmd(t, context.Background(), nil, ""); code != 2 || !strings.Contains(errOut, "Usage:") {
		t.Errorf("keyward alone: exit %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, context.Background(), nil, "", "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("keyward frobnicate: exit %d %q", code, errOut)
	}
	// Every logbook verb has its words.
	for _, a := range keyward.CustodyActions() {
		if _, ok := actionWords[a]; !ok {
			t.Errorf("logbook verb %s has no words", a)
		}
	}
}

// TestCLIFlagForms: --flag=value, --flag value, global flags before the
// command or after it (a trailing --data) all mean the same.
func TestCLIFlagForms(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if code, out, e := runCmd(t, ctx, nil, "", "--data", dir, "init", "--org=Acme", "--admin-email", "o@acme.test"); code != 0 || !strings.Contains(out, "password") {
		t.Fatalf("init: %d %s %s", code, out, e)
	}
	if code, out, e := runCmd(t, ctx, nil, "", "token", "create", "--user=o@acme.test", "--name", "ci", "--data="+dir); code != 0 || !strings.HasPrefix(lastLine(out), "kw_") {
		t.Fatalf("token create: %d %s %s", code, out, e)
	}
	if code, out, _ := runCmd(t, ctx, nil, "", "audit", "verify", "--data", dir); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Fatalf("audit verify --data: %d %s", code, out)
	}
	// The flag beats the environment; the environment beats the default.
	if code, out, _ := runCmd(t, ctx, map[string]string{"KEYWARD_DATA": t.TempDir()}, "", "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, " 3 audit records") {
		t.Fatalf("--data over KEYWARD_DATA: %d %s", code, out)
	}
	if code, out, _ := runCmd(t, ctx, map[string]string{"KEYWARD_DATA": dir}, "", "audit", "verify"); code != 0 || !strings.Contains(out, " 3 audit records") {
		t.Fatalf("KEYWARD_DATA: %d %s", code, out)
	}
	if code, _, errOut := runCmd(t, ctx, nil, "", "init", "--org"); code != 2 || !strings.Contains(errOut, "flag needs an argument") {
		t.Fatalf("a flag without its value: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, ctx, nil, "", "backup", "--data", dir, "--colour"); code != 2 || !strings.Contains(errOut, "unknown flag: --colour") {
		t.Fatalf("an unknown flag: %d %s", code, errOut)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestCLIHolderNamesOwnKey: a user of role holder may not search, yet names
// the key they hold by its stamp: reads its history with their own name in
// it and reports it lost; a key they do not hold is not found.
func TestCLIHolderNamesOwnKey(t *testing.T) {
	tg := sqliteTarget(t, storetest.SQLite(t))
	cenv, token := cliServer(t, tg, nil)
	c := &cli{t: t, env: cenv}
	c.ok("keyways", "create", "--name", "SC1", "--policy", "open")
	c.ok("holders", "create", "--name", "Bob Stone", "--email", "bob@example.com")
	c.ok("keys", "create", "--keyway", "SC1", "--symbol", "AA3")
	c.ok("keys", "create", "--keyway", "SC1", "--symbol", "AA3")
	c.ok("keys", "issue", "AA3-1", "--holder", "bob@example.com")
	var found keyward.SearchResult
	apiCall(t, cenv["KEYWARD_SERVER"], token, "GET", "/api/v1/search?q=bob", nil, &found)
	if len(found.Holders) != 1 {
		t.Fatalf("search for Bob: %+v", found)
	}
	if st := apiCall(t, cenv["KEYWARD_SERVER"], token, "POST", "/api/v1/users", map[string]any{"email": "bob@example.com", "name": "Bob Stone", "role": "holder", "holder_id": found.Holders[0].ID}, nil); st != 201 {
		t.Fatalf("holder account: %d", st)
	}
	env := map[string]string{"KEYWARD_DATA": tg.env["KEYWARD_DATA"]}
	bobToken := lastLine(mustRun(t, env, "token", "create", "--user", "bob@example.com", "--name", "phone"))
	bob := &cli{t: t, env: map[string]string{"KEYWARD_SERVER": cenv["KEYWARD_SERVER"], "KEYWARD_TOKEN": bobToken}}
	if out := bob.ok("keys", "history", "AA3-1"); !regexp.MustCompile(`issued +Bob Stone`).MatchString(out) {
		t.Fatalf("holder reads their key's history:\n%s", out)
	}
	if out := bob.ok("keys", "lost", "aa3-1", "--note", "left on the bus"); out != "Reported lost AA3-1.\n" {
		t.Fatalf("holder reports their key lost: %q", out)
	}
	for _, stamp := range []string{"AA3-2", "AA3-1"} { // never held; no longer held
		if code, _, errOut := bob.run("keys", "lost", stamp); code != 1 || !strings.Contains(errOut, `No key is stamped "`+stamp+`".`) {
			t.Fatalf("%s, a key the holder does not hold: %d %s", stamp, code, errOut)
		}
	}
	if out := c.ok("keys", "show", "AA3-1"); !strings.Contains(out, "lost") {
		t.Fatalf("AA3-1 after the holder reported it lost:\n%s", out)
	}
}

// TestCLISealedEnvelopeMoves: a key kept in a sealed envelope leaves it only
// with --new-seal, and the refusal without one names the flag's member.
func TestCLISealedEnvelopeMoves(t *testing.T) {
	eachTarget(t, func(t *testing.T, target func(t *testing.T) cliTarget) {
		cenv, token := cliServer(t, target(t), nil)
		c := &cli{t: t, env: cenv}
		c.ok("keyways", "create", "--name", "Schlage SC1", "--policy", "open")
		c.ok("holders", "create", "--name", "Jane Doe", "--email", "jane@example.com")
		c.ok("keys", "create", "--keyway", "SC1", "--symbol", "E1")
		api := client.New(cenv["KEYWARD_SERVER"], token)
		var env keyward.StoragePlace
		if err := api.Do(context.Background(), "POST", "/api/v1/storage", nil, keyward.StorageInput{Kind: keyward.StorageEnvelope, Name: "Spare E1", SealNumber: "S-100"}, &env); err != nil {
			t.Fatal(err)
		}
		var k keyward.Key
		_, js, _ := runCmd(t, context.Background(), cenv, "", "keys", "show", "E1-1", "--json")
		if err := json.Unmarshal([]byte(js), &k); err != nil {
			t.Fatal(err)
		}
		if err := api.Do(context.Background(), "POST", "/api/v1/storage/"+env.ID+"/keys", nil, keyward.HookInput{KeyID: k.ID, NewSealNumber: "S-101", Reason: "spare goes in"}, nil); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := c.run("keys", "checkout", "E1-1", "--holder", "jane@example.com", "--due", "4h")
		if code != 1 || !strings.Contains(errOut, "new_seal_number") {
			t.Fatalf("checkout of a sealed key without --new-seal: exit %d, %q", code, errOut)
		}
		c.ok("keys", "checkout", "E1-1", "--holder", "jane@example.com", "--due", "4h", "--new-seal", "S-102")
		c.ok("keys", "checkin", "E1-1", "--new-seal", "S-103")
		var got keyward.StoragePlace
		if err := api.Do(context.Background(), "GET", "/api/v1/storage/"+env.ID, nil, nil, &got); err != nil || got.SealNumber != "S-103" {
			t.Fatalf("envelope seal %q (%v), want S-103", got.SealNumber, err)
		}
	})
}
