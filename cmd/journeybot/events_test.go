package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/journeybot/journeybot/api"
	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/journeystate"
)

// countingRecorder is an api.Recorder that keeps the event keys it stored, deduplicating them.
type countingRecorder struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (r *countingRecorder) Track(ctx context.Context, ev bot.BusinessEvent) (bot.TrackResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys[ev.Key] {
		return bot.TrackResult{CustomerID: "c", Duplicate: true}, nil
	}
	r.keys[ev.Key] = true
	return bot.TrackResult{CustomerID: "c"}, nil
}

func (r *countingRecorder) Identify(ctx context.Context, t bot.Traits) (journeystate.IdentifyResult, error) {
	return journeystate.IdentifyResult{Customer: journeystate.Customer{ID: "c"}}, nil
}

func TestRunEventsImport(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(good, []byte("event,user_id,message_id\nOrder Completed,u1,1\nOrder Completed,u2,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"type":"track","userId":"u1","event":"x","messageId":"9"}`+"\n"+`{"type":"track"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &countingRecorder{keys: make(map[string]bool)}
	var gotConfig string
	closed := 0
	open := func(ctx context.Context, configPath string) (api.Recorder, string, func() error, error) {
		gotConfig = configPath
		return rec, "US", func() error { closed++; return nil }, nil
	}
	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := runEvents(context.Background(), args, nil, &stdout, &stderr, open)
		return stdout.String(), stderr.String(), err
	}

	out, _, err := run("import", "-config", "my.yaml", good)
	if err != nil || !strings.Contains(out, "2 calls read: 2 stored, 0 duplicates") || gotConfig != "my.yaml" {
		t.Errorf("import: %q, %v (config %q)", out, err, gotConfig)
	}
	out, _, err = run("import", good)
	if err != nil || !strings.Contains(out, "2 calls read: 0 stored, 2 duplicates") {
		t.Errorf("re-import: %q, %v", out, err)
	}
	out, errOut, err := run("import", bad)
	if !errors.Is(err, api.ErrInvalidInput) || !strings.Contains(errOut, "line 2: event: event is required") || !strings.Contains(out, "0 stored") {
		t.Errorf("bad file: out %q, stderr %q, err %v", out, errOut, err)
	}
	out, _, err = run("import", "-keep-going", bad)
	if err != nil || !strings.Contains(out, "1 stored, 0 duplicates (stored before), 1 invalid") {
		t.Errorf("keep going: %q, %v", out, err)
	}
	if closed != 4 {
		t.Errorf("closed %d times, want 4", closed)
	}
	for _, args := range [][]string{{}, {"export"}, {"import"}, {"import", "a", "b"}} {
		if _, _, err := run(args...); err == nil {
			t.Errorf("runEvents %q: no error", args)
		}
	}
	if _, _, err := run("import", filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("a missing file: no error")
	}
}

func TestRunTokensNew(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := runTokens([]string{"new", "-name", "crm", "-scopes", "events:write, customers:read"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	token := regexp.MustCompile(`jb_[a-z2-7]{52}`).FindString(out)
	hash := regexp.MustCompile(`hash: (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if token == "" || hash == nil || hash[1] != api.HashToken(token) {
		t.Fatalf("output %q: want a token and the hash of that token", out)
	}
	if !strings.Contains(out, "- name: crm") || !strings.Contains(out, "scopes: [events:write, customers:read]") {
		t.Errorf("output %q: want the name and scopes", out)
	}
	if err := runTokens([]string{"new", "-scopes", "everything"}, &stdout, &stderr); err == nil {
		t.Error("an unknown scope: no error")
	}
	if err := runTokens([]string{"new", "-name", "Bad Name"}, &stdout, &stderr); err == nil {
		t.Error("a bad name: no error")
	}
}
