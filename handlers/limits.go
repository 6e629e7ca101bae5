package handlers

import (
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// workLimiter bounds expensive work (imports and exports) so that one
// person cannot starve everyone else: each person runs one at a time, and
// the whole server runs at most slots at once. Cheap pages never wait.
type workLimiter struct {
	slots   int
	perUser int

	mu      sync.Mutex
	running int
	byUser  map[int64]int
}

func newWorkLimiter(slots, perUser int) *workLimiter {
	return &workLimiter{slots: slots, perUser: perUser, byUser: map[int64]int{}}
}

// Seconds a refused client is asked to wait.
const (
	retryOwnWork  = 5
	retryBusyWork = 10
)

// acquire takes a slot for user, or says why not: a *fiber.Error with
// 429 when the person already has work running, 503 when the server is
// full.
func (l *workLimiter) acquire(user int64) (release func(), err *fiber.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUser[user] >= l.perUser {
		return nil, fiber.NewError(fiber.StatusTooManyRequests,
			"You already have an import or export running. Wait for it to finish, then try again.")
	}
	if l.running >= l.slots {
		return nil, fiber.NewError(fiber.StatusServiceUnavailable,
			"Steward is busy with other imports and exports right now. Try again in a few seconds.")
	}
	l.running++
	l.byUser[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.running--
			if l.byUser[user]--; l.byUser[user] <= 0 {
				delete(l.byUser, user)
			}
		})
	}, nil
}

// middleware limits the expensive requests of signed-in people; others
// pass untouched (the route guard refuses anonymous callers anyway).
func (l *workLimiter) middleware(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil || !expensive(c.Method(), c.Path()) {
		return c.Next()
	}
	release, ferr := l.acquire(u.ID)
	if ferr != nil {
		wait := retryBusyWork
		if ferr.Code == fiber.StatusTooManyRequests {
			wait = retryOwnWork
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(wait))
		return ferr
	}
	handed := false
	defer func() {
		if !handed {
			release()
		}
	}()
	err := c.Next()
	// A streamed export does its work after the handler returns, while
	// the body is written: the slot is held until the stream is closed.
	if c.Response().IsBodyStream() {
		body := c.Response().BodyStream()
		c.Response().SetBodyStream(&releasingStream{Reader: body, release: release}, c.Response().Header.ContentLength())
		handed = true
	}
	return err
}

// releasingStream frees a work slot once its body has been written.
type releasingStream struct {
	io.Reader
	release func()
}

func (r *releasingStream) Close() error {
	defer r.release()
	if cl, ok := r.Reader.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// expensive reports whether a request imports or exports in bulk: a
// download of a .csv, .zip or .json file or of an export, or an upload of
// an import. Matching the shape of the path keeps routes added later
// under the limit without a list to maintain.
func expensive(method, path string) bool {
	path = strings.TrimRight(strings.ToLower(path), "/")
	switch method {
	case fiber.MethodGet, fiber.MethodHead:
		for _, suffix := range []string{".csv", ".zip", ".json", "/export", "/evidence"} {
			if strings.HasSuffix(path, suffix) {
				return true
			}
		}
	case fiber.MethodPost:
		for _, suffix := range []string{"/import", "/upload"} {
			if strings.HasSuffix(path, suffix) {
				return true
			}
		}
	}
	return false
}
