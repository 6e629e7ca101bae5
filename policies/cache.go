package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Page is a response body built once and served from memory.
type Page struct {
	Body        []byte
	ETag        string // strong validator, quoted
	ContentType string
}

// PageCache keeps built pages by key. Published versions never change, so
// a page built from one stays right as long as the key names everything it
// depends on (version, banner, format). Concurrent requests for a missing
// key build it once; the others wait for that build.
type PageCache struct {
	mu  sync.RWMutex
	m   map[string]*pageEntry
	max int
}

type pageEntry struct {
	ready chan struct{}
	page  Page
	err   error
}

// NewPageCache returns an empty cache.
func NewPageCache() *PageCache {
	return &PageCache{m: map[string]*pageEntry{}, max: 4096}
}

// Get returns the page for key, calling build when it is not cached. A
// failed build is not kept, so the next request tries again.
func (c *PageCache) Get(key string, build func() (Page, error)) (Page, error) {
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

func (c *PageCache) fill(key string, e *pageEntry, build func() (Page, error)) {
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
		p.ETag = NewPage(p.Body, p.ContentType).ETag
	}
	e.page = p
}

// NewPage wraps a body with a strong ETag derived from its bytes.
func NewPage(body []byte, contentType string) Page {
	sum := sha256.Sum256(body)
	return Page{Body: body, ContentType: contentType, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// Len reports how many pages are cached.
func (c *PageCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
