package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// Bounds of one agent run: an init run normally takes well under a second, and a
// renewal agent resolves its first file as fast.
const (
	initRunTimeout = 30 * time.Second
	settle         = 5 * time.Second
	tokenTTL       = time.Hour
)

// agentResult holds the init timings and the steady-state use of each agent.
type agentResult struct {
	runs       int
	initMedian map[agentKind]time.Duration
	initAll    map[agentKind][]time.Duration
	steadyRSS  map[agentKind]float64
	steadyCPU  map[agentKind]time.Duration
	window     time.Duration
}

// runAgent measures both agents against one Vault dev server holding the same secret.
func runAgent(ctx context.Context, dir string, r *report) error {
	s, err := loadSample(r.opts.sample)
	if err != nil {
		return err
	}
	w, err := startVaultWorld(ctx, dir, s)
	if err != nil {
		return err
	}
	defer w.stop()
	res := &agentResult{runs: r.opts.agentRuns, initMedian: map[agentKind]time.Duration{},
		initAll: map[agentKind][]time.Duration{}, steadyRSS: map[agentKind]float64{},
		steadyCPU: map[agentKind]time.Duration{}, window: r.opts.steady}
	if err := measureInit(dir, r.opts.agentBin, w, res); err != nil {
		return err
	}
	if err := measureSteady(ctx, dir, r.opts.agentBin, w, res); err != nil {
		return err
	}
	r.agent = res
	return nil
}

// measureInit times process start to exit with the resolved file in place, for each
// agent in alternation, and keeps the medians.
func measureInit(dir, webhookBin string, w *vaultWorld, res *agentResult) error {
	for i := range res.runs {
		for _, kind := range []agentKind{ourAgent, vaultAgent} {
			d, err := timeInit(dir, webhookBin, w, kind, i)
			if err != nil {
				return err
			}
			res.initAll[kind] = append(res.initAll[kind], d)
		}
	}
	for kind, all := range res.initAll {
		sorted := slices.Sorted(slices.Values(all))
		res.initMedian[kind] = sorted[len(sorted)/2]
	}
	logf("agent: init medians: ours %s, vault agent %s",
		res.initMedian[ourAgent], res.initMedian[vaultAgent])
	return nil
}

// timeInit runs one init agent with a fresh token and output directory.
func timeInit(dir, webhookBin string, w *vaultWorld, kind agentKind, i int) (
	time.Duration, error,
) {
	token, err := w.token(tokenTTL)
	if err != nil {
		return 0, err
	}
	name := fmt.Sprintf("init-%d-%d", kind, i)
	run := agentRun{kind: kind, once: true, addr: w.vault.Addr, token: token,
		outDir: filepath.Join(dir, name, "out"), vaultBin: w.vaultBin, sourceDir: w.sourceDir}
	start := time.Now()
	p, err := run.start(dir, name, webhookBin)
	if err != nil {
		return 0, err
	}
	select {
	case <-p.exited:
	case <-time.After(initRunTimeout):
		p.stop()
		return 0, fmt.Errorf("%s --once did not exit within %s; log:\n%s",
			kind, initRunTimeout, p.logTail(15))
	}
	took := time.Since(start)
	if p.err != nil || !run.resolved() {
		return 0, fmt.Errorf("%s --once failed (%v) or wrote no resolved file; log:\n%s",
			kind, p.err, p.logTail(15))
	}
	return took, nil
}

// measureSteady runs both renewal agents side by side with their default re-read
// interval, lets them settle, then reads CPU over the window and RSS at its end.
func measureSteady(ctx context.Context, dir, webhookBin string, w *vaultWorld,
	res *agentResult,
) error {
	procs := map[agentKind]*process{}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, kind := range []agentKind{ourAgent, vaultAgent} {
		token, err := w.token(tokenTTL)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("steady-%d", kind)
		run := agentRun{kind: kind, addr: w.vault.Addr, token: token,
			outDir: filepath.Join(dir, name, "out"), vaultBin: w.vaultBin,
			sourceDir: w.sourceDir}
		p, err := run.start(dir, name, webhookBin)
		if err != nil {
			return err
		}
		procs[kind] = p
		if err := waitResolved(run, p, initRunTimeout); err != nil {
			return err
		}
	}
	logf("agent: both renewal agents up; steady window %s after %s", res.window, settle)
	if err := sleepCtx(ctx, settle); err != nil {
		return err
	}
	start := map[agentKind]time.Duration{}
	for kind, p := range procs {
		cpu, err := cpuTime(p.pid())
		if err != nil {
			return err
		}
		start[kind] = cpu
	}
	if err := sleepCtx(ctx, res.window); err != nil {
		return err
	}
	for kind, p := range procs {
		cpu, err := cpuTime(p.pid())
		if err != nil {
			return err
		}
		res.steadyCPU[kind] = cpu - start[kind]
		if res.steadyRSS[kind], err = rssMiB(p.pid()); err != nil {
			return err
		}
	}
	return nil
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case <-time.After(d):
		return nil
	}
}
