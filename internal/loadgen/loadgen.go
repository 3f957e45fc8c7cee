package loadgen

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	// Servers are the base URLs of the servers to drive (at least one);
	// client i talks to Servers[i % len]. Each must pass CheckTarget.
	Servers []string
	// Token is an API token of an owner or admin: the run creates its
	// keyway, holders, keys, door and one token per client with it.
	Token string
	// Clients is how many clients send requests at once.
	Clients int
	// Duration ends the run after this long; Count after this many
	// operations in all (whichever comes first; at least one must be set).
	Duration time.Duration
	Count    int
	// Keys is how many keys each client has for itself; Shared how many keys
	// every client fights over; SharedShare the share (0 to 1) of custody
	// moves made on a shared key.
	Keys, Shared int
	SharedShare  float64
	// Mix weighs the operations; nil is DefaultMix.
	Mix map[Op]int
	// Door, when set, is a door already in the database (its name, or its
	// id): door-access asks about it instead of the run's own door, and
	// view-key and history look at its keys half the time. `keyward
	// seed` makes one whose keys have long histories, SeedDoor.
	Door string
	// Probe, when set, measures the raw durable-commit rate of the database
	// under the servers at the same concurrency, after the load: single-row
	// commits by clients writers for d. It returns how many it made.
	Probe func(ctx context.Context, clients int, d time.Duration) (int64, error)
	// ProbeFor is how long the probe runs; zero is min(Duration, 10s), or 5s.
	ProbeFor time.Duration
	// Seed makes the choice of operations repeatable.
	Seed uint64
	// Progress, when set, is told about setup steps in words.
	Progress io.Writer
	// Started, when set, is called once setup is done and the load begins
	// (a test times a fault from it).
	Started func()
}

// Op is one kind of request the run makes.
type Op string

const (
	OpCheckout   Op = "checkout"    // POST /keys/{id}/checkout
	OpCheckin    Op = "checkin"     // POST /keys/{id}/checkin
	OpViewKey    Op = "view-key"    // GET /keys/{id}
	OpHistory    Op = "history"     // GET /keys/{id}/history
	OpAccess     Op = "door-access" // GET /openings/{id}/access: who can open a door
	OpSearch     Op = "search"      // GET /search?q=
	OpImport     Op = "import"      // POST /imports with a small CSV
	OpCredential Op = "credential"  // POST /credentials, then POST /credentials/{id}/revoke
)

// Ops lists every operation in report order.
var Ops = []Op{OpCheckout, OpCheckin, OpViewKey, OpHistory, OpAccess, OpSearch, OpImport, OpCredential}

// DefaultMix is a busy front desk: half the requests move keys, most of the
// rest look things up, a few change credentials or import a sheet. Custody
// moves are drawn as one weight (OpCheckout) and made as whichever the key
// needs next.
var DefaultMix = map[Op]int{OpCheckout: 50, OpViewKey: 12, OpHistory: 10, OpAccess: 6, OpSearch: 12, OpImport: 2, OpCredential: 8}

// Stats are one operation's results.
type Stats struct {
	Count    int             // answers received
	OK       int             // 2xx
	Statuses map[int]int     // every status, 2xx included
	Failed   int             // no answer (connection refused, timeout)
	Latency  []time.Duration // of every answer, sorted once the run ends
}

// Percentile of the sorted latencies (p in 0..100).
func (s *Stats) Percentile(p float64) time.Duration {
	if len(s.Latency) == 0 {
		return 0
	}
	i := int(float64(len(s.Latency)-1) * p / 100)
	return s.Latency[i]
}

// Moves are the custody moves a key was acknowledged (2xx) to have made.
type Moves struct {
	Checkouts, Checkins int
}

// Report is what a run measured.
type Report struct {
	Servers []string
	Clients int
	Elapsed time.Duration
	Ops     map[Op]*Stats
	Shared  []string         // ids of the shared keys
	Acked   map[string]Moves // every key's acknowledged moves, by key id
	AckedAt []AckedMove      // every acknowledged move with when it was answered
	// Door is the door door-access asked about, DoorKeys how many copies it
	// listed when the run began.
	Door     string
	DoorKeys int
	Probe    int64 // raw commits the probe made (0: not measured)
	ProbeFor time.Duration
	ProbeErr error
	// FirstErrors are up to ten answers that were 5xx or no answer at all.
	FirstErrors []string
}

// AckedMove is one custody move the server acknowledged, when its answer
// arrived (a test compares these with a backup's time).
type AckedMove struct {
	Key string
	Op  Op
	At  time.Time
}

// Total sums the stats of every operation.
func (r *Report) Total() Stats {
	var t Stats
	t.Statuses = map[int]int{}
	for _, s := range r.Ops {
		t.Count += s.Count
		t.OK += s.OK
		t.Failed += s.Failed
		for k, v := range s.Statuses {
			t.Statuses[k] += v
		}
	}
	return t
}

// ServerErrors counts 5xx answers and requests that got no answer.
func (r *Report) ServerErrors() int {
	n := 0
	for _, s := range r.Ops {
		n += s.Failed
		for st, c := range s.Statuses {
			if st >= 500 {
				n += c
			}
		}
	}
	return n
}

// PairsPerSecond is acknowledged check-out + check-in pairs per second.
func (r *Report) PairsPerSecond() float64 {
	moves := r.Ops[OpCheckout].OK + r.Ops[OpCheckin].OK
	return float64(moves) / 2 / r.Elapsed.Seconds()
}

// RawCommitsPerSecond is the probe's rate, 0 if it did not run.
func (r *Report) RawCommitsPerSecond() float64 {
	if r.Probe == 0 || r.ProbeFor == 0 {
		return 0
	}
	return float64(r.Probe) / r.ProbeFor.Seconds()
}

// run is one run's shared state.
type run struct {
	cfg     Config
	bases   []*url.URL
	http    *http.Client
	tag     string // names what this run created
	keyway  string
	holders []string
	opening string // the run's own door, which its credentials open
	// door is what door-access asks about (the run's own door, or
	// Config.Door); doorKeys are the ids of the keys Config.Door lists.
	door     string
	doorKeys []string
	symbols  []string
	shared   []*sharedKey
	imports  atomic.Int64

	mu     sync.Mutex
	report *Report
}

type sharedKey struct {
	id string
}

// Run sets up, drives the servers until the duration or count is reached,
// then runs the probe, and returns the report. Setup failures and a server
// that refuses the token end it with an error; answers during the load are
// counted, never fatal.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("server: at least one is needed")
	}
	if cfg.Clients < 1 || cfg.Clients > 1000 {
		return nil, fmt.Errorf("clients: must be 1 to 1000, got %d", cfg.Clients)
	}
	if cfg.Duration <= 0 && cfg.Count <= 0 {
		return nil, errors.New("duration or count: one must be given")
	}
	if cfg.Keys < 1 || cfg.Keys > 100 {
		return nil, fmt.Errorf("keys: must be 1 to 100 per client, got %d", cfg.Keys)
	}
	if cfg.Shared < 0 || cfg.Shared > 1000 {
		return nil, fmt.Errorf("shared: must be 0 to 1000, got %d", cfg.Shared)
	}
	if cfg.SharedShare < 0 || cfg.SharedShare > 1 || (cfg.SharedShare > 0 && cfg.Shared == 0) {
		return nil, fmt.Errorf("shared share: must be 0 to 1, and needs shared keys, got %v", cfg.SharedShare)
	}
	if cfg.Token == "" {
		return nil, errors.New("token: an owner's or admin's API token is needed (keyward token create)")
	}
	mix := cfg.Mix
	if mix == nil {
		mix = DefaultMix
	}
	r := &run{cfg: cfg, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients + 4}}}
	defer r.http.CloseIdleConnections()
	for _, s := range cfg.Servers {
		u, err := CheckTarget(s)
		if err != nil {
			return nil, err
		}
		r.bases = append(r.bases, u)
	}
	var tag [4]byte
	_, _ = crand.Read(tag[:])
	r.tag = strings.ToUpper(hex.EncodeToString(tag[:]))
	r.report = &Report{Servers: cfg.Servers, Clients: cfg.Clients, Ops: map[Op]*Stats{}, Acked: map[string]Moves{}}
	for _, op := range Ops {
		r.report.Ops[op] = &Stats{Statuses: map[int]int{}}
	}
	clients, err := r.setup(ctx)
	if err != nil {
		return nil, err
	}
	defer r.teardown(clients)

	var left atomic.Int64
	left.Store(int64(cfg.Count))
	runCtx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	picker := newPicker(mix)
	if cfg.Started != nil {
		cfg.Started()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
			for runCtx.Err() == nil {
				if cfg.Count > 0 && left.Add(-1) < 0 {
					return
				}
				// A request started runs to its answer even when the run
				// ends meanwhile, so every move the server made is counted.
				r.one(ctx, c, picker.pick(rng), rng)
			}
		}()
	}
	wg.Wait()
	r.report.Elapsed = time.Since(start)
	for _, s := range r.report.Ops {
		sortDurations(s.Latency)
	}
	for _, k := range r.shared {
		r.report.Shared = append(r.report.Shared, k.id)
	}
	if cfg.Probe != nil && ctx.Err() == nil {
		d := cfg.ProbeFor
		if d == 0 {
			d = 5 * time.Second
			if cfg.Duration > 0 {
				d = min(cfg.Duration, 10*time.Second)
			}
		}
		r.say("measuring raw durable commits on the same database: %d writers for %s", cfg.Clients, d)
		r.report.ProbeFor = d
		r.report.Probe, r.report.ProbeErr = cfg.Probe(ctx, cfg.Clients, d)
	}
	return r.report, nil
}

func (r *run) say(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

// client is one simulated person at a desk: a token of its own, its own
// keys (whose state it knows) and credentials it issued and will revoke.
type client struct {
	base    *url.URL
	token   string
	tokenID string
	own     []ownKey
	creds   []string
}

type ownKey struct {
	id  string
	out bool
}

// setup makes what the run works on, through the API: a keyway, a door
// whose symbols are the run's, holders, every client's keys and the shared
// keys, and a token per client (a token is limited in requests per second,
// as a person is).
func (r *run) setup(ctx context.Context) ([]*client, error) {
	admin := &client{base: r.bases[0], token: r.cfg.Token}
	var me struct {
		Email string `json:"email"`
	}
	if err := r.must(ctx, admin, "GET", "/api/v1/me", nil, &me); err != nil {
		return nil, err
	}
	r.say("setting up run %s on %s: %d clients, %d keys each, %d shared", r.tag, r.bases[0], r.cfg.Clients, r.cfg.Keys, r.cfg.Shared)
	var kw, site, op idOnly
	if err := r.must(ctx, admin, "POST", "/api/v1/keyways", map[string]any{"name": "Load " + r.tag, "duplication_policy": "open"}, &kw); err != nil {
		return nil, err
	}
	r.keyway = kw.ID
	if err := r.must(ctx, admin, "POST", "/api/v1/sites", map[string]any{"name": "Load site " + r.tag}, &site); err != nil {
		return nil, err
	}
	if err := r.must(ctx, admin, "POST", "/api/v1/openings", map[string]any{"site_id": site.ID, "name": "Load door " + r.tag, "kind": "door"}, &op); err != nil {
		return nil, err
	}
	r.opening, r.door = op.ID, op.ID
	r.report.Door = "Load door " + r.tag
	if r.cfg.Door != "" {
		if err := r.findDoor(ctx, admin); err != nil {
			return nil, err
		}
	}
	for i := range 3 {
		sym := fmt.Sprintf("L%s%d", r.tag, i)
		r.symbols = append(r.symbols, sym)
		if err := r.must(ctx, admin, "POST", "/api/v1/openings/"+op.ID+"/symbols", map[string]any{"symbol": sym}, nil); err != nil {
			return nil, err
		}
	}
	for i := range 4 {
		var h idOnly
		if err := r.must(ctx, admin, "POST", "/api/v1/holders", map[string]any{"name": fmt.Sprintf("Load holder %s %d", r.tag, i), "email": fmt.Sprintf("load%d-%s@load.invalid", i, strings.ToLower(r.tag))}, &h); err != nil {
			return nil, err
		}
		r.holders = append(r.holders, h.ID)
	}
	newKey := func(i int) (string, error) {
		var k idOnly
		err := r.must(ctx, admin, "POST", "/api/v1/keys", map[string]any{"keyway_id": kw.ID, "symbol": r.symbols[i%len(r.symbols)]}, &k)
		return k.ID, err
	}
	for i := range r.cfg.Shared {
		id, err := newKey(i)
		if err != nil {
			return nil, err
		}
		r.shared = append(r.shared, &sharedKey{id: id})
	}
	var clients []*client
	for i := range r.cfg.Clients {
		c := &client{base: r.bases[i%len(r.bases)]}
		var tok struct {
			Token string `json:"token"`
			ID    string `json:"id"`
		}
		if err := r.must(ctx, admin, "POST", "/api/v1/tokens", map[string]any{"name": fmt.Sprintf("load %s client %d", r.tag, i)}, &tok); err != nil {
			r.teardown(clients)
			return nil, err
		}
		c.token, c.tokenID = tok.Token, tok.ID
		clients = append(clients, c)
		for j := range r.cfg.Keys {
			id, err := newKey(i + j)
			if err != nil {
				r.teardown(clients)
				return nil, err
			}
			c.own = append(c.own, ownKey{id: id})
		}
	}
	return clients, nil
}

// teardown revokes the clients' tokens; the keys and their logbook stay, as
// any real history does.
func (r *run) teardown(clients []*client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := &client{base: r.bases[0], token: r.cfg.Token}
	for _, c := range clients {
		_, _, _ = r.send(ctx, admin, "DELETE", "/api/v1/tokens/"+url.PathEscape(c.tokenID), nil, "")
	}
}

// findDoor finds Config.Door by id or by its exact name (through search,
// as a person would) and reads the keys it lists; a door that lists none
// would measure an empty answer, so it is refused.
func (r *run) findDoor(ctx context.Context, admin *client) error {
	name := r.cfg.Door
	id := name
	if !strings.HasPrefix(name, "opn_") {
		var res struct {
			Openings []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"openings"`
		}
		if err := r.must(ctx, admin, "GET", "/api/v1/search?limit=50&q="+url.QueryEscape(name), nil, &res); err != nil {
			return err
		}
		var ids []string
		for _, o := range res.Openings {
			if strings.EqualFold(o.Name, name) {
				ids = append(ids, o.ID)
			}
		}
		switch len(ids) {
		case 0:
			return fmt.Errorf("door: no door is named %q (keyward seed makes one named %q)", name, "Seed door")
		case 1:
			id = ids[0]
		default:
			return fmt.Errorf("door: %d doors are named %q; give the id of one", len(ids), name)
		}
	}
	var acc struct {
		Opening struct {
			Name string `json:"name"`
		} `json:"opening"`
		Keys []idOnly `json:"keys"`
	}
	if err := r.must(ctx, admin, "GET", "/api/v1/openings/"+url.PathEscape(id)+"/access", nil, &acc); err != nil {
		return fmt.Errorf("door %q: %w", name, err)
	}
	if len(acc.Keys) == 0 {
		return fmt.Errorf("door: %q lists no keys, so door-access would measure an empty answer", name)
	}
	r.door = id
	for _, k := range acc.Keys {
		r.doorKeys = append(r.doorKeys, k.ID)
	}
	r.report.Door, r.report.DoorKeys = acc.Opening.Name, len(acc.Keys)
	r.say("door-access asks about %q (%d copies); view-key and history look at its keys half the time", acc.Opening.Name, len(acc.Keys))
	return nil
}

type idOnly struct {
	ID string `json:"id"`
}

// must sends a setup request and wants a 2xx. Setup makes many requests
// with one token, so a 429 waits as its Retry-After says and tries again.
func (r *run) must(ctx context.Context, c *client, method, path string, body, out any) error {
	var st int
	var raw []byte
	var err error
	for try := 0; ; try++ {
		st, raw, err = r.send(ctx, c, method, path, body, "")
		if err != nil || st != http.StatusTooManyRequests || try == 20 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err != nil {
		return fmt.Errorf("setup: %s %s: %w", method, path, err)
	}
	if st/100 != 2 {
		return fmt.Errorf("setup: %s %s answered %d: %s", method, path, st, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("setup: %s %s: %w", method, path, err)
		}
	}
	return nil
}

// send makes one request; body is JSON unless contentType is given (then
// it must be []byte).
func (r *run) send(ctx context.Context, c *client, method, path string, body any, contentType string) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, raw, err
}

// one makes one operation of kind op and records it.
func (r *run) one(ctx context.Context, c *client, op Op, rng *rand.Rand) {
	var (
		method, path, ctype string
		body                any
		after               func(st int, raw []byte)
	)
	anyKey := func() string {
		if len(r.doorKeys) > 0 && rng.IntN(2) == 0 {
			return r.doorKeys[rng.IntN(len(r.doorKeys))]
		}
		if len(r.shared) > 0 && rng.IntN(2) == 0 {
			return r.shared[rng.IntN(len(r.shared))].id
		}
		return c.own[rng.IntN(len(c.own))].id
	}
	switch op {
	case OpCheckout:
		// A custody move: on a shared key, whichever a coin says (the key's
		// state is unknown, so some are refused with 409); on an own key,
		// whichever the key needs next.
		var key string
		var own *ownKey
		out := rng.IntN(2) == 0
		if len(r.shared) > 0 && rng.Float64() < r.cfg.SharedShare {
			key = r.shared[rng.IntN(len(r.shared))].id
		} else {
			own = &c.own[rng.IntN(len(c.own))]
			key, out = own.id, !own.out
		}
		if out {
			path = "/api/v1/keys/" + key + "/checkout"
			body = map[string]any{"holder_id": r.holders[rng.IntN(len(r.holders))], "due_at": time.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)}
		} else {
			op = OpCheckin
			path = "/api/v1/keys/" + key + "/checkin"
			body = map[string]any{}
		}
		method = "POST"
		after = func(st int, _ []byte) {
			if st/100 == 2 {
				if own != nil {
					own.out = out
				}
				r.mu.Lock()
				m := r.report.Acked[key]
				if out {
					m.Checkouts++
				} else {
					m.Checkins++
				}
				r.report.Acked[key] = m
				r.report.AckedAt = append(r.report.AckedAt, AckedMove{Key: key, Op: op, At: time.Now()})
				r.mu.Unlock()
			}
		}
	case OpViewKey:
		method, path = "GET", "/api/v1/keys/"+anyKey()
	case OpHistory:
		method, path = "GET", "/api/v1/keys/"+anyKey()+"/history?limit=20"
	case OpAccess:
		method, path = "GET", "/api/v1/openings/"+r.door+"/access"
	case OpSearch:
		q := r.symbols[rng.IntN(len(r.symbols))]
		if rng.IntN(3) == 0 {
			q = "Load holder"
		}
		method, path = "GET", "/api/v1/search?limit=20&q="+url.QueryEscape(q)
	case OpImport:
		n := r.imports.Add(1)
		var b strings.Builder
		b.WriteString("symbol,keyway\n")
		for i := range 1 + rng.IntN(3) {
			fmt.Fprintf(&b, "I%s%d_%d,Load %s\n", r.tag, n, i, r.tag)
		}
		method, path, ctype, body = "POST", "/api/v1/imports", "text/csv", []byte(b.String())
	case OpCredential:
		// Issue a card for the run's door, or revoke one issued earlier.
		method = "POST"
		if len(c.creds) > 0 && rng.IntN(2) == 0 {
			id := c.creds[len(c.creds)-1]
			c.creds = c.creds[:len(c.creds)-1]
			path, body = "/api/v1/credentials/"+id+"/revoke", map[string]any{"reason": "load run"}
			break
		}
		path = "/api/v1/credentials"
		body = map[string]any{"kind": "card", "number": fmt.Sprintf("%08d", rng.IntN(1e8)), "holder_id": r.holders[rng.IntN(len(r.holders))], "opening_ids": []string{r.opening}}
		after = func(st int, raw []byte) {
			var cr idOnly
			if st == http.StatusCreated && json.Unmarshal(raw, &cr) == nil && cr.ID != "" {
				c.creds = append(c.creds, cr.ID)
			}
		}
	default:
		return
	}
	start := time.Now()
	st, raw, err := r.send(ctx, c, method, path, body, ctype)
	took := time.Since(start)
	if err != nil && ctx.Err() != nil {
		return // the caller gave up on the run: not an answer
	}
	if after != nil && err == nil {
		after(st, raw)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.report.Ops[op]
	if err != nil {
		s.Failed++
		if len(r.report.FirstErrors) < 10 {
			r.report.FirstErrors = append(r.report.FirstErrors, fmt.Sprintf("%s %s: %v", method, path, err))
		}
		return
	}
	s.Count++
	s.Statuses[st]++
	s.Latency = append(s.Latency, took)
	if st/100 == 2 {
		s.OK++
	}
	if st >= 500 && len(r.report.FirstErrors) < 10 {
		r.report.FirstErrors = append(r.report.FirstErrors, fmt.Sprintf("%s %s: %d %s", method, path, st, bytes.TrimSpace(raw)))
	}
}
