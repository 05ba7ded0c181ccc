package knowledge

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

const goodPage = "---\ntitle: Good\nurl: /help/good\nstages: [support]\n---\n## Section\n\nSome text.\n"

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name    string
		content string // of bad.md, next to a good page
		want    string // in the error text, besides the file name
	}{
		{"unknown key", "---\ntitle: T\nstage: [support]\n---\nText.\n", "field stage not found"},
		{"malformed yaml", "---\ntitle: [unclosed\n---\nText.\n", "front matter"},
		{"stages not a list", "---\ntitle: T\nstages: support\n---\nText.\n", "front matter"},
		{"no front matter", "# Just Markdown\n\nText.\n", "no front matter"},
		{"unclosed front matter", "---\ntitle: T\n\nText.\n", "not closed"},
		{"empty front matter", "---\n---\nText.\n", "title is required"},
		{"missing title", "---\nurl: /x\n---\nText.\n", "title is required"},
		{"relative url", "---\ntitle: T\nurl: help/x\n---\nText.\n", "must be a path"},
		{"empty stage", "---\ntitle: T\nstages: [support, '']\n---\nText.\n", "stage 2 is empty"},
		{"not utf-8", "---\ntitle: T\n---\n\xff\xfe caf\xe9\n", "not UTF-8"},
		{"binary", "---\ntitle: T\n---\n\x00\x00\x00\x01", "binary"},
		{"too big", "---\ntitle: T\n---\n" + strings.Repeat("word ", MaxFileSize/5+1), "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a-good.md", goodPage)
			writeFile(t, dir, "sub/bad.md", tt.content)
			passages, version, err := Load(dir, "")
			if err == nil {
				t.Fatalf("Load: got %d passages, version %q, want an error", len(passages), version)
			}
			if !strings.Contains(err.Error(), "sub/bad.md") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error: got %q, want it to name sub/bad.md and say %q", err, tt.want)
			}
			if passages != nil || version != "" {
				t.Errorf("got %d passages and version %q with the error, want none", len(passages), version)
			}
		})
	}
}

func TestLoadFolderErrors(t *testing.T) {
	t.Run("missing folder", func(t *testing.T) {
		_, _, err := Load(filepath.Join(t.TempDir(), "nope"), "")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("empty folder", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "notes.txt", "not markdown")
		writeFile(t, dir, ".drafts/hidden.md", goodPage)
		_, _, err := Load(dir, "")
		if !errors.Is(err, ErrNoPages) {
			t.Errorf("got %v, want ErrNoPages", err)
		}
	})
	t.Run("file instead of folder", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "page.md", goodPage)
		_, _, err := Load(filepath.Join(dir, "page.md"), "")
		if err == nil || !strings.Contains(err.Error(), "not a folder") {
			t.Errorf("got %v, want a not-a-folder error", err)
		}
	})
}

func TestLoadPassages(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.md", "\uFEFF---\r\ntitle: \" Second \"\r\nurl: /b\r\nstages: [Purchase]\r\n---\r\n"+
		"Intro line one\r\ncontinues here.\r\n\r\n## Steps ##\r\n\r\n1. First\r\n   wrapped.\r\n2. Second.\r\n")
	writeFile(t, dir, "a/c.md", "---\ntitle: Nested\n...\n## Code\n\n```sh\n# not a heading\necho hi\n```\n\n### Deeper\n\nLast.\n")
	writeFile(t, dir, "a/.hidden.md", goodPage)
	writeFile(t, dir, "readme.txt", "ignored")

	got, _, err := Load(dir, "https://example.com/")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []journeystate.Passage{
		{Source: "a/c.md", Title: "Nested", Heading: "Code", Text: "```sh\n# not a heading\necho hi\n```"},
		{Source: "a/c.md", Title: "Nested", Heading: "Deeper", Text: "Last."},
		{Source: "b.md", Title: "Second", URL: "https://example.com/b", Stages: []string{"purchase"},
			Text: "Intro line one continues here."},
		{Source: "b.md", Title: "Second", Heading: "Steps", URL: "https://example.com/b", Stages: []string{"purchase"},
			Text: "1. First wrapped.\n2. Second."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("passages (-want +got):\n%s", diff)
	}
}
