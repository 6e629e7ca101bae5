package handlers

import (
	"sync"
	"time"
)

// loginLimiter counts failed sign-ins per key (an IP address or an
// account) in a fixed window. It lives in memory only: Steward stores no IP
// addresses, and a restart forgets them.
type loginLimiter struct {
	mu      sync.Mutex
	window  time.Duration
	entries map[string]*limitEntry
	swept   time.Time
}

type limitEntry struct {
	start    time.Time
	failures int
}

// Limits on failed sign-ins per window.
const (
	accountFailureLimit = 5
	ipFailureLimit      = 20
	limitWindow         = 15 * time.Minute
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{window: limitWindow, entries: map[string]*limitEntry{}}
}

// blocked reports whether key has used up limit failures in the current
// window, and for how long it stays blocked.
func (l *loginLimiter) blocked(key string, limit int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok || now.Sub(e.start) >= l.window {
		return false, 0
	}
	if e.failures >= limit {
		return true, e.start.Add(l.window).Sub(now)
	}
	return false, 0
}

func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window {
		for k, e := range l.entries {
			if now.Sub(e.start) >= l.window {
				delete(l.entries, k)
			}
		}
		l.swept = now
	}
	e, ok := l.entries[key]
	if !ok || now.Sub(e.start) >= l.window {
		e = &limitEntry{start: now}
		l.entries[key] = e
	}
	e.failures++
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}
