package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ErrNoRSS means a /proc status text has no VmRSS line (a kernel thread, or a process that has exited).
var ErrNoRSS = errors.New("no VmRSS line")

// ParseVmRSS returns the resident set size, in bytes, from the text of /proc/PID/status ("VmRSS:   12345 kB").
// It returns an error wrapping ErrNoRSS when there is no such line and a parse error when the line is malformed.
func ParseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("malformed VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("malformed VmRSS value %q", fields[0])
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	return 0, ErrNoRSS
}

// ReadRSS returns the resident set size in bytes of process pid, read from /proc (Linux only).
func ReadRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss of %d: %w", pid, err)
	}
	defer f.Close()
	n, err := ParseVmRSS(f)
	if err != nil {
		return 0, fmt.Errorf("rss of %d: %w", pid, err)
	}
	return n, nil
}
