package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRates(t *testing.T) {
	tests := []struct {
		in      string
		want    []float64
		wantErr bool
	}{
		{"50,200,1000", []float64{50, 200, 1000}, false},
		{" 2.5 , 10", []float64{2.5, 10}, false},
		{"", nil, true},
		{"50,,200", nil, true},
		{"0", nil, true},
		{"-5", nil, true},
		{"fast", nil, true},
	}
	for _, tt := range tests {
		got, err := parseRates(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseRates(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseRates(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParsePhases(t *testing.T) {
	got, err := parsePhases("turns, pipeline")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"turns": true, "pipeline": true}, got); diff != "" {
		t.Errorf("parsePhases mismatch (-want +got):\n%s", diff)
	}
	if _, err := parsePhases("turns,memory"); err == nil {
		t.Error("parsePhases accepted an unknown phase")
	}
}

func TestParseFlags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "journeybot")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, step time.Duration, idle int, direct bool)
	}{
		{"defaults", []string{"-journeybot", bin}, false, func(t *testing.T, step time.Duration, idle int, direct bool) {
			if step != 3*time.Second || idle != 2000 || !direct {
				t.Errorf("step %v idle %d direct %v, want 3s, 2000, true", step, idle, direct)
			}
		}},
		{"quick", []string{"-journeybot", bin, "-quick"}, false, func(t *testing.T, step time.Duration, idle int, direct bool) {
			if step != 2*time.Second || idle != 500 || direct {
				t.Errorf("step %v idle %d direct %v, want 2s, 500, false", step, idle, direct)
			}
		}},
		{"missing binary", []string{"-journeybot", filepath.Join(t.TempDir(), "nope")}, true, nil},
		{"bad rate", []string{"-journeybot", bin, "-rates", "x"}, true, nil},
		{"bad step", []string{"-journeybot", bin, "-step", "0s"}, true, nil},
		{"stray argument", []string{"-journeybot", bin, "extra"}, true, nil},
		{"unknown flag", []string{"-nope"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFlags error = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, cfg.Step, cfg.IdleConns, cfg.Direct)
			}
		})
	}
}
