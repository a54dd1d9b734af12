package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it is 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// mib is one mebibyte in bytes.
const mib = 1 << 20

// rssMiB reads VmRSS of pid from /proc/<pid>/status, in MiB.
func rssMiB(pid int) (float64, error) { return statusMiB(pid, "VmRSS") }

// statusMiB reads one kB field of /proc/<pid>/status (VmRSS, RssAnon, RssFile), in MiB.
func statusMiB(pid int, field string) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the status of process %d: %w", pid, err)
	}
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte(field+":"))
		if !ok {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) < 1 {
			break
		}
		kib, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("parsing %s of process %d: %w", field, pid, err)
		}
		return kib / 1024, nil
	}
	return 0, fmt.Errorf("process %d reports no %s", pid, field)
}

// cpuTime reads the user plus system CPU time pid has used so far.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the stat of process %d: %w", pid, err)
	}
	// The command name in parentheses may hold spaces; the fields after it do not.
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("parsing the stat of process %d: no command name", pid)
	}
	fields := strings.Fields(string(data[end+1:]))
	// After the name: state is field 3 of stat(5), utime 14 and stime 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("parsing the stat of process %d: %d fields", pid, len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing the CPU time of process %d: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
