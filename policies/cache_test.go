package policies

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
	c := NewPageCache()
	var builds atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	pages := make([]Page, 32)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := c.Get("privacy/v3", func() (Page, error) {
				builds.Add(1)
				time.Sleep(10 * time.Millisecond) // let the others pile up behind this build
				return Page{Body: []byte("<h1>Privacy</h1>")}, nil
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
	other, _ := c.Get("privacy/v2", func() (Page, error) { return Page{Body: []byte("<h1>Old</h1>")}, nil })
	if other.ETag == pages[0].ETag {
		t.Error("different bodies share an ETag")
	}

	// A failed build is not kept.
	fail := errors.New("template broke")
	if _, err := c.Get("x", func() (Page, error) { return Page{}, fail }); !errors.Is(err, fail) {
		t.Errorf("err %v", err)
	}
	if p, err := c.Get("x", func() (Page, error) { return Page{Body: []byte("ok")}, nil }); err != nil || string(p.Body) != "ok" {
		t.Errorf("retry after failure: %q %v", p.Body, err)
	}
}

func BenchmarkRender(b *testing.B) {
	body := demoBody(b, "demo/privacy/v3.md")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Render(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	older, newer := demoBody(b, "demo/privacy/v1.md"), demoBody(b, "demo/privacy/v3.md")
	b.SetBytes(int64(len(older) + len(newer)))
	for b.Loop() {
		Compare(older, newer)
	}
}

// BenchmarkCachedLookup is the public page's hot path: the timeline from
// memory, the version in effect from the clock, the page from the cache.
func BenchmarkCachedLookup(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if err := SeedDemo(ctx, s, now); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tl, err := s.Timeline(ctx, "privacy")
			if err != nil {
				b.Fatal(err)
			}
			v, _ := tl.InEffect(now)
			p, err := s.Pages.Get(fmt.Sprintf("privacy/v%d", v.Number), func() (Page, error) {
				return Page{Body: []byte(v.BodyHTML)}, nil
			})
			if err != nil || len(p.Body) == 0 {
				b.Fatal(err)
			}
		}
	})
}

func demoBody(b *testing.B, name string) string {
	data, err := DemoFS.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	f, err := ParseFile(name, data)
	if err != nil {
		b.Fatal(err)
	}
	return f.Body
}
