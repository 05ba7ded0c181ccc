package knowledge

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// fakeIndex records what Sync writes; its errors are set by the test.
type fakeIndex struct {
	version    string
	passages   []journeystate.Passage
	replaces   int
	versionErr error
	replaceErr error
}

func (f *fakeIndex) ReplaceKnowledge(_ context.Context, version string, passages []journeystate.Passage) error {
	if f.replaceErr != nil {
		return f.replaceErr
	}
	f.replaces++
	f.version, f.passages = version, passages
	return nil
}

func (f *fakeIndex) KnowledgeVersion(context.Context) (string, int, error) {
	return f.version, len(f.passages), f.versionErr
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, dir, "good.md", goodPage)
	passages, version, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	idx := &fakeIndex{}

	steps := []struct {
		name  string
		force bool
		edit  string // new content of good.md before the step, if any
		want  Result
		calls int // ReplaceKnowledge calls so far
	}{
		{name: "first sync indexes", want: Result{Reindexed: true, Version: version, Passages: len(passages)}, calls: 1},
		{name: "unchanged folder is skipped", want: Result{Version: version, Passages: len(passages)}, calls: 1},
		{name: "force reindexes", force: true, want: Result{Reindexed: true, Version: version, Passages: len(passages)}, calls: 2},
		{name: "changed folder reindexes", edit: goodPage + "\n## More\n\nOne more.\n", calls: 3},
	}
	for _, s := range steps {
		if s.edit != "" {
			writeFile(t, dir, "good.md", s.edit)
			p, v, err := Load(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			s.want = Result{Reindexed: true, Version: v, Passages: len(p)}
		}
		got, err := Sync(ctx, idx, dir, "", s.force)
		if err != nil {
			t.Fatalf("%s: Sync: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: result (-want +got):\n%s", s.name, diff)
		}
		if idx.replaces != s.calls {
			t.Errorf("%s: ReplaceKnowledge calls: got %d, want %d", s.name, idx.replaces, s.calls)
		}
		if idx.version != got.Version || len(idx.passages) != got.Passages {
			t.Errorf("%s: index holds version %q with %d passages, result says %q with %d",
				s.name, idx.version, len(idx.passages), got.Version, got.Passages)
		}
	}
}

func TestSyncErrors(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	good := t.TempDir()
	writeFile(t, good, "good.md", goodPage)
	bad := t.TempDir()
	writeFile(t, bad, "bad.md", "no front matter\n")

	tests := []struct {
		name    string
		dir     string
		idx     *fakeIndex
		wantErr error
	}{
		{"bad folder leaves the index", bad, &fakeIndex{version: "old"}, nil},
		{"version error", good, &fakeIndex{version: "old", versionErr: boom}, boom},
		{"replace error", good, &fakeIndex{version: "old", replaceErr: boom}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sync(ctx, tt.idx, tt.dir, "", false)
			if err == nil {
				t.Fatal("Sync: got no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want it to wrap %v", err, tt.wantErr)
			}
			if tt.idx.version != "old" || tt.idx.replaces != 0 {
				t.Errorf("index changed: version %q after %d replaces", tt.idx.version, tt.idx.replaces)
			}
		})
	}
}
