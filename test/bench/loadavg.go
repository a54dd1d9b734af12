package main

import (
	"os"
	"strings"
)

// loadAverage returns the 1, 5 and 15 minute load averages, a hint of how much other
// work shared the machine during the run.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}
