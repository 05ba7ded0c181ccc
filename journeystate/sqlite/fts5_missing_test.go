//go:build !sqlite_fts5

package sqlite_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/journeystate/sqlite"
)

// TestOpenWithoutFTS5 runs only in a build without the sqlite_fts5 tag (go test ./journeystate/sqlite/): Open must
// refuse with a message that says how to fix it.
func TestOpenWithoutFTS5(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err == nil {
		s.Close()
		t.Fatal("Open() without FTS5 = nil error, want one")
	}
	if !strings.Contains(err.Error(), "-tags sqlite_fts5") {
		t.Errorf("Open() error = %q, want it to name the build tag", err)
	}
}
