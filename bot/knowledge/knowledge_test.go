package knowledge

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// realDir is the sample knowledge base shipped with journeybot.
const realDir = "../../knowledge"

func TestLoadRealFolder(t *testing.T) {
	const base = "https://hearthly.example"
	passages, version, err := Load(realDir, base)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	files, err := filepath.Glob(filepath.Join(realDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	var got []string
	for _, p := range passages {
		if len(got) == 0 || got[len(got)-1] != p.Source {
			got = append(got, p.Source)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages with passages, in order (-want +got):\n%s", diff)
	}
	for _, name := range []string{"pricing.md", "shipping.md", "returns.md", "account.md", "troubleshooting.md"} {
		if !slices.Contains(got, name) {
			t.Errorf("no passages from %s", name)
		}
	}

	for i, p := range passages {
		if p.Title == "" || p.Heading == "" || strings.TrimSpace(p.Text) == "" {
			t.Errorf("passage %d (%s): empty title, heading or text: %+v", i, p.Source, p)
		}
		if !strings.HasPrefix(p.URL, base+"/") || strings.Contains(strings.TrimPrefix(p.URL, "https://"), "//") {
			t.Errorf("passage %d (%s): URL %q is not under %s", i, p.Source, p.URL, base)
		}
		if len(p.Stages) == 0 {
			t.Errorf("passage %d (%s): no stages", i, p.Source)
		}
		if n := len([]rune(p.Text)); n > ChunkSize+ChunkOverlap {
			t.Errorf("passage %d (%s): %d characters, want at most %d", i, p.Source, n, ChunkSize+ChunkOverlap)
		}
		if strings.HasPrefix(p.Text, "#") {
			t.Errorf("passage %d (%s): text starts with a heading line: %q", i, p.Source, p.Text)
		}
	}

	_, again, err := Load(realDir, base)
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if again != version {
		t.Errorf("version of an unchanged folder: got %s, then %s", version, again)
	}
}

func TestLoadVersionChanges(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"shipping.md", "returns.md"} {
		data, err := os.ReadFile(filepath.Join(realDir, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, f, string(data))
	}
	_, v1, err := Load(dir, "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	path := filepath.Join(dir, "shipping.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "shipping.md", strings.Replace(string(data), "3 to 5 business days", "2 to 4 business days", 1))
	passages, v2, err := Load(dir, "")
	if err != nil {
		t.Fatalf("Load after edit: %v", err)
	}
	if v2 == v1 {
		t.Errorf("version did not change when a file changed: %s", v1)
	}
	if !slices.ContainsFunc(passages, func(p journeystate.Passage) bool { return strings.Contains(p.Text, "2 to 4 business days") }) {
		t.Errorf("no passage holds the edited text")
	}

	if err := os.Rename(path, filepath.Join(dir, "delivery.md")); err != nil {
		t.Fatal(err)
	}
	_, v3, err := Load(dir, "")
	if err != nil {
		t.Fatalf("Load after rename: %v", err)
	}
	if v3 == v2 {
		t.Errorf("version did not change when a file was renamed")
	}
	_, v4, err := Load(dir, "https://example.com")
	if err != nil {
		t.Fatalf("Load with base URL: %v", err)
	}
	if v4 == v3 {
		t.Errorf("version did not change with the base URL, though every passage URL did")
	}
}

// writeFile writes content to dir/name, creating folders as needed.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
