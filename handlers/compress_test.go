package handlers

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestChooseEncoding(t *testing.T) {
	for header, want := range map[string]string{
		"":                         "",
		"identity":                 "",
		"gzip":                     "gzip",
		"GZIP":                     "gzip",
		"x-gzip":                   "gzip",
		"br":                       "br",
		"gzip, deflate, br, zstd":  "br",
		"br;q=0, gzip":             "gzip",
		"br;q=0.5, gzip;q=0.8":     "gzip",
		"br;q=0.8, gzip;q=0.8":     "br",
		"gzip;q=0, br;q=0":         "",
		"*":                        "br",
		"*;q=0":                    "",
		"*, br;q=0":                "gzip",
		"gzip;q=nonsense":          "",
		"deflate":                  "",
		"gzip ; q=1.0 , br ; q=0 ": "gzip",
	} {
		if got := chooseEncoding([]byte(header)); got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", header, got, want)
		}
	}
}

func decode(t *testing.T, coding string, body []byte) string {
	t.Helper()
	var r io.Reader
	switch coding {
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	default:
		return string(body)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	return string(out)
}

func getWith(c *client, path string, header ...string) *response {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func TestCachedPagesAreCompressedOnce(t *testing.T) {
	ts := withPolicies(t)
	c := ts.client()
	for _, path := range []string{"/policies/privacy", "/policies/privacy/v/1", "/policies/privacy/history",
		"/policies/privacy/diff/2/3", "/api/v1/policies/privacy", "/policies/privacy/v/3.md"} {
		t.Run(path, func(t *testing.T) {
			plain := c.get(path)
			plain.expect(t, http.StatusOK)
			if plain.Header.Get("Content-Encoding") != "" {
				t.Fatalf("compressed for a client that accepts none: %q", plain.Header.Get("Content-Encoding"))
			}
			etags := map[string]string{"": plain.Header.Get("ETag")}
			for _, coding := range []string{"br", "gzip"} {
				res := getWith(c, path, "Accept-Encoding", coding)
				if res.Header.Get("Content-Encoding") != coding {
					t.Fatalf("%s: Content-Encoding %q", coding, res.Header.Get("Content-Encoding"))
				}
				if len(res.Body) >= len(plain.Body) {
					t.Errorf("%s: %d bytes, not smaller than %d", coding, len(res.Body), len(plain.Body))
				}
				if decode(t, coding, []byte(res.Body)) != plain.Body {
					t.Errorf("%s: the decoded body differs from the plain one", coding)
				}
				if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") || !strings.Contains(plain.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("Vary %q / %q", res.Header.Get("Vary"), plain.Header.Get("Vary"))
				}
				etags[coding] = res.Header.Get("ETag")
				again := getWith(c, path, "Accept-Encoding", coding, "If-None-Match", etags[coding])
				if again.StatusCode != http.StatusNotModified {
					t.Errorf("%s: If-None-Match its own ETag: %d", coding, again.StatusCode)
				}
			}
			if etags[""] == etags["br"] || etags["br"] == etags["gzip"] || etags[""] == etags["gzip"] {
				t.Errorf("one ETag for different bytes: %v", etags)
			}
			// The plain ETag does not validate a compressed copy.
			if res := getWith(c, path, "Accept-Encoding", "br", "If-None-Match", etags[""]); res.StatusCode != http.StatusOK {
				t.Errorf("plain ETag answered %d for the brotli copy", res.StatusCode)
			}
		})
	}
	// Compressed once: the cache holds both codings beside the plain body,
	// and the bytes served are those, request after request.
	a := getWith(c, "/policies/privacy", "Accept-Encoding", "br")
	b := getWith(c, "/policies/privacy", "Accept-Encoding", "br")
	if a.Body != b.Body {
		t.Error("two requests for the same page got different brotli bytes")
	}
	n := 0
	for _, e := range *ts.srv.pages.m.Load() {
		<-e.ready
		if e.page.Encoded.Brotli != nil && e.page.Encoded.Gzip != nil {
			n++
		}
	}
	if n == 0 {
		t.Error("no cached page holds its compressed copies")
	}
}

func TestOtherTextAnswersAreCompressed(t *testing.T) {
	ts := withPolicies(t)
	anon := ts.client()
	admin := ts.as(adminEmail)
	for _, tc := range []struct {
		c    *client
		path string
	}{{anon, "/"}, {anon, "/policies/feed.atom"}, {anon, "/login"}, {admin, "/admin/people"}, {anon, "/no-such-page"}} {
		plain := tc.c.get(tc.path)
		res := getWith(tc.c, tc.path, "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Content-Encoding %q, Vary %q", tc.path, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
			continue
		}
		if res.StatusCode != plain.StatusCode || !strings.Contains(decode(t, "gzip", []byte(res.Body)), "</html>") && !strings.Contains(decode(t, "gzip", []byte(res.Body)), "</feed>") {
			t.Errorf("%s: %d, decoded body %q", tc.path, res.StatusCode, snippet(decode(t, "gzip", []byte(res.Body))))
		}
	}
	// A streamed export is left as it is.
	res := getWith(ts.as(auditorEmail), "/reports/evidence?as_of=2026-06-30&format=csv", "Accept-Encoding", "gzip")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" || !strings.Contains(res.Body, ",") {
		t.Errorf("evidence export: %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
}
