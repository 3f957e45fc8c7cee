package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// accessExample is access.md §5, the worked example.
const accessExample = `{"ops": [
  {"op": "master", "key": "M"}, {"op": "lock", "lock": "L1"}, {"op": "lock", "lock": "L2"},
  {"op": "serialize", "lock": "L1", "by": "M"},
  {"op": "backup", "key": "B", "by": "M"},
  {"op": "serialize", "lock": "L2", "by": "B"},
  {"op": "master", "key": "N"}, {"op": "lock", "lock": "L3"},
  {"op": "serialize", "lock": "L3", "by": "N"},
  {"op": "grant", "to": "M", "locks": ["L3"], "by": "N"},
  {"op": "can", "key": "M", "lock": "L2"},
  {"op": "can", "key": "B", "lock": "L3"},
  {"op": "sub", "key": "S", "by": "M", "locks": ["L3"]},
  {"op": "sub", "key": "S", "by": "B", "locks": ["L1"]},
  {"op": "backup", "key": "X", "by": "S"}
]}`

// checkWorkedExample compares results 11–15 of the worked example, member by
// member, ignoring extra members.
func checkWorkedExample(t *testing.T, out []byte) {
	t.Helper()
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Results) != 15 {
		t.Fatalf("output %s: %v", out, err)
	}
	for i, w := range []string{
		`{"ok": true, "allow": true, "via": "owner", "accepts": true}`,
		`{"ok": true, "allow": false, "via": null, "accepts": false}`,
		`{"ok": false, "rule": "not_owner"}`,
		`{"ok": true}`,
		`{"ok": false, "rule": "sub_cannot_manage"}`,
	} {
		var want map[string]any
		_ = json.Unmarshal([]byte(w), &want)
		got := map[string]any{}
		for k := range want {
			v, ok := doc.Results[10+i][k]
			if !ok {
				t.Errorf("result %d lacks %q", 11+i, k)
			}
			got[k] = v
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("result %d = %v, want %s", 11+i, doc.Results[10+i], w)
		}
	}
}

// The built command, run as a user runs it, on the worked example; --data
// and --db are accepted and ignored (nothing is created or opened).
func TestAccessEvalBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "keyward")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{{"access", "eval"}, {"access", "eval", "--data", data, "--db", "postgres://nobody@127.0.0.1:1/none"}} {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(accessExample)
		cmd.Env = append(os.Environ(), "KEYWARD_DATA="+data)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		checkWorkedExample(t, stdout.Bytes())
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("access eval touched the data directory: %v", err)
	}
	cmd := exec.Command(bin, "access", "eval")
	cmd.Stdin = strings.NewReader(`{"ops":[{"op":"grant","to":"S","by":"M"}]}`)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("an op without locks: %v, want exit status 1", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), `"locks" is missing`) {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestAccessEvalInProcess(t *testing.T) {
	code, out, errOut := runCmd(t, context.Background(), nil, accessExample, "access", "eval", "--data", "/nonexistent")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkWorkedExample(t, []byte(out))
	for _, bad := range []string{``, `{"ops": [`, `{"ops":[{"op":"can","key":"M"}]}`, `{"ops":[{"op":"sub","key":"S","by":"M","locks":"L1"}]}`} {
		code, out, errOut := runCmd(t, context.Background(), nil, bad, "access", "eval")
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "keyward access eval: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", bad, code, out, errOut)
		}
	}
	if code, _, _ := runCmd(t, context.Background(), nil, accessExample, "access", "eval", "extra"); code != 2 {
		t.Errorf("an argument: exit %d, want 2", code)
	}
}
