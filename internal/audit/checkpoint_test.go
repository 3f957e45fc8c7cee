package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSensitive(t *testing.T) {
	for action, want := range map[string]bool{
		"code.reveal": true, "bitting.reveal": true, "credential.pin.reveal": true, "storage.reveal": true,
		"denied.code.reveal": true, "user.create": true, "user.update": true, "token.create": true,
		"token.revoke": true, "org.require_totp": true, "audit.restored": true,
		"key.checkout": false, "site.create": false, "session.create": false, "export.keys": false, "org.create": false,
	} {
		if got := Sensitive(action); got != want {
			t.Errorf("Sensitive(%q) = %v, want %v", action, got, want)
		}
	}
}

func TestParseRestore(t *testing.T) {
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		seq     int64
		action  string
		details string
		ok      bool
		errPart string
	}{
		{"not a restore", 5, "key.checkout", `{}`, false, ""},
		{"genuine", 5, RestoreAction, `{"restored_size":4,"backup_taken_at":"2026-03-02T10:00:00Z","backup":"b.db"}`, true, ""},
		{"not right after the restored records", 9, RestoreAction, `{"restored_size":4,"backup_taken_at":"2026-03-02T10:00:00Z"}`, true, "must be record #5"},
		{"no size", 5, RestoreAction, `{"backup_taken_at":"2026-03-02T10:00:00Z"}`, true, "restored_size"},
		{"bad time", 5, RestoreAction, `{"restored_size":4,"backup_taken_at":"yesterday"}`, true, "RFC 3339"},
	} {
		r, ok, err := ParseRestore(Record{Seq: tc.seq, At: at, Action: tc.action, Details: tc.details})
		if ok != tc.ok || (tc.errPart == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.errPart)) {
			t.Errorf("%s: ok %v err %v", tc.name, ok, err)
		}
		if tc.name == "genuine" && (r.RestoredSize != 4 || r.Seq != 5 || r.Backup != "b.db" || !r.At.Equal(at)) {
			t.Errorf("genuine: %+v", r)
		}
	}
}

func TestSupersededBy(t *testing.T) {
	taken := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	restore := Restore{Seq: 11, At: taken.Add(3 * time.Hour), RestoredSize: 10, BackupTakenAt: taken}
	cp := func(n int64, at time.Time) Checkpoint { c := Checkpoint{Time: at}; c.Tree.N = n; return c }
	for _, tc := range []struct {
		name string
		c    Checkpoint
		want bool
	}{
		{"bigger, between backup and restore", cp(15, taken.Add(time.Hour)), true},
		{"no bigger than what was restored", cp(10, taken.Add(time.Hour)), false},
		{"before the backup was taken", cp(15, taken.Add(-time.Hour)), false},
		{"after the restore", cp(15, taken.Add(4*time.Hour)), false},
		{"no time", cp(15, time.Time{}), false},
	} {
		if got := SupersededBy(tc.c, []Restore{restore}) != nil; got != tc.want {
			t.Errorf("%s: superseded %v, want %v", tc.name, got, tc.want)
		}
	}
}

// chainOf builds a verified log of n records whose actor is actor(i).
func chainOf(t testing.TB, n int, actor func(int) string) (*Verifier, []Stored) {
	t.Helper()
	v := NewVerifier()
	prev := Genesis
	var out []Stored
	for i := 1; i <= n; i++ {
		r := Record{Seq: int64(i), ID: fmt.Sprint("aud_", i), At: time.Unix(int64(i), 0).UTC(), Actor: actor(i), Action: "key.checkout", Details: "{}"}
		s := Stored{Record: r, PrevHash: prev, Hash: ChainHash(prev, r)}
		if err := v.Add(s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
		prev = s.Hash
	}
	return v, out
}

func testKeys(t *testing.T) (signer, verifier string) {
	t.Helper()
	skey, err := LoadOrCreateKey(filepath.Join(t.TempDir(), KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := VerifierKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

func signAt(t *testing.T, skey string, v *Verifier, at time.Time) CheckpointFile {
	t.Helper()
	root, err := v.Root()
	if err != nil {
		t.Fatal(err)
	}
	c := Checkpoint{Time: at}
	c.Tree.N, c.Tree.Hash = v.Size(), root
	msg, err := SignCheckpoint(skey, c)
	if err != nil {
		t.Fatal(err)
	}
	return CheckpointFile{Name: CheckpointName(c), Note: msg}
}

func TestCheckCheckpoints(t *testing.T) {
	skey, vkey := testKeys(t)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	honest := func(int) string { return "alice" }
	v4, _ := chainOf(t, 4, honest)
	v8, _ := chainOf(t, 8, honest)
	cp4, cp8 := signAt(t, skey, v4, at), signAt(t, skey, v8, at.Add(time.Hour))
	otherKey, _ := testKeys(t)
	forged := signAt(t, otherKey, v8, at)
	tampered := forged
	tampered.Note = bytes.Replace(cp8.Note, []byte("\n8\n"), []byte("\n7\n"), 1)

	// The log now: record 6 edited and everything after it re-chained.
	edited, _ := chainOf(t, 10, func(i int) string {
		if i == 6 {
			return "mallory"
		}
		return "alice"
	})
	truncated, _ := chainOf(t, 5, honest)
	grown, _ := chainOf(t, 12, honest)
	for _, tc := range []struct {
		name  string
		files []CheckpointFile
		log   *Verifier
		want  []Outcome
		say   string
	}{
		{"the log grew", []CheckpointFile{cp4, cp8}, grown, []Outcome{OK, OK}, "consistent"},
		{"same size", []CheckpointFile{cp8}, v8, []Outcome{OK}, "consistent"},
		{"truncated", []CheckpointFile{cp4, cp8}, truncated, []Outcome{OK, Failed}, "records 6..8 are gone"},
		{"edited and re-chained", []CheckpointFile{cp4, cp8}, edited, []Outcome{OK, Failed}, "one of #5..#8"},
		{"signed by another key", []CheckpointFile{forged}, grown, []Outcome{Failed}, "verifier key"},
		{"note text changed", []CheckpointFile{tampered}, grown, []Outcome{Failed}, "verifier key"},
	} {
		got, err := CheckCheckpoints(tc.files, vkey, tc.log, nil)
		if err != nil {
			t.Fatal(err)
		}
		var outs []Outcome
		var all []string
		for _, f := range got {
			outs = append(outs, f.Outcome)
			all = append(all, f.String())
		}
		if fmt.Sprint(outs) != fmt.Sprint(tc.want) || !strings.Contains(strings.Join(all, "\n"), tc.say) {
			t.Errorf("%s: %v\n%s", tc.name, outs, strings.Join(all, "\n"))
		}
	}

	// A restore to 4 records from a backup taken before cp8 supersedes cp8;
	// the restored log still has to be consistent with cp4.
	restore := Restore{Seq: 5, At: at.Add(2 * time.Hour), RestoredSize: 4, BackupTakenAt: at.Add(time.Minute)}
	restored, _ := chainOf(t, 6, func(i int) string { return map[bool]string{true: "restorer", false: "alice"}[i > 4] })
	got, err := CheckCheckpoints([]CheckpointFile{cp4, cp8}, vkey, restored, []Restore{restore})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Outcome != OK || got[1].Outcome != Superseded || !strings.Contains(got[1].String(), "superseded by the restore at record #5 (records 5..8 of 2026-03-02T10:00:00Z were lost") {
		t.Fatalf("restore: %v / %v", got[0], got[1])
	}
	// The same restore does not excuse a log whose first 4 records changed.
	restoredEdited, _ := chainOf(t, 6, func(i int) string { return map[bool]string{true: "mallory", false: "alice"}[i == 2] })
	got, _ = CheckCheckpoints([]CheckpointFile{cp4, cp8}, vkey, restoredEdited, []Restore{restore})
	if got[0].Outcome != Failed {
		t.Fatalf("a restore excused an edit below its size: %v", got[0])
	}
}

func TestDirPut(t *testing.T) {
	skey, vkey := testKeys(t)
	dir := Dir{Path: filepath.Join(t.TempDir(), "checkpoints")}
	v, _ := chainOf(t, 3, func(int) string { return "alice" })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	first := signAt(t, skey, v, at)
	ctx := context.Background()
	if err := dir.Put(ctx, first.Note); err != nil {
		t.Fatal(err)
	}
	// The same head signed again later (another server): nothing new.
	if err := dir.Put(ctx, signAt(t, skey, v, at.Add(time.Minute)).Note); err != nil {
		t.Fatal(err)
	}
	files, err := dir.List()
	if err != nil || len(files) != 1 || files[0].Name != first.Name {
		t.Fatalf("files %v %v", files, err)
	}
	if st, _ := os.Stat(dir.Path); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(dir.Path, first.Name)); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", st.Mode().Perm())
	}
	if c, err := OpenCheckpoint(vkey, files[0].Note); err != nil || c.Tree.N != 3 || !c.Time.Equal(at) {
		t.Fatalf("read back: %+v %v", c, err)
	}
	// Another root for the same size: the first file stays, the new one is
	// written beside it, and the conflict is reported.
	other, _ := chainOf(t, 3, func(int) string { return "mallory" })
	err = dir.Put(ctx, signAt(t, skey, other, at.Add(2*time.Minute)).Note)
	var conflict *ConflictError
	if !errors.As(err, &conflict) || conflict.Files[0] != first.Name {
		t.Fatalf("conflict: %v", err)
	}
	files, _ = dir.List()
	if len(files) != 2 || !bytes.Equal(files[0].Note, first.Note) {
		t.Fatalf("after conflict: %d files", len(files))
	}
	if entries, _ := os.ReadDir(dir.Path); len(entries) != 2 {
		t.Fatalf("temporary files left: %d entries", len(entries))
	}
}

// memLog is a Source over a slice: the checkpointer's own logic, without a database.
type memLog struct{ recs []Stored }

func (m *memLog) AuditHead(context.Context) (int64, string, error) {
	if len(m.recs) == 0 {
		return 0, Genesis, nil
	}
	return int64(len(m.recs)), m.recs[len(m.recs)-1].Hash, nil
}

func (m *memLog) AuditSince(_ context.Context, after int64, each func(Stored) error) error {
	for _, s := range m.recs[after:] {
		if err := each(s); err != nil {
			return err
		}
	}
	return nil
}

func (m *memLog) append(action string) {
	prev := Genesis
	if len(m.recs) > 0 {
		prev = m.recs[len(m.recs)-1].Hash
	}
	r := Record{Seq: int64(len(m.recs) + 1), ID: "a", At: time.Unix(int64(len(m.recs)), 0).UTC(), Action: action, Details: "{}"}
	m.recs = append(m.recs, Stored{Record: r, PrevHash: prev, Hash: ChainHash(prev, r)})
}

func TestCheckpointerSignsWhenDue(t *testing.T) {
	skey, _ := testKeys(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	log := &memLog{}
	c := &Checkpointer{Source: log, Sink: Dir{Path: t.TempDir()}, SignerKey: skey, Interval: time.Minute,
		Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }}
	ctx := context.Background()
	step := func(force bool) int64 {
		t.Helper()
		cp, err := c.Step(ctx, force)
		if err != nil {
			t.Fatal(err)
		}
		if cp == nil {
			return -1
		}
		return cp.Tree.N
	}
	if got := step(false); got != -1 {
		t.Fatalf("an empty log was checkpointed: %d", got)
	}
	log.append("site.create")
	if got := step(false); got != 1 {
		t.Fatalf("first step signs what is there: %d", got)
	}
	log.append("key.checkout")
	now = now.Add(10 * time.Second)
	if got := step(false); got != -1 {
		t.Fatalf("an ordinary record before the interval was signed: %d", got)
	}
	log.append("code.reveal")
	if got := step(false); got != 3 {
		t.Fatalf("a reveal is signed at the next poll: %d", got)
	}
	log.append("key.checkin")
	now = now.Add(time.Minute)
	if got := step(false); got != 4 {
		t.Fatalf("the interval passed: %d", got)
	}
	if got := step(false); got != -1 {
		t.Fatalf("nothing new, nothing signed: %d", got)
	}
	// Roll the log back to 2 records and rewrite from there: the checkpointer
	// rereads it, says so loudly, and the conflicting size is reported.
	log.recs = log.recs[:2]
	log.append("key.checkout")
	log.append("key.checkout")
	now = now.Add(time.Second)
	if got := step(false); got != 4 {
		t.Fatalf("after a rollback: %d", got)
	}
	if !strings.Contains(logs.String(), "AUDIT LOG TAMPERING") || !strings.Contains(logs.String(), "disagrees with") {
		t.Fatalf("no loud error:\n%s", logs.String())
	}
}
