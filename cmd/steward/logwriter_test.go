package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogWriterFlushesOnTickAndClose(t *testing.T) {
	var out lockedBuffer
	w := newLogWriter(&out, 10*time.Millisecond)
	w.Write([]byte("first line\n"))
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(out.String(), "first line") {
		if time.Now().After(deadline) {
			t.Fatal("a buffered line was not written out by the ticker")
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Write([]byte("last line\n"))
	w.Close()
	if !strings.HasSuffix(out.String(), "last line\n") {
		t.Fatalf("Close lost the last line: %q", out.String())
	}
}
