package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/bench/loadgen"
)

// readyTimeout bounds how long a webhook may take to answer its first review.
const readyTimeout = 30 * time.Second

// admissionSide is one webhook under load and what was measured on it.
type admissionSide struct {
	name    string
	target  *loadgen.Target
	proc    *process
	idleRSS float64
	loadRSS float64
	closed  loadgen.Result
	open    loadgen.Result
	// cpuPerReview is the webhook's own CPU time per good review in the closed loop:
	// unlike throughput, it does not depend on how much CPU the load generator leaves.
	cpuPerReview time.Duration
	// loadgenPerReview is this program's CPU time per request in the same loop: the
	// share of the machine the load generator itself needs.
	loadgenPerReview time.Duration
	// openCPUPerReview is the webhook's CPU time per good review in the open loop, at
	// a rate that leaves the machine mostly idle: the cost of a review without the
	// contention of a saturated machine.
	openCPUPerReview time.Duration
	// anonRSS is the anonymous (heap, stacks) part of loadRSS; the rest is the
	// binary's own pages.
	anonRSS float64
	// bodies are the replicas the main loops send in turn.
	bodies [][]byte
	// distinctBodies, when set, are loaded in a second closed loop, every request a
	// different pod, into distinct and distinctCPUPerReview.
	distinctBodies       [][]byte
	distinct             loadgen.Result
	distinctCPUPerReview time.Duration
}

// admissionConfig sets the load: workers of the closed loop, rate of the open loop,
// and how long each phase runs.
type admissionConfig struct {
	workers        int
	rate           float64
	warmup, closed time.Duration
	open           time.Duration
}

// waitReady posts the review until the webhook answers it with a patch.
func (s *admissionSide) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if !s.proc.running() {
			return fmt.Errorf("%s exited during start; its log:\n%s", s.name, s.proc.logTail(20))
		}
		if _, lastErr = s.target.Do(ctx); lastErr == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer a review within %s: %w; its log:\n%s",
		s.name, readyTimeout, lastErr, s.proc.logTail(20))
}

// measureAdmission loads both sides in turns (closed loops, then open loops) so that
// a burst of CPU use by other work on the machine hurts both alike, and reads each
// side's RSS before and after.
func measureAdmission(ctx context.Context, cfg admissionConfig, sides ...*admissionSide) error {
	for _, s := range sides {
		if err := s.waitReady(ctx); err != nil {
			return err
		}
		var err error
		if s.idleRSS, err = rssMiB(s.proc.pid()); err != nil {
			return err
		}
	}
	for _, s := range sides {
		logf("admission: warm-up of %s for %s", s.name, cfg.warmup)
		loadgen.Closed(ctx, s.target, cfg.workers, cfg.warmup)
	}
	for _, s := range sides {
		logf("admission: closed loop c=%d on %s for %s", cfg.workers, s.name, cfg.closed)
		var self time.Duration
		cpu, err := cpuDuring(s.proc.pid(), func() error {
			var err error
			self, err = cpuDuring(os.Getpid(), func() error {
				s.closed = loadgen.Closed(ctx, s.target, cfg.workers, cfg.closed)
				return nil
			})
			return err
		})
		if err != nil {
			return err
		}
		s.cpuPerReview = perGood(cpu, s.closed)
		if s.closed.Requests > 0 {
			s.loadgenPerReview = self / time.Duration(s.closed.Requests)
		}
	}
	for _, s := range sides {
		if len(s.distinctBodies) == 0 {
			continue
		}
		logf("admission: closed loop c=%d on %s for %s, %d distinct pods in turn",
			cfg.workers, s.name, cfg.closed, len(s.distinctBodies))
		s.target.Bodies = s.distinctBodies
		cpu, err := cpuDuring(s.proc.pid(), func() error {
			s.distinct = loadgen.Closed(ctx, s.target, cfg.workers, cfg.closed)
			return nil
		})
		s.target.Bodies = s.bodies
		if err != nil {
			return err
		}
		s.distinctCPUPerReview = perGood(cpu, s.distinct)
	}
	if err := measureOpen(ctx, cfg, sides); err != nil {
		return err
	}
	for _, s := range sides {
		var err error
		if s.loadRSS, err = rssMiB(s.proc.pid()); err != nil {
			return err
		}
		if s.anonRSS, err = statusMiB(s.proc.pid(), "RssAnon"); err != nil {
			return err
		}
		s.target.Close()
	}
	return nil
}

// openRounds is the number of turns the open loop takes: each side gets its window
// in slices, side after side, so that a burst of other work on the machine (the
// envtest apiserver's own housekeeping, a flush of the logs) lands on every side's
// tail alike instead of on one side's whole window.
const openRounds = 5

// measureOpen runs each side's open loop in openRounds slices of cfg.open, side after
// side, and merges each side's slices.
func measureOpen(ctx context.Context, cfg admissionConfig, sides []*admissionSide) error {
	slice := cfg.open / openRounds
	runs := make([][]loadgen.Result, len(sides))
	cpus := make([]time.Duration, len(sides))
	for round := range openRounds {
		for i, s := range sides {
			logf("admission: open loop %.0f rps on %s for %s (turn %d of %d)", cfg.rate,
				s.name, slice, round+1, openRounds)
			cpu, err := cpuDuring(s.proc.pid(), func() error {
				runs[i] = append(runs[i], loadgen.Open(ctx, s.target, cfg.rate, slice))
				return nil
			})
			if err != nil {
				return err
			}
			cpus[i] += cpu
		}
	}
	for i, s := range sides {
		s.open = loadgen.Merge(runs[i]...)
		s.openCPUPerReview = perGood(cpus[i], s.open)
	}
	return nil
}

// cpuDuring runs f and returns the CPU time process pid used meanwhile.
func cpuDuring(pid int, f func() error) (time.Duration, error) {
	before, err := cpuTime(pid)
	if err != nil {
		return 0, err
	}
	if err := f(); err != nil {
		return 0, err
	}
	after, err := cpuTime(pid)
	if err != nil {
		return 0, err
	}
	return after - before, nil
}

// perGood divides cpu by the good answers of res, or returns 0 without any.
func perGood(cpu time.Duration, res loadgen.Result) time.Duration {
	if good := res.Requests - res.Errors; good > 0 {
		return cpu / time.Duration(good)
	}
	return 0
}
