package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store/storetest"
)

// contradiction reports a 409 detail that claims the key's status is one the
// action may start from ("is checked_out; checkin needs a key that is checked_out").
var conflictDetail = regexp.MustCompile(`is (\w+); (\w+) needs a key that is (.+)$`)

func contradiction(detail string) bool {
	m := conflictDetail.FindStringSubmatch(detail)
	return m != nil && slices.Contains(strings.Split(m[3], " or "), m[1])
}

// moveAll sends the same custody move of one key from n clients at once and
// returns each status and problem detail.
func moveAll(t *testing.T, app *testApp, n int, key, action, body string) (codes []int, details []string) {
	codes, details = make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], details[i] = app.move(key, action, body)
		}()
	}
	wg.Wait()
	return codes, details
}

// move is one custody move as the owner, safe to call from any goroutine.
func (a *testApp) move(key, action, body string) (int, string) {
	req, _ := http.NewRequest("POST", a.http.URL+"/api/v1/keys/"+key+"/"+action, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.tokens[keyward.RoleOwner])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var p problem
	if resp.StatusCode >= 400 {
		_ = jsonDecode(resp, &p)
	}
	return resp.StatusCode, p.Detail
}

// TestConcurrentCustodyConflictTellsTheTruth: when many clients move one key
// at once, every 409 states the key's real status (one the move cannot start
// from) or says the key changed; none claims "is checked_out; checkin needs a
// key that is checked_out". Three shapes of contention: simultaneous
// check-ins, simultaneous returns, and clients checking one key out and in.
func TestConcurrentCustodyConflictTellsTheTruth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		app := newTestApp(t, b)
		_, holder, key := app.stock()
		due := app.env.Clock.Now().Add(time.Hour).Format(time.RFC3339)
		checkout := `{"holder_id":"` + holder + `","due_at":"` + due + `"}`
		check := func(what string, codes []int, details []string) (ok int) {
			t.Helper()
			for i, c := range codes {
				switch {
				case c == 200:
					ok++
				case c != 409:
					t.Fatalf("%s: answered %d %s", what, c, details[i])
				case contradiction(details[i]):
					t.Errorf("%s: the 409 contradicts itself: %q", what, details[i])
				case !strings.Contains(details[i], "; ") && !strings.Contains(details[i], "changed while"):
					t.Errorf("%s: the 409 names no status: %q", what, details[i])
				}
			}
			return ok
		}
		for round := range 10 {
			if st, d := app.move(key, "checkout", checkout); st != 200 {
				t.Fatalf("round %d: checkout %d %s", round, st, d)
			}
			codes, details := moveAll(t, app, 12, key, "checkin", "{}")
			if ok := check("simultaneous check-ins", codes, details); ok != 1 {
				t.Fatalf("round %d: %d check-ins succeeded, want 1 (%v)", round, ok, codes)
			}
			if st, d := app.move(key, "issue", `{"holder_id":"`+holder+`"}`); st != 200 {
				t.Fatalf("round %d: issue %d %s", round, st, d)
			}
			codes, details = moveAll(t, app, 12, key, "return", "{}")
			if ok := check("simultaneous returns", codes, details); ok != 1 {
				t.Fatalf("round %d: %d returns succeeded, want 1 (%v)", round, ok, codes)
			}
		}
		// Clients that each check the key out and in again, at the same time.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var codes []int
		var details []string
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 15 {
					for _, mv := range [][2]string{{"checkout", checkout}, {"checkin", "{}"}} {
						c, d := app.move(key, mv[0], mv[1])
						mu.Lock()
						codes, details = append(codes, c), append(details, d)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		check("check-outs and check-ins", codes, details)
	})
}
