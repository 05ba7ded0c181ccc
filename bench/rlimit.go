package bench

import (
	"fmt"
	"syscall"
)

// RaiseNoFile raises this process's soft limit on open files to at least want (up to the hard limit) and returns
// the new soft limit. Because it calls syscall.Setrlimit, the subprocesses the benchmark starts inherit the raised
// limit too (os/exec otherwise gives children the limit the process started with).
func RaiseNoFile(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur >= want {
		// Set it anyway so that children inherit the current (possibly runtime-raised) soft limit.
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("set RLIMIT_NOFILE: %w", err)
		}
		return lim.Cur, nil
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("set RLIMIT_NOFILE to %d: %w", lim.Cur, err)
	}
	return lim.Cur, nil
}
