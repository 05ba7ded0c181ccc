package bench

import (
	"context"
	"testing"
)

func TestMeasureCeilingCommits(t *testing.T) {
	// A 1 ns run still commits one batch: the loop checks the time after each.
	r := MeasureCeiling(context.Background(), t.TempDir(), 16, 1)
	if r.Err != "" || r.Messages != 16 || r.PerSec <= 0 {
		t.Errorf("MeasureCeiling = %+v, want one batch of 16 and a rate", r)
	}
}

func TestMeasureCeilingBadDir(t *testing.T) {
	r := MeasureCeiling(context.Background(), "/nonexistent/dir/for/bench", 16, 1)
	if r.Err == "" {
		t.Errorf("MeasureCeiling in a missing directory = %+v, want an error", r)
	}
}
