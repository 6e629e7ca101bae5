package main

import (
	"context"
	"sync"

	"steward/internal/db"
	"steward/internal/webhooks"
)

// startWebhooks starts the worker that delivers the signed webhooks queued
// by the changes admins and staff make.
func startWebhooks(ctx context.Context, e *env, d *db.DB, wg *sync.WaitGroup) {
	w := webhooks.NewWorker(d, e.cfg.Production())
	w.Logger = e.log
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.Run(ctx)
	}()
}
