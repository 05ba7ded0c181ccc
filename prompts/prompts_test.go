package prompts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewOverride(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "system.tmpl"), "Hi, I am {{.Persona.Name}} on {{.Channel}}.")
	r, err := New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	got, err := r.System(hearthly())
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hi, I am Ember on web."; got != want {
		t.Errorf("System() = %q, want %q", got, want)
	}
}

func TestNewEmptyOverrideDirKeepsDefaults(t *testing.T) {
	withDir, err := New(t.TempDir())
	if err != nil {
		t.Fatalf("New(empty dir): %v", err)
	}
	got, err := withDir.System(hearthly())
	if err != nil {
		t.Fatal(err)
	}
	want, err := newRenderer(t).System(hearthly())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("an empty override folder changed the prompt:\n%s\nwant:\n%s", got, want)
	}
}

func TestNewRefusesBadOverrides(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string // substrings of the error
	}{
		{
			name:  "unknown file",
			setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "sytem.tmpl"), "x") },
			want:  []string{"sytem.tmpl", "not a known template", "system.tmpl"},
		},
		{
			name:  "stray readme",
			setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "README.md"), "x") },
			want:  []string{"README.md", "not a known template"},
		},
		{
			name: "parse error names file and line",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "system.tmpl"), "line one\nline two\n{{.Channel | nosuchfunc}}\n")
			},
			want: []string{"parse", "system.tmpl:3", "nosuchfunc"},
		},
		{
			name: "unknown field fails at start-up",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "system.tmpl"), "Hello\n{{.Customer.Email}}")
			},
			want: []string{"system.tmpl", "does not render", "Email"},
		},
		{
			name:  "folder named like a template",
			setup: func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "system.tmpl")) },
			want:  []string{"system.tmpl", "not a regular file"},
		},
		{
			name: "too large",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "system.tmpl"), strings.Repeat("x", maxTemplateBytes+1))
			},
			want: []string{"system.tmpl", "bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			r, err := New(dir)
			if err == nil {
				t.Fatalf("New(%s) = %v, nil; want an error", dir, r)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewMissingOverrideDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := New(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("New(%s) error = %v, want one naming the folder", dir, err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}
