package handlers

import (
	"strings"
	"sync"
	"time"
)

// loginLimiter counts sign-in attempts per key (an account, an address, or
// the pair of both) in a fixed window. It lives in memory only: Steward
// stores no IP addresses, and a restart forgets them.
//
// An attempt is reserved before the password is checked, for every key it
// counts against at once, under one lock: of many guesses sent together,
// no more than the limit are ever checked (checking first and counting
// after let thirty parallel guesses all through).
type loginLimiter struct {
	mu      sync.Mutex
	window  time.Duration
	entries map[string]*limitEntry
	swept   time.Time
}

type limitEntry struct {
	start time.Time
	count int
}

// budget is one count an attempt draws on; limit 0 counts without limit
// (the address's count only slows its sign-ins down).
type budget struct {
	key   string
	limit int
}

// Limits on sign-in attempts per window. A wall stands only where an
// attacker cannot put it in front of someone else: the pair of an account
// and an address. The account as a whole has a far higher wall, against
// guesses from many addresses; an address that tries many accounts is
// slowed down, never refused, so one person behind a shared proxy cannot
// lock everyone else out.
const (
	pairFailureLimit    = 5
	accountFailureLimit = 50
	addressSlowAfter    = 20
	limitWindow         = 15 * time.Minute
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{window: limitWindow, entries: map[string]*limitEntry{}}
}

// take reserves one attempt from every budget, or from none if any of them
// is spent; then it reports for how long the spent one stays spent.
func (l *loginLimiter) take(now time.Time, budgets ...budget) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	for _, b := range budgets {
		e := l.current(b.key, now)
		if b.limit > 0 && e != nil && e.count >= b.limit {
			return false, e.start.Add(l.window).Sub(now)
		}
	}
	for _, b := range budgets {
		e := l.current(b.key, now)
		if e == nil {
			e = &limitEntry{start: now}
			l.entries[b.key] = e
		}
		e.count++
	}
	return true, 0
}

// count is how many attempts key has made in its window.
func (l *loginLimiter) count(key string, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.current(key, now); e != nil {
		return e.count
	}
	return 0
}

// give returns a reserved attempt: one that turned out to be right.
func (l *loginLimiter) give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[key]; ok && e.count > 0 {
		e.count--
	}
}

// resetAccount forgets an account's attempts, from every address: its
// password was just set through a link sent to its owner.
func (l *loginLimiter) resetAccount(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, "account:"+email)
	for k := range l.entries {
		if strings.HasPrefix(k, "pair:"+email+"|") {
			delete(l.entries, k)
		}
	}
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// current is key's entry if its window is still open.
func (l *loginLimiter) current(key string, now time.Time) *limitEntry {
	e, ok := l.entries[key]
	if !ok || now.Sub(e.start) >= l.window {
		return nil
	}
	return e
}

// sweep forgets closed windows, at most once a window.
func (l *loginLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) <= l.window {
		return
	}
	for k, e := range l.entries {
		if now.Sub(e.start) >= l.window {
			delete(l.entries, k)
		}
	}
	l.swept = now
}

// slowDown is how long an address that has made n attempts waits before
// its next one is checked: nothing up to addressSlowAfter, then a quarter
// second doubling to at most five seconds.
func slowDown(n int) time.Duration {
	if n < addressSlowAfter {
		return 0
	}
	d := 250 * time.Millisecond << min(n-addressSlowAfter, 5)
	return min(d, 5*time.Second)
}
