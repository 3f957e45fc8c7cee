package loadgen

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// picker draws operations by weight.
type picker struct {
	ops   []Op
	cum   []int
	total int
}

func newPicker(mix map[Op]int) *picker {
	p := &picker{}
	for _, op := range Ops {
		if w := mix[op]; w > 0 {
			p.total += w
			p.ops = append(p.ops, op)
			p.cum = append(p.cum, p.total)
		}
	}
	return p
}

func (p *picker) pick(rng *rand.Rand) Op {
	if p.total == 0 {
		return OpViewKey
	}
	n := rng.IntN(p.total)
	i, _ := slices.BinarySearch(p.cum, n+1)
	return p.ops[i]
}

// ParseMix reads weights written as "checkout=50,search=10"; an operation
// not named gets no requests.
func ParseMix(s string) (map[Op]int, error) {
	mix := map[Op]int{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("mix: %q must be OPERATION=WEIGHT, e.g. checkout=50", part)
		}
		op := Op(strings.TrimSpace(name))
		if !slices.Contains(Ops, op) || op == OpCheckin {
			return nil, fmt.Errorf("mix: %q is not an operation; use %s", name, opNames())
		}
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(w), "%d", &n); err != nil || n < 0 || n > 1000 || fmt.Sprint(n) != strings.TrimSpace(w) {
			return nil, fmt.Errorf("mix: the weight of %s must be a whole number from 0 to 1000, got %q", op, w)
		}
		if _, dup := mix[op]; dup {
			return nil, fmt.Errorf("mix: %s is named twice", op)
		}
		mix[op] = n
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("mix: at least one weight must be above 0")
	}
	return mix, nil
}

func opNames() string {
	var names []string
	for _, op := range Ops {
		if op != OpCheckin {
			names = append(names, string(op))
		}
	}
	return strings.Join(names, ", ") + " (checkout stands for both custody moves)"
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

// Write prints the report as a table for people.
func (r *Report) Write(w io.Writer) {
	total := r.Total()
	fmt.Fprintf(w, "%d clients on %s for %s: %d requests, %.0f/s\n", r.Clients, strings.Join(r.Servers, ", "),
		r.Elapsed.Round(time.Millisecond), total.Count+total.Failed, float64(total.Count)/r.Elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\tok/s\tp50\tp95\tp99\tnot ok\t")
	for _, op := range Ops {
		s := r.Ops[op]
		if s.Count+s.Failed == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%d\t\n", op, s.Count+s.Failed, float64(s.OK)/r.Elapsed.Seconds(),
			ms(s.Percentile(50)), ms(s.Percentile(95)), ms(s.Percentile(99)), s.Count+s.Failed-s.OK)
	}
	tw.Flush()
	if r.DoorKeys > 0 {
		fmt.Fprintf(w, "door-access asked about %q, which lists %d copies\n", r.Door, r.DoorKeys)
	}
	var sts []int
	for st := range total.Statuses {
		sts = append(sts, st)
	}
	slices.Sort(sts)
	var parts []string
	for _, st := range sts {
		parts = append(parts, fmt.Sprintf("%d: %d", st, total.Statuses[st]))
	}
	if total.Failed > 0 {
		parts = append(parts, fmt.Sprintf("no answer: %d", total.Failed))
	}
	fmt.Fprintf(w, "answers by status: %s\n", strings.Join(parts, ", "))
	if c := total.Statuses[409]; c > 0 && len(r.Shared) > 0 {
		fmt.Fprintf(w, "  (409: a move refused because another client moved the same shared key first, as expected)\n")
	}
	if c := total.Statuses[429]; c > 0 {
		fmt.Fprintf(w, "  (429: the server's per-token limit held clients back; to measure the server rather than the limit, start it with KEYWARD_API_RATE=0)\n")
	}
	if n := r.ServerErrors(); n > 0 {
		fmt.Fprintf(w, "server errors or no answer: %d; first:\n", n)
		for _, e := range r.FirstErrors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	pairs := r.PairsPerSecond()
	fmt.Fprintf(w, "custody: %.1f check-out + check-in pairs/s acknowledged\n", pairs)
	switch {
	case r.ProbeErr != nil:
		fmt.Fprintf(w, "raw durable commits: not measured: %v\n", r.ProbeErr)
	case r.Probe > 0:
		raw := r.RawCommitsPerSecond()
		fmt.Fprintf(w, "raw durable commits on the same database, %d writers for %s: %.0f/s\n", r.Clients, r.ProbeFor, raw)
		fmt.Fprintf(w, "pairs/s to raw commits/s: %.2f\n", pairs/raw)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}
