package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// The Vault-load run scales the agents' re-read interval down so a short window sees
// several re-reads; reads are scaled back up by the same factor.
const (
	defaultRefresh = 5 * time.Minute
	scaledRefresh  = 10 * time.Second
	// rasaRenewMargin is Rasa's renewal schedule, which our agent keeps: renew 15 s
	// before expiry (pkg/vault.RenewMargin).
	rasaRenewMargin = 15 * time.Second
)

// vaultLoadRow is one agent at one token TTL: what it sent to Vault.
type vaultLoadRow struct {
	kind     agentKind
	ttl      time.Duration
	startup  int
	steady   map[string]int
	window   time.Duration
	renewals float64 // renewals per hour used in perHour
	interval time.Duration
	perHour  float64
}

// loadSetup is one pod's worth of agents (init, then renewal agent) behind a proxy.
type loadSetup struct {
	row   *vaultLoadRow
	proxy *countingProxy
	agent *process
	first map[string]int
}

// runVaultLoad runs, for each agent and each TTL, the init agent and then the renewal
// agent through a counting proxy, and extrapolates to requests per pod-hour.
func runVaultLoad(ctx context.Context, dir string, r *report) error {
	s, err := loadSample(r.opts.sample)
	if err != nil {
		return err
	}
	w, err := startVaultWorld(ctx, dir, s)
	if err != nil {
		return err
	}
	defer w.stop()
	var setups []*loadSetup
	defer func() {
		for _, su := range setups {
			if su.agent != nil {
				su.agent.stop()
			}
			su.proxy.close()
		}
	}()
	for _, kind := range []agentKind{ourAgent, vaultAgent} {
		for _, ttl := range []time.Duration{30 * time.Second, time.Hour} {
			su, err := startLoadSetup(dir, r.opts.agentBin, w, kind, ttl)
			if su != nil {
				setups = append(setups, su)
			}
			if err != nil {
				return err
			}
		}
	}
	if err := sleepCtx(ctx, settle); err != nil {
		return err
	}
	for _, su := range setups {
		su.first = su.proxy.snapshot()
	}
	logf("vault load: counting for %s", r.opts.loadWindow)
	if err := sleepCtx(ctx, r.opts.loadWindow); err != nil {
		return err
	}
	for _, su := range setups {
		su.finish(su.proxy.snapshot(), r.opts.loadWindow, setups)
		r.vaultLoad = append(r.vaultLoad, *su.row)
	}
	return nil
}

// startLoadSetup runs the init agent to completion through a fresh proxy, then starts
// the renewal agent with the scaled re-read interval.
func startLoadSetup(dir, webhookBin string, w *vaultWorld, kind agentKind,
	ttl time.Duration,
) (*loadSetup, error) {
	proxy, err := startCountingProxy(w.vault.Addr)
	if err != nil {
		return nil, err
	}
	su := &loadSetup{proxy: proxy, row: &vaultLoadRow{kind: kind, ttl: ttl}}
	token, err := w.token(ttl)
	if err != nil {
		return su, err
	}
	name := fmt.Sprintf("load-%d-%s", kind, ttl)
	base := agentRun{kind: kind, addr: proxy.addr, token: token, vaultBin: w.vaultBin,
		sourceDir: w.sourceDir, outDir: filepath.Join(dir, name, "out")}
	initRun := base
	initRun.once = true
	p, err := initRun.start(dir, name+"-init", webhookBin)
	if err != nil {
		return su, err
	}
	select {
	case <-p.exited:
	case <-time.After(initRunTimeout):
		p.stop()
	}
	if p.err != nil || !initRun.resolved() {
		return su, fmt.Errorf("%s init through the proxy failed (%v); log:\n%s",
			kind, p.err, p.logTail(15))
	}
	agentRun := base
	agentRun.refresh = scaledRefresh
	agentRun.outDir = filepath.Join(dir, name, "agent-out")
	if su.agent, err = agentRun.start(dir, name+"-agent", webhookBin); err != nil {
		return su, err
	}
	return su, waitResolved(agentRun, su.agent, initRunTimeout)
}

// finish turns the two snapshots into the row's steady counts and the pod-hour figure:
//
//	per pod-hour = startup + renewals per hour + 3600 s × (other rates + read rate × k)
//
// with k = scaledRefresh / defaultRefresh (1/30: the run re-reads 30 times as often as
// production does) and renewals per hour = 1 h / the mean interval between the renewals
// seen (from timestamps, finer than a count). A 1 h token renews outside the window,
// so its renewal rate comes from the schedule instead: ours renews 15 s before expiry
// (3600 / (TTL − 15 s) per hour); vault agent renews at the same fraction of the TTL
// as measured with the 30 s token.
func (su *loadSetup) finish(last map[string]int, window time.Duration, all []*loadSetup) {
	row := su.row
	row.window = window
	row.steady = map[string]int{}
	for _, v := range su.first {
		row.startup += v
	}
	for k, v := range last {
		if d := v - su.first[k]; d > 0 {
			row.steady[k] = d
		}
	}
	k := float64(scaledRefresh) / float64(defaultRefresh)
	hours := window.Hours()
	row.interval = su.proxy.renewInterval()
	row.renewals = float64(row.steady["renew"]) / hours
	if row.interval > 0 {
		row.renewals = float64(time.Hour) / float64(row.interval)
	}
	if row.ttl > 10*time.Minute {
		row.renewals = renewalsPerHour(row.kind, row.ttl, all)
	}
	perHour := float64(row.startup) + row.renewals
	for kind, n := range row.steady {
		switch kind {
		case "renew":
		case "read":
			perHour += float64(n) / hours * k
		default:
			perHour += float64(n) / hours
		}
	}
	row.perHour = perHour
}

// renewalsPerHour is the renewal rate of a long-TTL token, which the window is too
// short to see (see finish).
func renewalsPerHour(kind agentKind, ttl time.Duration, all []*loadSetup) float64 {
	if kind == ourAgent {
		return float64(time.Hour) / float64(ttl-rasaRenewMargin)
	}
	for _, su := range all {
		short := su.row
		if short.kind != kind || short.ttl > 10*time.Minute || short.interval == 0 {
			continue
		}
		fraction := float64(short.interval) / float64(short.ttl)
		return float64(time.Hour) / (fraction * float64(ttl))
	}
	return 0
}
