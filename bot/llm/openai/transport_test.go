package openai

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{"absent", "", 0, false},
		{"seconds", "7", 7 * time.Second, true},
		{"zero", "0", 0, true},
		{"negative", "-3", 0, false},
		{"huge is capped", "99999999999", 24 * time.Hour, true},
		{"http date", "Mon, 23 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"past date", "Mon, 23 Nov 2026 11:00:00 GMT", 0, true},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := retryAfter(h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
			wantWait := tt.want
			if !tt.wantOK {
				wantWait = time.Second // DefaultBackoff: 1 s · 2^0
			}
			if got := backoff(func() time.Time { return now })(time.Second, time.Minute, 0, &http.Response{StatusCode: 500, Header: h}); got != wantWait {
				t.Errorf("backoff with Retry-After %q = %v, want %v", tt.header, got, wantWait)
			}
		})
	}
}

func TestLimitedBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr error
	}{
		{"under", "hello", 10, nil},
		{"exactly", "hello", 5, nil},
		{"over", "hello!", 5, errBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &limitedBody{ReadCloser: io.NopCloser(strings.NewReader(tt.body)), left: tt.limit}
			got, err := io.ReadAll(b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && string(got) != tt.body {
				t.Errorf("ReadAll = %q, want %q", got, tt.body)
			}
		})
	}
}
