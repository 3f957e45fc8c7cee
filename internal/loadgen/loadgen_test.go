package loadgen

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	for _, c := range []struct {
		in, err string
	}{
		{"http://127.0.0.1:8080", ""},
		{"http://127.0.0.1:8080/", ""},
		{"https://localhost:8443", ""},
		{"http://LOCALHOST:1", ""},
		{"http://[::1]:8080", ""},
		{"http://127.10.0.3:9", ""},
		{"http://192.0.2.1:8080", "not on this machine"},
		{"http://10.0.0.1", "not on this machine"},
		{"http://example.com", "not on this machine"},
		{"http://localhost.example.com", "not on this machine"},
		{"http://127.0.0.1.nip.io", "not on this machine"},
		{"http://[::ffff:192.0.2.1]:80", "not on this machine"},
		{"http://0.0.0.0:8080", "not on this machine"},
		{"ftp://127.0.0.1", "must start with http"},
		{"127.0.0.1:8080", "is not a URL such as http://"},
		{"localhost:8080", "is not a URL"},
		{"ws://localhost:8080", "must start with http"},
		{"", "is not a URL"},
		{"http://u:p@127.0.0.1", "only scheme, host and port"},
		{"http://127.0.0.1/api", "only scheme, host and port"},
	} {
		_, err := CheckTarget(c.in)
		if c.err == "" && err != nil {
			t.Errorf("%q refused: %v", c.in, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: err %v, want %q", c.in, err, c.err)
		}
	}
}

// FuzzCheckTarget: whatever is typed, an accepted target is on this machine.
func FuzzCheckTarget(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "http://[::1]:1", "http://localhost", "http://10.0.0.1", "http://127.0.0.1@evil.example", "http://evil.example#@127.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := CheckTarget(s)
		if err != nil {
			return
		}
		h := strings.ToLower(u.Hostname())
		if h != "localhost" && !strings.HasPrefix(h, "127.") && h != "::1" && !strings.HasPrefix(h, "0:0:0:0:0:0:0:1") {
			t.Fatalf("%q accepted with host %q", s, h)
		}
	})
}

func TestParseMix(t *testing.T) {
	for _, c := range []struct {
		in, err string
		want    map[Op]int
	}{
		{"checkout=50,search=10", "", map[Op]int{OpCheckout: 50, OpSearch: 10}},
		{" view-key = 3 ", "", map[Op]int{OpViewKey: 3}},
		{"checkout=0,import=1", "", map[Op]int{OpCheckout: 0, OpImport: 1}},
		{"checkin=5", "is not an operation", nil},
		{"dance=5", "is not an operation", nil},
		{"checkout", "must be OPERATION=WEIGHT", nil},
		{"checkout=-1", "whole number from 0 to 1000", nil},
		{"checkout=1.5", "whole number from 0 to 1000", nil},
		{"checkout=5x", "whole number from 0 to 1000", nil},
		{"checkout=1001", "whole number from 0 to 1000", nil},
		{"checkout=1,checkout=2", "named twice", nil},
		{"checkout=0", "at least one weight", nil},
	} {
		got, err := ParseMix(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v %v", c.in, got, err)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%q: %s = %d, want %d", c.in, k, got[k], v)
			}
		}
	}
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"checkout=50,search=10", "import=1", "x=", "=,="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err != nil {
			return
		}
		total := 0
		for op, w := range m {
			if op == OpCheckin || w < 0 || w > 1000 {
				t.Fatalf("%q gave %s=%d", s, op, w)
			}
			total += w
		}
		if total == 0 {
			t.Fatalf("%q accepted with no weight", s)
		}
	})
}

// TestPickerFollowsWeights: over many draws each operation comes up about as
// often as its weight says, and one without weight never.
func TestPickerFollowsWeights(t *testing.T) {
	p := newPicker(map[Op]int{OpCheckout: 3, OpSearch: 1})
	rng := rand.New(rand.NewPCG(1, 2))
	got := map[Op]int{}
	for range 40000 {
		got[p.pick(rng)]++
	}
	if got[OpViewKey] != 0 || got[OpCheckout] < 29000 || got[OpCheckout] > 31000 || got[OpSearch] < 9000 || got[OpSearch] > 11000 {
		t.Fatalf("draws %v, want about 30000 checkout and 10000 search", got)
	}
}

// TestRunRefusesBadConfig: a run that cannot make sense is refused before
// any request, naming the setting.
func TestRunRefusesBadConfig(t *testing.T) {
	good := Config{Servers: []string{"http://127.0.0.1:1"}, Token: "t", Clients: 2, Count: 10, Keys: 1}
	for _, c := range []struct {
		mod func(*Config)
		err string
	}{
		{func(c *Config) { c.Servers = nil }, "server"},
		{func(c *Config) { c.Servers = []string{"http://192.0.2.7"} }, "not on this machine"},
		{func(c *Config) { c.Clients = 0 }, "clients"},
		{func(c *Config) { c.Count = 0 }, "duration or count"},
		{func(c *Config) { c.Keys = 0 }, "keys"},
		{func(c *Config) { c.SharedShare = 0.5 }, "shared share"},
		{func(c *Config) { c.Shared, c.SharedShare = 2, 1.5 }, "shared share"},
		{func(c *Config) { c.Token = "" }, "token"},
	} {
		cfg := good
		c.mod(&cfg)
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("want %q, got %v", c.err, err)
		}
	}
	// The good one reaches setup and fails there: nothing listens on port 1.
	if _, err := Run(context.Background(), good); err == nil || !strings.Contains(err.Error(), "setup") {
		t.Errorf("a run against no server: %v", err)
	}
}
