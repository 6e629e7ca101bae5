package main

import (
	"context"
	"sync"
	"time"

	"steward/internal/db"
	"steward/internal/reports"
	"steward/internal/translog"
)

// startWorkers starts the background goroutines of serve (the outbox
// worker, the daily scheduler) and returns a channel closed when all of them
// have stopped after ctx is cancelled.
func startWorkers(ctx context.Context, e *env, d *db.DB, tlog *translog.Log) <-chan struct{} {
	var wg sync.WaitGroup
	if err := startMail(ctx, e, d, &wg); err != nil {
		e.log.Error("mail: worker and reminder scheduler not started", "err", err)
	}
	startWebhooks(ctx, e, d, &wg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		runRetentionDaily(ctx, e, d, retentionPolicy(e))
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		runStandingsRefresh(ctx, e, d)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		runAuditAnchor(ctx, e, d, tlog)
	}()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// standingsEvery is how often serve brings the reports' remembered
// standings up to date. Reports are right without it; with it, they stay
// fast as people complete, acknowledge and fall due during the day, and
// within a minute of a change that forgets many standings at once (a
// policy published). A refresh with nothing to do is one read; one after
// a few changes refreshes those few people.
const standingsEvery = time.Minute

// runStandingsRefresh refreshes the standings at start and then every
// standingsEvery until ctx ends. A refresh with nothing to do is one read.
func runStandingsRefresh(ctx context.Context, e *env, d *db.DB) {
	tick := time.NewTicker(standingsEvery)
	defer tick.Stop()
	rs := reports.New(d, e.cfg.MinGroupSize, e.cfg.RetentionDays)
	for {
		start := time.Now()
		r, err := rs.Refresh(ctx, e.now())
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.Error("reports: refresh standings", "err", err)
		case r != (reports.Refreshed{}):
			e.log.Info("reports: standings refreshed", "cycles", r.Cycles, "policies", r.Policies, "people", r.People,
				"took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
