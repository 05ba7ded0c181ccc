package bench

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const statusText = `Name:	journeybot
Umask:	0022
State:	S (sleeping)
VmPeak:	 1288412 kB
VmSize:	 1288412 kB
VmHWM:	   61236 kB
VmRSS:	   48932 kB
RssAnon:	   30012 kB
Threads:	9
`

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    int64
		wantErr bool
		noRSS   bool
	}{
		{"status", statusText, 48932 * 1024, false, false},
		{"zero", "VmRSS:\t0 kB\n", 0, false, false},
		{"missing", "Name:\tkthreadd\nState:\tS\n", 0, true, true},
		{"empty", "", 0, true, true},
		{"no unit", "VmRSS:\t48932\n", 0, true, false},
		{"wrong unit", "VmRSS:\t48932 MB\n", 0, true, false},
		{"not a number", "VmRSS:\tlots kB\n", 0, true, false},
		{"negative", "VmRSS:\t-5 kB\n", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVmRSS(strings.NewReader(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseVmRSS error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseVmRSS = %d, want %d", got, tt.want)
			}
			if got := errors.Is(err, ErrNoRSS); got != tt.noRSS {
				t.Errorf("errors.Is(err, ErrNoRSS) = %v, want %v (err %v)", got, tt.noRSS, err)
			}
		})
	}
}

func TestReadRSSOfThisProcess(t *testing.T) {
	got, err := ReadRSS(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if got <= 0 {
		t.Errorf("ReadRSS(self) = %d, want > 0", got)
	}
}

func TestSettled(t *testing.T) {
	tests := []struct {
		a, b int64
		want bool
	}{
		{1000, 1000, true},
		{1000, 1009, true},
		{1009, 1000, true},
		{1000, 1011, false},
		{1011, 1000, false},
		{0, 0, false}, // nothing measured is never settled
	}
	for _, tt := range tests {
		if got := Settled(tt.a, tt.b); got != tt.want {
			t.Errorf("Settled(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestProcField(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nmodel name\t: second\n"
	if got, want := procField(strings.NewReader(cpuinfo), "model name"), "AMD EPYC 7B13"; got != want {
		t.Errorf("procField(model name) = %q, want %q", got, want)
	}
	meminfo := "MemTotal:       24684544 kB\nMemFree:        24101232 kB\n"
	if got, want := procField(strings.NewReader(meminfo), "MemTotal"), "24684544 kB"; got != want {
		t.Errorf("procField(MemTotal) = %q, want %q", got, want)
	}
	if got := procField(strings.NewReader(meminfo), "Swap"); got != "" {
		t.Errorf("procField(missing) = %q, want empty", got)
	}
}
