package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// report collects every phase's numbers and renders them as markdown.
type report struct {
	started     time.Time
	opts        options
	reviewBytes int
	admission   []*admissionSide
	agent       *agentResult
	vaultLoad   []vaultLoadRow
	size        *sizeResult
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// overloadLag is the send delay past which an open loop no longer measures the server:
// ten request intervals at 500 rps.
const overloadLag = 20 * time.Millisecond

// us converts a duration to microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// ratio formats a/b, or "n/a" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// markdown renders the results of the phases that ran.
func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# rasa-vault-webhook benchmark results\n\n")
	fmt.Fprintf(&b, "Run %s UTC on %d CPUs (%s, %s); load average at the end: %s.\n\n",
		r.started.Format("2006-01-02 15:04"), runtime.NumCPU(), runtime.GOOS,
		runtime.Version(), loadAverage())
	if len(r.admission) >= 2 {
		r.admissionTable(&b)
	}
	if r.agent != nil {
		r.agentTable(&b)
	}
	if len(r.vaultLoad) > 0 {
		r.vaultLoadTable(&b)
	}
	if r.size != nil {
		r.sizeTable(&b)
	}
	return b.String()
}

// admissionTable: one row per webhook, then the goals as ratios.
func (r *report) admissionTable(b *strings.Builder) {
	a := r.opts.admission
	fmt.Fprintf(b, "## Admission (TLS on loopback)\n\n%d replicas of one pod in turn, as the "+
		"apiserver sends a ReplicaSet's pods: each its own token volume name and "+
		"managedFields time (AdmissionReviews of about %d bytes).\n\n", replicaPods,
		r.reviewBytes)
	fmt.Fprintf(b, "Closed loop c=%d for %s; open loop %.0f rps for %s in %d turns of %s, "+
		"the sides taking turns, latency from the scheduled send time.\n\n", a.workers,
		a.closed, a.rate, a.open, openRounds, a.open/openRounds)
	fmt.Fprintln(b, "| webhook | closed rps | CPU µs per review | closed p50 ms | "+
		"closed p99 ms | open p50 ms | open p99 ms | open max ms | open CPU µs per review | "+
		"errors | RSS idle MiB | RSS after load MiB (anon) |")
	fmt.Fprintln(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.admission {
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %s | %s | %s | %s | %s | %.0f | %d | %.1f | "+
			"%.1f (%.1f) |\n",
			s.name, s.closed.Throughput(), us(s.cpuPerReview), ms(s.closed.Quantile(0.5)),
			ms(s.closed.Quantile(0.99)), ms(s.open.Quantile(0.5)), ms(s.open.Quantile(0.99)),
			ms(s.open.Max()), us(s.openCPUPerReview), s.closed.Errors+s.open.Errors,
			s.idleRSS, s.loadRSS, s.anonRSS)
	}
	for _, s := range r.admission {
		if s.open.SendLag > overloadLag {
			fmt.Fprintf(b, "\n**Overloaded:** during the open loop on %s the generator sent "+
				"up to %s late; the machine could not keep 500 rps, so the open-loop and RSS "+
				"numbers of this run measure the machine, not the webhooks. Run again.\n",
				s.name, s.open.SendLag.Round(time.Millisecond))
		}
	}
	fmt.Fprintf(b, "\nThe load generator shares the machine: it used %.0f µs of CPU per request "+
		"against %s and %.0f µs against %s.\n", us(r.admission[0].loadgenPerReview),
		r.admission[0].name, us(r.admission[1].loadgenPerReview), r.admission[1].name)
	if len(r.admission) > 2 {
		fmt.Fprintf(b, "\nThe %s row is a server that answers every request with our "+
			"webhook's answer without reading it, over the same TLS and HTTP stack: what "+
			"the load generator, loopback TLS and the machine cost with no admission work "+
			"at all. No webhook can be measured faster than it here.\n", floorName)
	}
	for _, s := range r.admission {
		for _, res := range []string{s.closed.FirstError, s.open.FirstError} {
			if res != "" {
				fmt.Fprintf(b, "\nFirst error from %s: `%.1200s`\n", s.name, res)
			}
		}
	}
	ours, theirs := r.admission[0], r.admission[1]
	fmt.Fprintln(b)
	fmt.Fprintln(b, "| goal | measured | met |")
	fmt.Fprintln(b, "|---|---:|---|")
	tp := ours.closed.Throughput() / theirs.closed.Throughput()
	goalRow(b, "throughput ≥ 3× vault-k8s", fmt.Sprintf("%.2f×", tp), tp >= 3)
	if ours.cpuPerReview > 0 && ours.openCPUPerReview > 0 {
		cpu := float64(theirs.cpuPerReview) / float64(ours.cpuPerReview)
		open := float64(theirs.openCPUPerReview) / float64(ours.openCPUPerReview)
		goalRow(b, "(for the throughput goal) CPU per review ≤ ⅓ of vault-k8s",
			fmt.Sprintf("vault-k8s uses %.2f× ours (%.2f× at %.0f rps)", cpu, open, a.rate),
			cpu >= 3)
	}
	p99 := float64(ours.open.Quantile(0.99)) / float64(theirs.open.Quantile(0.99))
	goalRow(b, "open-loop p99 ≤ ¼ of vault-k8s", fmt.Sprintf("%.2f×", p99), p99 <= 0.25)
	goalRow(b, "webhook RSS after load ≤ 25 MiB", fmt.Sprintf("%.1f MiB", ours.loadRSS),
		ours.loadRSS <= 25)
	fmt.Fprintln(b)
	if len(r.admission) > 2 {
		r.floorNotes(b, r.admission[2], theirs)
	}
	r.distinctTable(b)
}

// floorNotes says whether the throughput and p99 goals can be shown at all on this
// machine: a goal beyond the floor's own numbers cannot.
func (r *report) floorNotes(b *strings.Builder, floor, theirs *admissionSide) {
	tp := floor.closed.Throughput() / theirs.closed.Throughput()
	p99 := float64(floor.open.Quantile(0.99)) / float64(theirs.open.Quantile(0.99))
	fmt.Fprintf(b, "Measurable here at all: the floor reaches %.2f× vault-k8s's throughput "+
		"(the goal asks 3×) and %.2f× its open-loop p99 (the goal asks ≤ 0.25×).\n\n", tp, p99)
}

// goalRow writes one goal line.
func goalRow(b *strings.Builder, goal, measured string, met bool) {
	mark := "no"
	if met {
		mark = "yes"
	}
	fmt.Fprintf(b, "| %s | %s | %s |\n", goal, measured, mark)
}
