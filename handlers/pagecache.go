package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// page is a response body built once and served from memory.
type page struct {
	Body        []byte
	ETag        string // strong validator, quoted
	ContentType string
	Encoded     encodings // Body compressed once, when built (compress.go)
}

// pageCache keeps the public policy pages, built once, by key. Published versions never change, so
// a page built from one stays right as long as the key names everything it
// depends on (version, banner, format). Concurrent requests for a missing
// key build it once; the others wait for that build.
type pageCache struct {
	mu  sync.RWMutex
	m   map[string]*pageEntry
	max int
	// brand is the version of the organisation's branding the pages
	// carry; a new one empties the cache (use).
	brand string
}

type pageEntry struct {
	ready chan struct{}
	page  page
	err   error
}

// newPageCache returns an empty cache.
func newPageCache() *pageCache {
	return &pageCache{m: map[string]*pageEntry{}, max: 4096}
}

// use empties the cache when the branding every page carries is no longer
// brand. A page built from the old branding meanwhile lands in the
// discarded map, never in the new one: a page built after the new branding
// was stored renders with it.
func (c *pageCache) use(brand string) {
	c.mu.RLock()
	same := c.brand == brand
	c.mu.RUnlock()
	if same {
		return
	}
	c.mu.Lock()
	if c.brand != brand {
		c.m = map[string]*pageEntry{}
		c.brand = brand
	}
	c.mu.Unlock()
}

// get returns the page for key, calling build when it is not cached. A
// failed build is not kept, so the next request tries again.
func (c *pageCache) get(key string, build func() (page, error)) (page, error) {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil {
		c.mu.Lock()
		e = c.m[key]
		if e == nil {
			if len(c.m) >= c.max {
				// Keys are bounded by published versions; reaching the bound
				// means an unusual load, and starting over is cheap.
				c.m = map[string]*pageEntry{}
			}
			e = &pageEntry{ready: make(chan struct{})}
			c.m[key] = e
			c.mu.Unlock()
			c.fill(key, e, build)
			return e.page, e.err
		}
		c.mu.Unlock()
	}
	<-e.ready
	return e.page, e.err
}

func (c *pageCache) fill(key string, e *pageEntry, build func() (page, error)) {
	defer close(e.ready)
	p, err := build()
	if err != nil {
		e.err = err
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
		return
	}
	if p.ETag == "" {
		p.ETag = newPage(p.Body, p.ContentType).ETag
	}
	p.Encoded = compressOnce(p.Body, p.ContentType)
	e.page = p
}

// newPage wraps a body with a strong ETag derived from its bytes.
func newPage(body []byte, contentType string) page {
	sum := sha256.Sum256(body)
	return page{Body: body, ContentType: contentType, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// servePage sends the cached page under key, building it on first use.
func (s *Server) servePage(c *fiber.Ctx, key, cacheControl string, build func() (page, error)) error {
	// Every page carries the organisation's branding.
	s.pages.use(s.brandNow().Version)
	p, err := s.pages.get(key, build)
	if err != nil {
		return err
	}
	return sendPage(c, p, cacheControl)
}

// sendPage writes a page with its validators and answers a matching
// If-None-Match with 304.
func sendPage(c *fiber.Ctx, p page, cacheControl string) error {
	body, coding, etag := p.variant(c)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, cacheControl)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if coding != "" {
		c.Response().Header.SetContentEncoding(coding)
	}
	c.Set(fiber.HeaderContentType, p.ContentType)
	return c.Send(body)
}

// variant is the body to send for the request's Accept-Encoding, with its
// coding and its ETag: each coding is its own representation, so its own
// strong validator.
func (p page) variant(c *fiber.Ctx) (body []byte, coding, etag string) {
	if p.Encoded.Brotli == nil && p.Encoded.Gzip == nil {
		return p.Body, "", p.ETag
	}
	c.Response().Header.SetCanonical(varyKey, acceptEncodingVal)
	body, coding = p.Encoded.pick(c.Request().Header.Peek(fiber.HeaderAcceptEncoding), p.Body)
	if coding == "" {
		return body, "", p.ETag
	}
	return body, coding, strings.TrimSuffix(p.ETag, `"`) + "-" + coding + `"`
}

// etagMatches implements If-None-Match's weak comparison over a list.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, h := range strings.Split(header, ",") {
		h = strings.TrimPrefix(strings.TrimSpace(h), "W/")
		if h == "*" || h == etag {
			return true
		}
	}
	return false
}
