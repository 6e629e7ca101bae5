package main

import (
	"bufio"
	"context"
	"io"
	"sync"
	"time"
)

// logWriter buffers log lines and writes them out every interval, so a
// busy server logs one line per request without one write syscall per
// request. Close flushes what is left.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop context.CancelFunc
	done chan struct{}
}

func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	ctx, cancel := context.WithCancel(context.Background())
	l := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				l.Flush()
			}
		}
	}()
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Flush writes out what is buffered.
func (l *logWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Flush()
}

// Close stops the ticker and flushes.
func (l *logWriter) Close() {
	l.stop()
	<-l.done
	l.Flush()
}
