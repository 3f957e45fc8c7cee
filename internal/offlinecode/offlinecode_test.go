package offlinecode

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testSecret() []byte {
	s := make([]byte, SecretSize)
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

// TestVectorsInDocs reads the test-vector table of docs/offline-codes.md and
// checks every row, message bytes included, so the page and the code agree.
func TestVectorsInDocs(t *testing.T) {
	f, err := os.Open("../../docs/offline-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inVectors, rows := false, 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inVectors = line == "## Test vectors"
			continue
		}
		if !inVectors || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| lock_id") || strings.HasPrefix(line, "| ---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 6 {
			t.Fatalf("vector row %q: want 6 cells", line)
		}
		lockID := cells[0]
		cl, _ := strconv.Atoi(cells[1])
		start, err := time.Parse("2006-01-02 15:04", cells[2])
		if err != nil {
			t.Fatal(err)
		}
		unix, _ := strconv.ParseInt(cells[3], 10, 64)
		if start.Unix() != unix {
			t.Errorf("row %s: %s is %d, the table says %d", lockID, cells[2], start.Unix(), unix)
		}
		if got := hex.EncodeToString(Message(lockID, Class(cl), unix)); got != cells[4] {
			t.Errorf("row %s class %d: message %s, the table says %s", lockID, cl, got, cells[4])
		}
		code, err := Generate(testSecret(), lockID, Class(cl), start)
		if err != nil {
			t.Fatal(err)
		}
		if code != cells[5] {
			t.Errorf("row %s class %d: code %s, the table says %s", lockID, cl, code, cells[5])
		}
		if _, err := Verify(testSecret(), lockID, cells[5], start.Add(30*time.Minute)); err != nil {
			t.Errorf("row %s class %d: the table's code is refused: %v", lockID, cl, err)
		}
		rows++
	}
	if rows < 5 {
		t.Fatalf("read %d vectors from the page, want at least 5", rows)
	}
}

func TestVerify(t *testing.T) {
	secret := testSecret()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	code, err := Generate(secret, "lock-1", 1, start)
	if err != nil {
		t.Fatal(err)
	}
	other := append([]byte(nil), secret...)
	other[0] ^= 1
	forged := code[:3] + "00000"
	if forged == code {
		forged = code[:3] + "00001"
	}
	cases := []struct {
		name   string
		secret []byte
		lock   string
		code   string
		now    time.Time
		want   error
	}{
		{"inside the window", secret, "lock-1", code, start.Add(30 * time.Minute), nil},
		{"at the start", secret, "lock-1", code, start, nil},
		{"lock clock 10 min slow, before start", secret, "lock-1", code, start.Add(-Skew), nil},
		{"lock clock 10 min fast, after end", secret, "lock-1", code, start.Add(time.Hour + Skew), nil},
		{"11 min before start", secret, "lock-1", code, start.Add(-Skew - time.Minute), ErrNotYetValid},
		{"a day early", secret, "lock-1", code, start.Add(-24 * time.Hour), ErrNotYetValid},
		{"11 min after end", secret, "lock-1", code, start.Add(time.Hour + Skew + time.Minute), ErrExpired},
		{"a day later", secret, "lock-1", code, start.Add(25 * time.Hour), ErrExpired},
		{"another lock", secret, "lock-2", code, start.Add(30 * time.Minute), ErrWrongCode},
		{"another secret", other, "lock-1", code, start.Add(30 * time.Minute), ErrWrongCode},
		{"forged mac", secret, "lock-1", forged, start.Add(30 * time.Minute), ErrWrongCode},
		{"window digits changed", secret, "lock-1", code[:1] + "99" + code[3:], start.Add(30 * time.Minute), ErrWrongCode},
		{"class changed", secret, "lock-1", "2" + code[1:], start.Add(30 * time.Minute), ErrWrongCode},
		{"seven digits", secret, "lock-1", code[:7], start, ErrMalformed},
		{"class 9", secret, "lock-1", "9" + code[1:], start, ErrMalformed},
		{"class 0", secret, "lock-1", "0" + code[1:], start, ErrMalformed},
		{"letters", secret, "lock-1", "1a345678", start, ErrMalformed},
		{"with a space", secret, "lock-1", " " + code[1:], start, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := Verify(c.secret, c.lock, c.code, c.now)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			if err == nil && (!w.Start.Equal(start) || !w.End.Equal(start.Add(time.Hour))) {
				t.Fatalf("window %v–%v, want %v–%v", w.Start, w.End, start, start.Add(time.Hour))
			}
			if err != nil && strings.Contains(err.Error(), c.code) {
				t.Fatalf("the error %q shows the code", err)
			}
		})
	}
}

func TestEveryClassRoundTrips(t *testing.T) {
	secret := testSecret()
	base := time.Date(2026, 5, 17, 0, 0, 0, 0, time.UTC)
	for _, c := range Classes() {
		for i := 0; i < 150; i += 7 { // crosses the k mod 100 wrap
			start := base.Add(time.Duration(i) * c.Step())
			code, err := Generate(secret, "door", c, start)
			if err != nil {
				t.Fatal(err)
			}
			for _, now := range []time.Time{start.Add(-Skew), start, start.Add(c.Length() / 2), start.Add(c.Length() + Skew)} {
				if _, err := Verify(secret, "door", code, now); err != nil {
					t.Fatalf("class %d start %v at %v: %v", c, start, now, err)
				}
			}
			if _, err := Verify(secret, "door", code, start.Add(c.Length()+Skew+time.Second)); !errors.Is(err, ErrExpired) {
				t.Fatalf("class %d start %v just after: %v, want expired", c, start, err)
			}
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	secret := testSecret()
	on := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		secret []byte
		lock   string
		class  Class
		start  time.Time
		want   string
	}{
		{"short secret", secret[:16], "l", 1, on, "32 bytes"},
		{"empty lock id", secret, "", 1, on, "lock id"},
		{"long lock id", secret, strings.Repeat("x", 256), 1, on, "lock id"},
		{"class 0", secret, "l", 0, on, "class"},
		{"class 8", secret, "l", 8, on, "class"},
		{"start not on the hour", secret, "l", 1, on.Add(time.Minute), "multiple of 1h"},
		{"class 7 not at midnight", secret, "l", 7, on, "multiple of 24h"},
		{"before 1970", secret, "l", 1, time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), "multiple"},
	}
	for _, c := range cases {
		if _, err := Generate(c.secret, c.lock, c.class, c.start); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one saying %q", c.name, err, c.want)
		}
	}
}

func TestCover(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		from, until string
		class       Class
		start       string
	}{
		{"2026-03-01 09:00", "2026-03-01 10:00", 1, "2026-03-01 09:00"},
		{"2026-03-01 09:20", "2026-03-01 10:00", 1, "2026-03-01 09:00"},
		{"2026-03-01 09:20", "2026-03-01 10:01", 2, "2026-03-01 09:00"},
		{"2026-03-01 09:00", "2026-03-01 21:00", 3, "2026-03-01 09:00"},
		{"2026-03-01 15:00", "2026-03-02 11:00", 4, "2026-03-01 15:00"},
		{"2026-03-06 15:00", "2026-03-08 11:00", 5, "2026-03-06 15:00"},
		{"2026-03-06 15:00", "2026-03-12 11:00", 6, "2026-03-06 12:00"},
		{"2026-03-06 15:00", "2026-03-30 11:00", 7, "2026-03-06 00:00"},
	}
	for _, c := range cases {
		w, err := Cover(at(c.from), at(c.until))
		if err != nil {
			t.Fatalf("%s–%s: %v", c.from, c.until, err)
		}
		if w.Class != c.class || !w.Start.Equal(at(c.start)) {
			t.Errorf("%s–%s: class %d from %v, want class %d from %s", c.from, c.until, w.Class, w.Start, c.class, c.start)
		}
		if w.End.Before(at(c.until)) || w.Start.After(at(c.from)) {
			t.Errorf("%s–%s: window %v–%v does not cover it", c.from, c.until, w.Start, w.End)
		}
		if _, err := Generate(testSecret(), "l", w.Class, w.Start); err != nil {
			t.Errorf("%s–%s: the covering window is refused: %v", c.from, c.until, err)
		}
	}
	if _, err := Cover(at("2026-03-01 09:00"), at("2026-04-15 09:00")); err == nil {
		t.Error("a 45-day window was covered")
	}
	if _, err := Cover(at("2026-03-01 09:00"), at("2026-03-01 09:00")); err == nil {
		t.Error("an empty window was covered")
	}
}
