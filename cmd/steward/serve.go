package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"steward/handlers"
	"steward/internal/db"
	"steward/internal/demo"
	"steward/internal/logfmt"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "serve")
	withDemo := fs.Bool("demo", false, "load the demo organisation if the database is empty (refused in production)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *withDemo && e.cfg.Production() {
		return usagef("--demo is refused with STEWARD_ENV=production: demo accounts have public passwords")
	}
	start := time.Now()
	// The server logs a line per request: buffer them (flushed every
	// 200 ms and at exit) instead of a write per request.
	logs := newLogWriter(e.stderr, 200*time.Millisecond)
	defer logs.Close()
	e.log = slog.New(logfmt.New(logs, slog.LevelInfo))
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	if *withDemo {
		if err := loadDemo(ctx, e); err != nil {
			return err
		}
	}
	tlog, err := e.openLog(ctx)
	if err != nil {
		return err
	}
	srv, err := handlers.New(handlers.Deps{Config: e.cfg, DB: d, Logger: e.log, Now: e.now, Log: tlog})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.Addr, err)
	}

	workers, stopWorkers := context.WithCancel(context.Background())
	defer stopWorkers()
	done := startWorkers(workers, e, d, tlog)

	served := make(chan error, 1)
	go func() { served <- srv.App().Listener(ln) }()
	metricsSrv, err := serveMetrics(e, srv, served)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}
	e.log.Info("steward is serving", "addr", ln.Addr().String(), "url", e.cfg.BaseURL.String(),
		"database", db.Redact(e.cfg.DatabaseURL), "startup_ms", time.Since(start).Milliseconds())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Shutdown order: stop taking requests and finish those in flight,
	// then stop the workers, then (on return) close the database.
	e.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		e.log.Error("http shutdown", "err", err)
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
			e.log.Error("metrics shutdown", "err", err)
		}
	}
	stopWorkers()
	<-done
	return nil
}

// serveMetrics starts the STEWARD_METRICS_ADDR listener, which serves
// /metrics and nothing else; nil when no address is set. A failure to
// serve is sent on failed, as the web listener's is.
func serveMetrics(e *env, srv *handlers.Server, failed chan<- error) (*http.Server, error) {
	if e.cfg.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", e.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on STEWARD_METRICS_ADDR %s: %w", e.cfg.MetricsAddr, err)
	}
	hs := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case failed <- fmt.Errorf("metrics listener: %w", err):
			default:
			}
		}
	}()
	e.log.Info("metrics are served", "addr", ln.Addr().String())
	return hs, nil
}

func loadDemo(ctx context.Context, e *env) error {
	d, err := e.open(ctx)
	if err != nil {
		return err
	}
	// Instances started together on one PostgreSQL database load it once;
	// the others find it there.
	var res demo.Result
	err = d.Exclusive(ctx, "demo", func() error {
		res, err = demo.Seed(ctx, d, e.now(), demo.Options{})
		return err
	})
	if errors.Is(err, demo.ErrNotEmpty) {
		e.log.Info("demo data not loaded: the database already has people")
		return nil
	}
	if err != nil {
		return err
	}
	e.log.Info("demo organisation loaded", "people", res.People, "teams", res.Teams, "password", demo.Password)
	return nil
}
