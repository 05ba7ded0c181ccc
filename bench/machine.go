package bench

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// ReadMachine describes this machine from /proc and the Go runtime, with its load average at the start (the
// benchmark measures a shared machine: a high load explains noisy figures); what it cannot read stays empty.
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		m.CPU = procField(f, "model name")
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(procField(f, "MemTotal"), " kB"), 10, 64); err == nil {
			m.MemBytes = kb * 1024
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// procField returns the trimmed value of the first "key: value" line of a /proc text whose key is key, or "".
func procField(r io.Reader, key string) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
