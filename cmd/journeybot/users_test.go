package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

func TestUsersAddAndList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	config := writeFile(t, "config.yaml", "store:\n  path: "+filepath.Join(dir, "db")+"\nhandoff:\n  teams:\n    - name: support\n      default: true\n      fallback: bot\n")
	add := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := runUsers(ctx, append([]string{"add", "-config", config}, args...), nil, strings.NewReader(stdin), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := add("correct horse battery\n", "-email", " Sam@Example.com ", "-name", "Sam Rivera", "-teams", "support", "-capacity", "4", "-password-stdin")
	if err != nil || !strings.Contains(out, "added agent sam@example.com") {
		t.Fatalf("users add = %q, %v", out, err)
	}
	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"twice":          {"correct horse battery\n", []string{"-email", "sam@example.com", "-name", "S", "-password-stdin"}, "exists already"},
		"short password": {"short\n", []string{"-email", "a@example.com", "-name", "A", "-password-stdin"}, "at least 12"},
		"no stdin flag":  {"correct horse battery\n", []string{"-email", "b@example.com", "-name", "B"}, "-password-stdin is required"},
		"unknown team":   {"correct horse battery\n", []string{"-email", "c@example.com", "-name", "C", "-teams", "pirates", "-password-stdin"}, "not a team"},
		"bad role":       {"correct horse battery\n", []string{"-email", "d@example.com", "-name", "D", "-role", "boss", "-password-stdin"}, "unknown role"},
		"bad email":      {"correct horse battery\n", []string{"-email", "not-an-email", "-name", "E", "-password-stdin"}, "-email"},
		"no name":        {"correct horse battery\n", []string{"-email", "f@example.com", "-password-stdin"}, "-name is required"},
	} {
		if _, err := add(tc.stdin, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", name, err, tc.want)
		}
	}
	var list bytes.Buffer
	if err := runUsers(ctx, []string{"list", "-config", config}, nil, nil, &list, &list); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(list.String()), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[1], "sam@example.com") || !strings.Contains(lines[1], "support") || !strings.Contains(lines[1], "offline") {
		t.Errorf("users list:\n%s", list.String())
	}
	cfg, err := LoadConfig(config, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByEmail(ctx, "sam@example.com")
	if err != nil || u.Role != journeystate.RoleAgent || u.Capacity != 4 || strings.Contains(u.PasswordHash, "horse") {
		t.Errorf("stored user %+v, %v", u, err)
	}
}
