package main

import (
	"fmt"
	"strings"
	"time"
)

// agentTable renders init times and steady use, then the agent goals.
func (r *report) agentTable(b *strings.Builder) {
	a := r.agent
	fmt.Fprintf(b, "## Agent (same secret, same Vault dev server, token auth)\n\n")
	fmt.Fprintf(b, "Init: process start to exit with the resolved file, median of %d runs "+
		"each, alternating. Steady: renewal agents side by side, CPU over %s after %s, RSS "+
		"at its end.\n\n", a.runs, a.window, settle)
	fmt.Fprintln(b, "| agent | init median ms | init runs ms | steady RSS MiB | "+
		"steady CPU ms per min |")
	fmt.Fprintln(b, "|---|---:|---|---:|---:|")
	for _, kind := range []agentKind{ourAgent, vaultAgent} {
		runs := make([]string, 0, len(a.initAll[kind]))
		for _, d := range a.initAll[kind] {
			runs = append(runs, fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)))
		}
		perMin := float64(a.steadyCPU[kind]) / float64(time.Millisecond) /
			a.window.Minutes()
		fmt.Fprintf(b, "| %s | %s | %s | %.1f | %.1f |\n", kind, ms(a.initMedian[kind]),
			strings.Join(runs, " "), a.steadyRSS[kind], perMin)
	}
	fmt.Fprintln(b)
	fmt.Fprintln(b, "| goal | measured | met |")
	fmt.Fprintln(b, "|---|---:|---|")
	rss := a.steadyRSS[ourAgent] / a.steadyRSS[vaultAgent]
	goalRow(b, "agent steady RSS ≤ ⅕ of vault agent", fmt.Sprintf("%.2f×", rss), rss <= 0.2)
	goalRow(b, "agent steady RSS < 15 MiB", fmt.Sprintf("%.1f MiB", a.steadyRSS[ourAgent]),
		a.steadyRSS[ourAgent] < 15)
	init := float64(a.initMedian[ourAgent]) / float64(a.initMedian[vaultAgent])
	goalRow(b, "init time ≤ ½ of vault agent -exit-after-auth", fmt.Sprintf("%.2f×", init),
		init <= 0.5)
	fmt.Fprintln(b)
}
