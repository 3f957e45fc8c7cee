package audit

import (
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// FuzzParseCheckpointText: a checkpoint file's text is read or refused;
// one that reads formats back to a text that reads the same.
func FuzzParseCheckpointText(f *testing.F) {
	good := Checkpoint{Tree: tlog.Tree{N: 3, Hash: tlog.Hash{1, 2, 3}}, Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f.Add(CheckpointText(good))
	f.Add([]byte("go.sum database tree\n3\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("not a checkpoint\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCheckpointText(text)
		if err != nil {
			return
		}
		back, err := ParseCheckpointText(CheckpointText(c))
		if err != nil || back.Tree != c.Tree || !back.Time.Equal(c.Time) {
			t.Fatalf("%q read as %+v, formatted and read back as %+v (%v)", text, c, back, err)
		}
	})
}
