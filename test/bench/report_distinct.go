package main

import (
	"fmt"
	"strings"
)

// distinctTable reports the closed loop in which every request is a different pod, so
// that no webhook can answer from what it answered before (our PatchCache misses every
// time): the cost of a full review, next to the repeated pod of the main table.
func (r *report) distinctTable(b *strings.Builder) {
	var rows []*admissionSide
	for _, s := range r.admission {
		if s.distinct.Requests > 0 {
			rows = append(rows, s)
		}
	}
	if len(rows) < 2 {
		return
	}
	fmt.Fprintf(b, "### Every pod different (closed loop c=%d for %s, %d pods in turn)\n\n",
		r.opts.admission.workers, r.opts.admission.closed, len(rows[0].distinctBodies))
	fmt.Fprintln(b, "The same replicas with one annotation numbered per pod, as pods of "+
		"different Deployments differ: no answer can be reused.")
	fmt.Fprintln(b)
	fmt.Fprintln(b, "| webhook | closed rps | CPU µs per review | closed p50 ms | "+
		"closed p99 ms | errors |")
	fmt.Fprintln(b, "|---|---:|---:|---:|---:|---:|")
	for _, s := range rows {
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %s | %s | %d |\n", s.name,
			s.distinct.Throughput(), us(s.distinctCPUPerReview), ms(s.distinct.Quantile(0.5)),
			ms(s.distinct.Quantile(0.99)), s.distinct.Errors)
	}
	ours, theirs := rows[0], rows[1]
	fmt.Fprintf(b, "\nWith every pod different, ours reaches %s vault-k8s's throughput and "+
		"vault-k8s uses %s our CPU per review.\n\n",
		ratio(ours.distinct.Throughput(), theirs.distinct.Throughput()),
		ratio(float64(theirs.distinctCPUPerReview), float64(ours.distinctCPUPerReview)))
	for _, s := range rows {
		if s.distinct.FirstError != "" {
			fmt.Fprintf(b, "First error from %s with distinct pods: `%.1200s`\n\n", s.name,
				s.distinct.FirstError)
		}
	}
}
