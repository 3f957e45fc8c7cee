package web

import (
	"crypto/sha256"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/keyward/keyward/internal/keyward"
)

// RateLimit is how many API requests per second one token may make to one
// process, with a burst for short spikes. A zero PerSecond turns it off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// DefaultRateLimit is what serve uses when KEYWARD_API_RATE is not set.
var DefaultRateLimit = RateLimit{PerSecond: 50, Burst: 100}

// ParseRateLimit reads KEYWARD_API_RATE: requests per second per token, "0"
// for no limit. The burst is twice the rate, and at least 1.
func ParseRateLimit(v string) (RateLimit, error) {
	if v == "" {
		return DefaultRateLimit, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return RateLimit{}, errInvalidRate
	}
	if f == 0 {
		return RateLimit{}, nil
	}
	return RateLimit{PerSecond: f, Burst: max(1, int(math.Ceil(2*f)))}, nil
}

var errInvalidRate = keyward.Invalid("KEYWARD_API_RATE", "must be a number of requests per second, 0 for no limit")

// limiter keeps one token bucket per API token seen by this process. Buckets
// are keyed by a hash of the token, so the token itself is not kept in memory
// longer than the request, and only tokens that authenticated get one, so the
// map is bounded by the tokens that exist.
type limiter struct {
	cfg     RateLimit
	mu      sync.Mutex
	buckets map[[sha256.Size]byte]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.PerSecond <= 0 {
		return nil
	}
	return &limiter{cfg: cfg, buckets: map[[sha256.Size]byte]*bucket{}}
}

// idleAfter is how long an unused bucket is kept; by then it is full again,
// so dropping it changes nothing.
const idleAfter = 10 * time.Minute

// allow takes one request from the token's bucket; when the bucket is empty it
// says how long until the next request would be allowed.
func (l *limiter) allow(token string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	k := sha256.Sum256([]byte(token))
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleAfter {
		for key, b := range l.buckets {
			if now.Sub(b.seen) > idleAfter {
				delete(l.buckets, key)
			}
		}
		l.swept = now
	}
	b := l.buckets[k]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)}
		l.buckets[k] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// tooMany is the 429 a caller over its rate gets, with whole seconds to wait.
func tooMany(wait time.Duration) (retryAfter string, err error) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return strconv.Itoa(secs), keyward.Errorf(keyward.ETOOMANY, "more than the allowed requests per second for this API token; retry after %d s", secs)
}
