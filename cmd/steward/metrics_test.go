package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeMetricsOnTheirOwnAddress: with STEWARD_METRICS_ADDR, serve
// answers /metrics there and only there.
func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	web, metrics := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"STEWARD_DATABASE_URL": filepath.Join(t.TempDir(), "steward.db"),
		"STEWARD_ADDR":         web,
		"STEWARD_METRICS_ADDR": metrics,
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() {
		var out bytes.Buffer
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	}()
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("serve: exit %d\n%s", code, errOut.String())
		}
	}()
	waitReady(t, web)
	c := http.DefaultClient
	if p := get(t, c, "http://"+metrics+"/metrics"); p.StatusCode != http.StatusOK || !strings.Contains(p.body, `steward_http_requests_total{method="GET",route="/readyz"`) {
		t.Fatalf("metrics address: %d\n%.300s", p.StatusCode, p.body)
	}
	if p := get(t, c, "http://"+web+"/metrics"); p.StatusCode != http.StatusNotFound {
		t.Fatalf("web address without a token: %d", p.StatusCode)
	}
	if p := get(t, c, "http://"+metrics+"/readyz"); p.StatusCode != http.StatusNotFound {
		t.Fatalf("/readyz on the metrics address: %d", p.StatusCode)
	}
}
