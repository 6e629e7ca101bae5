// Package browsertest drives Debian's chromium through chromedp for tests
// that look at pages as a person would: accessibility with axe-core, layout
// at a phone's width, and markup with the Nu HTML checker.
//
// Locally, a missing browser or checker skips those tests; under CI=true it
// fails them, so CI can never pass by not looking.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Dir is this package's folder, where npm installs the checkers.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// missing skips the test locally and fails it in CI.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing, and CI must run browser tests (.ci/run installs it)", what)
	}
	t.Skipf("%s is missing; install it to run this test (see .ci/run)", what)
}

// chromiumPath finds Debian's chromium.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("STEWARD_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Browser is one headless chromium shared by a package's tests; each test
// opens its own tab.
type Browser struct {
	allocCtx context.Context
	ctx      context.Context
	cancel   func()
}

var (
	once    sync.Once
	shared  *Browser
	initErr error
)

// Start returns the package's browser, starting it on first use. Call
// Stop from TestMain.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		missing(t, "chromium")
	}
	once.Do(func() {
		home, err := os.MkdirTemp("", "steward-chromium-")
		if err != nil {
			initErr = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.UserDataDir(filepath.Join(home, "profile")),
			chromedp.Env("HOME=" + home),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.WindowSize(1280, 900),
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(allocCtx)
		if err := chromedp.Do(ctx); err != nil {
			cancelCtx()
			cancelAlloc()
			initErr = fmt.Errorf("start chromium: %w", err)
			return
		}
		shared = &Browser{allocCtx: allocCtx, ctx: ctx, cancel: func() {
			cancelCtx()
			cancelAlloc()
			os.RemoveAll(home)
		}}
	})
	if initErr != nil {
		t.Fatal(initErr)
	}
	return shared
}

// Stop closes the shared browser, if one was started.
func Stop() {
	if shared != nil {
		shared.cancel()
	}
}

// Tab opens a new tab, in its own browser context so that it shares no
// cookies with other tabs, and closes it when the test ends.
func (b *Browser) Tab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID          string `json:"id"`
	Impact      string `json:"impact"`
	Description string `json:"description"`
	Nodes       []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

var (
	axeOnce   sync.Once
	axeSource string
)

func axeScript(t testing.TB) string {
	t.Helper()
	axeOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(Dir(), "node_modules", "axe-core", "axe.min.js"))
		if err == nil {
			axeSource = string(b)
		}
	})
	if axeSource == "" {
		missing(t, "axe-core (npm ci --prefix internal/browsertest)")
	}
	return axeSource
}

// Axe runs axe-core on the page loaded in ctx and returns its serious and
// critical violations.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	script := axeScript(t)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](script)); err != nil {
		t.Fatalf("axe: inject: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	var all []Violation
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		t.Fatalf("axe result: %v", err)
	}
	var bad []Violation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v)
		}
	}
	return bad
}

// FitsPhone reports whether the loaded page, at a 375 px wide viewport,
// needs no horizontal scrolling of the whole page.
func FitsPhone(t testing.TB, ctx context.Context) (bool, int) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("phone width: %v", err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.ResetViewport())
	}
	if err != nil {
		t.Fatalf("phone width: %v", err)
	}
	return width <= 375, width
}

// Screenshot saves a full-page PNG of the loaded page to
// $STEWARD_SCREENSHOTS/name.png when that variable names a folder.
func Screenshot(t testing.TB, ctx context.Context, name string, width int64) {
	t.Helper()
	dir := os.Getenv("STEWARD_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.ResetViewport())
	}
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	name = strings.NewReplacer("/", "_", " ", "_").Replace(name)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ValidateHTML runs the Nu HTML checker once over every page (name to
// markup) and returns its errors, one line each.
func ValidateHTML(t testing.TB, pages map[string]string) []string {
	t.Helper()
	jar := filepath.Join(Dir(), "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
	if _, err := os.Stat(jar); err != nil {
		missing(t, "vnu-jar (npm ci --prefix internal/browsertest)")
	}
	java, err := exec.LookPath("java")
	if err != nil {
		missing(t, "java (for the Nu HTML checker)")
	}
	dir := t.TempDir()
	var files []string
	for name, html := range pages {
		f := filepath.Join(dir, strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(strings.Trim(name, "/"))+".html")
		if err := os.WriteFile(f, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	args := append([]string{"-jar", jar, "--format", "json", "--stdout", "--errors-only"}, files...)
	out, _ := exec.Command(java, args...).Output()
	var res struct {
		Messages []struct {
			Type     string `json:"type"`
			URL      string `json:"url"`
			Message  string `json:"message"`
			LastLine int    `json:"lastLine"`
			Extract  string `json:"extract"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("vnu output: %v\n%s", err, out)
	}
	var problems []string
	for _, m := range res.Messages {
		if m.Type == "error" || m.Type == "non-document-error" {
			problems = append(problems, fmt.Sprintf("%s:%d: %s (%s)", filepath.Base(m.URL), m.LastLine, m.Message, strings.TrimSpace(m.Extract)))
		}
	}
	return problems
}
