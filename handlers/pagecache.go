package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// page is a response body built once and served from memory.
type page struct {
	Body        []byte
	ETag        string // strong validator, quoted
	ContentType string
	Encoded     encodings // Body compressed once, when built (compress.go)
	// etags are the validators of the body as sent, in each coding (see
	// variant), made once when the page is cached; nil for a page sent
	// without the cache.
	etags *variantETags
}

// variantETags are a page's ETag as sent: as it is, and for its brotli
// and gzip copies.
type variantETags struct{ identity, brotli, gzip []byte }

func newVariantETags(etag string) *variantETags {
	coded := func(coding string) []byte { return []byte(strings.TrimSuffix(etag, `"`) + "-" + coding + `"`) }
	return &variantETags{identity: []byte(etag), brotli: coded(encBrotli), gzip: coded(encGzip)}
}

// pageCache keeps the public policy pages, built once, by key. Published versions never change, so
// a page built from one stays right as long as the key names everything it
// depends on (version, banner, format). Concurrent requests for a missing
// key build it once; the others wait for that build.
//
// Every public page request reads it, on every core, and it changes only
// when a page is first built: readers take no lock, they load the map, and
// a writer replaces the map whole with a copy holding its change.
type pageCache struct {
	mu  sync.Mutex // held by writers
	m   atomic.Pointer[map[string]*pageEntry]
	max int
	// brand is the version of the organisation's branding the pages
	// carry; a new one empties the cache (use).
	brand atomic.Pointer[string]
}

type pageEntry struct {
	ready chan struct{}
	page  page
	err   error
}

// newPageCache returns an empty cache.
func newPageCache() *pageCache {
	c := &pageCache{max: 4096}
	c.m.Store(&map[string]*pageEntry{})
	return c
}

// use empties the cache when the branding every page carries is no longer
// brand. A page built from the old branding meanwhile lands in the
// discarded map, never in the new one: a page built after the new branding
// was stored renders with it.
func (c *pageCache) use(brand string) {
	if b := c.brand.Load(); b != nil && *b == brand {
		return
	}
	c.mu.Lock()
	if b := c.brand.Load(); b == nil || *b != brand {
		c.m.Store(&map[string]*pageEntry{})
		c.brand.Store(&brand)
	}
	c.mu.Unlock()
}

// get returns the page for key, calling build when it is not cached. A
// failed build is not kept, so the next request tries again.
func (c *pageCache) get(key string, build func() (page, error)) (page, error) {
	if e := (*c.m.Load())[key]; e != nil {
		<-e.ready
		return e.page, e.err
	}
	c.mu.Lock()
	cur := *c.m.Load()
	e := cur[key]
	if e != nil {
		c.mu.Unlock()
		<-e.ready
		return e.page, e.err
	}
	next := make(map[string]*pageEntry, len(cur)+1)
	// Keys are bounded by published versions; reaching the bound means an
	// unusual load, and starting over is cheap.
	if len(cur) < c.max {
		maps.Copy(next, cur)
	}
	e = &pageEntry{ready: make(chan struct{})}
	next[key] = e
	c.m.Store(&next)
	c.mu.Unlock()
	c.fill(key, e, build)
	return e.page, e.err
}

func (c *pageCache) fill(key string, e *pageEntry, build func() (page, error)) {
	defer close(e.ready)
	p, err := build()
	if err != nil {
		e.err = err
		c.mu.Lock()
		if cur := *c.m.Load(); cur[key] == e {
			next := maps.Clone(cur)
			delete(next, key)
			c.m.Store(&next)
		}
		c.mu.Unlock()
		return
	}
	if p.ETag == "" {
		p.ETag = newPage(p.Body, p.ContentType).ETag
	}
	p.Encoded = compressOnce(p.Body, p.ContentType)
	p.etags = newVariantETags(p.ETag)
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
// If-None-Match with 304. A cached page's headers are all made: this sets
// them without parsing or building anything.
func sendPage(c *fiber.Ctx, p page, cacheControl string) error {
	body, coding, etag := p.variant(c)
	h := &c.Response().Header
	h.SetCanonical(etagKey, etag)
	h.SetCanonical(cacheControlKey, utils.UnsafeBytes(cacheControl))
	if etagMatchesBytes(c.Request().Header.PeekBytes(ifNoneMatchKey), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if coding != "" {
		h.SetContentEncoding(coding)
	}
	h.SetContentType(p.ContentType)
	return c.Send(body)
}

var (
	etagKey        = []byte(fiber.HeaderETag)
	ifNoneMatchKey = []byte(fiber.HeaderIfNoneMatch)
)

// variant is the body to send for the request's Accept-Encoding, with its
// coding and its ETag: each coding is its own representation, so its own
// strong validator.
func (p page) variant(c *fiber.Ctx) (body []byte, coding string, etag []byte) {
	tags := p.etags
	if tags == nil {
		tags = newVariantETags(p.ETag)
	}
	if p.Encoded.Brotli == nil && p.Encoded.Gzip == nil {
		return p.Body, "", tags.identity
	}
	c.Response().Header.SetCanonical(varyKey, acceptEncodingVal)
	body, coding = p.Encoded.pick(c.Request().Header.PeekBytes(acceptEncodingKey), p.Body)
	switch coding {
	case encBrotli:
		return body, coding, tags.brotli
	case encGzip:
		return body, coding, tags.gzip
	}
	return body, "", tags.identity
}

var acceptEncodingKey = []byte(fiber.HeaderAcceptEncoding)

// etagMatches implements If-None-Match's weak comparison over a list.
func etagMatches(header, etag string) bool {
	return etagMatchesBytes(utils.UnsafeBytes(header), utils.UnsafeBytes(etag))
}

func etagMatchesBytes(header, etag []byte) bool {
	for len(header) > 0 {
		var h []byte
		h, header, _ = bytes.Cut(header, comma)
		h = bytes.TrimPrefix(bytes.TrimSpace(h), weakPrefix)
		if string(h) == "*" || bytes.Equal(h, etag) {
			return true
		}
	}
	return false
}

var (
	comma      = []byte(",")
	weakPrefix = []byte("W/")
)
