package main

import (
	"context"
	"sync"

	"steward/internal/db"
)

// startWorkers starts the background goroutines of serve (the outbox
// worker, the daily scheduler) and returns a channel closed when all of them
// have stopped after ctx is cancelled.
func startWorkers(ctx context.Context, e *env, d *db.DB) <-chan struct{} {
	var wg sync.WaitGroup
	if err := startMail(ctx, e, d, &wg); err != nil {
		e.log.Error("mail: worker and reminder scheduler not started", "err", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		runRetentionDaily(ctx, e, d, retentionPolicy(e))
	}()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}
