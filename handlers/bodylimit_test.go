package handlers

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBodyLimits(t *testing.T) {
	ts := newTestServer(t)
	big := strings.Repeat("a", 100<<10)

	// Not signed in: 64 KB, wherever it goes, the upload routes included.
	ts.client().post("/login", url.Values{"email": {big}, "password": {"x"}}).
		expect(t, http.StatusRequestEntityTooLarge, "Please sign in first: without signing in, a form may send at most 64 KB.")
	ts.client().upload("/admin/courses/upload", "folder", "c.zip", []byte(big), nil).expect(t, http.StatusRequestEntityTooLarge)
	ts.client().post("/subscribe", url.Values{"email": {big}}).expect(t, http.StatusRequestEntityTooLarge)
	// A small anonymous form still works.
	ts.client().post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong"}}).expect(t, http.StatusUnauthorized)

	// Signed in without being an admin: 64 KB too.
	emp := ts.as(employeeEmail)
	emp.post("/account/settings", url.Values{"x": {big}}).expect(t, http.StatusRequestEntityTooLarge, "more than 64 KB")
	emp.get("/home").expect(t, http.StatusOK) // the session survives the refusal

	// Admins: the policy editor takes its largest body, percent-encoded at
	// three bytes a byte (200,000 bytes of "é" is 600 KB on the wire).
	adm := ts.as(adminEmail)
	body := strings.Repeat("é", 100_000)
	adm.post("/admin/policies/privacy/draft", url.Values{"body": {body}, "summary": {"long"}, "change": {"minor"}, "action": {"preview"}}).
		expect(t, http.StatusOK, "ééé")
	adm.post("/admin/teams", url.Values{"name": {strings.Repeat("a", 2<<20)}}).expect(t, http.StatusRequestEntityTooLarge, "more than 1 MB")

	// The upload routes take up to 10 MB from admins, not more.
	before := ts.count(`SELECT COUNT(*) FROM courses`)
	if res := adm.upload("/admin/courses/upload", "folder", "c.zip", bytes.Repeat([]byte("z"), 9<<20), nil); res.StatusCode == http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MB upload refused as too large: %s", snippet(res.Body))
	}
	adm.upload("/admin/courses/upload", "folder", "c.zip", bytes.Repeat([]byte("z"), 11<<20), nil).
		expect(t, http.StatusRequestEntityTooLarge, "larger than 10 MB")
	adm.upload("/admin/people/import", "roster", "r.csv", bytes.Repeat([]byte("z"), 11<<20), nil).expect(t, http.StatusRequestEntityTooLarge)
	// Only on the upload routes.
	adm.upload("/admin/people", "roster", "r.csv", bytes.Repeat([]byte("z"), 2<<20), nil).expect(t, http.StatusRequestEntityTooLarge, "more than 1 MB")
	if after := ts.count(`SELECT COUNT(*) FROM courses`); after != before {
		t.Fatalf("courses %d -> %d", before, after)
	}
}

// listen serves ts on 127.0.0.1 and returns its address.
func listen(t *testing.T, ts *testServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.App().Listener(ln)
	t.Cleanup(func() { _ = ts.srv.Shutdown(t.Context()) })
	return ln.Addr().String()
}

// rawPost sends a POST of size bytes (chunked when chunked is true) and
// returns the status line of the answer, or "" when there was none.
func rawPost(addr, path string, size int, chunked bool) string {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	head := "POST " + path + " HTTP/1.1\r\nHost: steward\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
	}
	go func() {
		w := bufio.NewWriterSize(conn, 64<<10)
		_, _ = w.WriteString(head)
		chunk := bytes.Repeat([]byte("a"), 32<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if chunked {
				fmt.Fprintf(w, "%x\r\n", len(chunk))
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if chunked {
				_, _ = w.WriteString("\r\n")
			}
		}
		if chunked {
			_, _ = w.WriteString("0\r\n\r\n")
		}
		_ = w.Flush()
	}()
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestAnonymousPostsDoNotFillMemory sends 100 anonymous 10 MB posts at
// once to a listening server and measures how much its heap grew.
func TestAnonymousPostsDoNotFillMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1 GB over loopback")
	}
	ts := newTestServer(t)
	addr := listen(t, ts)
	if got := rawPost(addr, "/login", 200<<10, true); !strings.Contains(got, "413") {
		t.Fatalf("chunked anonymous 200 KB post: %q, want 413", got)
	}
	var before, peak, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.HeapAlloc {
				peak = m
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	for range 100 {
		wg.Go(func() {
			s := rawPost(addr, "/login", 10<<20, false)
			mu.Lock()
			statuses[s]++
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	t.Logf("100 anonymous 10 MB posts in %v: answers %v", elapsed.Round(time.Millisecond), statuses)
	t.Logf("heap before %.1f MB, peak %.1f MB (+%.1f), after %.1f MB; Sys before %.1f MB, after %.1f MB (+%.1f)",
		mb(before.HeapAlloc), mb(peak.HeapAlloc), mb(peak.HeapAlloc)-mb(before.HeapAlloc), mb(after.HeapAlloc),
		mb(before.Sys), mb(after.Sys), mb(after.Sys)-mb(before.Sys))
	if grew := mb(peak.HeapAlloc) - mb(before.HeapAlloc); grew > 40 {
		t.Errorf("the heap grew by %.1f MB", grew)
	}
	if statuses["HTTP/1.1 413 Request Entity Too Large"] == 0 {
		t.Errorf("no 413 among %v", statuses)
	}
}
