package policies

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
)

// DemoFS holds the demo organisation's policies as policy files,
// SLUG/vN.md, in the format that `steward policies export` writes.
//
//go:embed demo
var DemoFS embed.FS

// demoNotice is how long before its effective date the demo pretends each
// version was published: organisations announce changes ahead.
const demoNotice = 14 * 24 * time.Hour

// SeedDemo publishes the demo policies with their past effective dates. It
// can run again: versions already there are left alone.
func SeedDemo(ctx context.Context, s *Store, now time.Time) error {
	files, err := demoFiles()
	if err != nil {
		return err
	}
	for _, name := range files {
		data, err := fs.ReadFile(DemoFS, name)
		if err != nil {
			return fmt.Errorf("policies: demo: %w", err)
		}
		f, err := ParseFile(name, data)
		if err != nil {
			return fmt.Errorf("policies: demo: %w", err)
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "v"), ".md"))
		if t, err := s.Timeline(ctx, f.Settings.Slug); err == nil {
			if v, ok := t.Version(n); ok {
				if v.SHA256 != Hash(f.Body) {
					return fmt.Errorf("policies: demo: %s: version %d already exists with other text", name, n)
				}
				continue
			}
		}
		at := now
		if !f.Effective.IsZero() && f.Effective.Add(-demoNotice).Before(now) {
			at = f.Effective.Add(-demoNotice)
		}
		if _, err := s.PublishFile(ctx, f, audit.Actor{Label: "demo"}, at); err != nil {
			return fmt.Errorf("policies: demo: %w", err)
		}
	}
	return nil
}

// demoFiles lists the demo files, each policy's versions in number order.
func demoFiles() ([]string, error) {
	var files []string
	err := fs.WalkDir(DemoFS, "demo", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policies: demo: %w", err)
	}
	num := func(p string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(p), "v"), ".md"))
		return n
	}
	sort.Slice(files, func(i, j int) bool {
		di, dj := path.Dir(files[i]), path.Dir(files[j])
		if di != dj {
			return di < dj
		}
		return num(files[i]) < num(files[j])
	})
	return files, nil
}
