package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPageCacheBuildsOnce(t *testing.T) {
	c := newPageCache()
	var builds atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	pages := make([]page, 32)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := c.get("privacy/v3", func() (page, error) {
				builds.Add(1)
				time.Sleep(10 * time.Millisecond) // let the others pile up behind this build
				return page{Body: []byte("<h1>Privacy</h1>")}, nil
			})
			if err != nil {
				t.Error(err)
			}
			pages[i] = p
		}()
	}
	close(start)
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times", n)
	}
	for _, p := range pages {
		if string(p.Body) != "<h1>Privacy</h1>" || p.ETag != pages[0].ETag || !strings.HasPrefix(p.ETag, `"`) {
			t.Errorf("page %q etag %s", p.Body, p.ETag)
		}
	}
	other, _ := c.get("privacy/v2", func() (page, error) { return page{Body: []byte("<h1>Old</h1>")}, nil })
	if other.ETag == pages[0].ETag {
		t.Error("different bodies share an ETag")
	}

	// A failed build is not kept.
	fail := errors.New("template broke")
	if _, err := c.get("x", func() (page, error) { return page{}, fail }); !errors.Is(err, fail) {
		t.Errorf("err %v", err)
	}
	if p, err := c.get("x", func() (page, error) { return page{Body: []byte("ok")}, nil }); err != nil || string(p.Body) != "ok" {
		t.Errorf("retry after failure: %q %v", p.Body, err)
	}
}

// BenchmarkCachedLookup is the public page's hot path: the timeline from
// memory, the version in effect from the clock, the page from the cache.
func BenchmarkCachedLookup(b *testing.B) {
	ts := newTestServer(b)
	s, ctx, now := ts.srv.policies, context.Background(), ts.now
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tl, err := s.Timeline(ctx, "privacy")
			if err != nil {
				b.Fatal(err)
			}
			v, _ := tl.InEffect(now)
			p, err := ts.srv.pages.get(fmt.Sprintf("privacy/v%d", v.Number), func() (page, error) {
				return page{Body: []byte(v.BodyHTML)}, nil
			})
			if err != nil || len(p.Body) == 0 {
				b.Fatal(err)
			}
		}
	})
}
