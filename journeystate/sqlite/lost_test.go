//go:build sqlite_fts5

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// slowWrite is a write statement that runs long enough (a fraction of a second) to be interrupted while it runs.
const slowWrite = `UPDATE kv SET k = k WHERE (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 3000000)
	SELECT count(*) FROM c) > 0`

// TestLostTransaction covers a request that makes SQLite roll back the whole batch transaction, not only its
// savepoint: it is what SQLite does when a write statement is interrupted because its ctx ended. The requests run
// before it in the batch lost their work with the transaction; they must be run again and committed, the ones after
// it must run, and the culprit alone gets an error.
func TestLostTransaction(t *testing.T) {
	tests := []struct {
		name    string
		loser   func(ctx context.Context, cancel func()) func(tx *sql.Tx) error
		wantErr func(error) bool
		maybe   bool // the loss depends on timing: retry a few times, skip when it never happens
	}{
		{"rollback, then nil", func(context.Context, func()) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if err := insert("loser")(tx); err != nil {
					return err
				}
				_, err := tx.Exec(`ROLLBACK`)
				return err // nil: the writer must notice all the same
			}
		}, func(err error) bool { return err != nil }, false},
		{"rollback, then error", func(context.Context, func()) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if err := insert("loser")(tx); err != nil {
					return err
				}
				if _, err := tx.Exec(`ROLLBACK`); err != nil {
					return err
				}
				return errors.New("boom")
			}
		}, func(err error) bool { return err != nil && err.Error() == "boom" }, false},
		{"interrupted write", func(ctx context.Context, cancel func()) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if err := insert("loser")(tx); err != nil {
					return err
				}
				// Prepared first, so that the cancel lands while the statement runs, not while it is prepared.
				stmt, err := tx.PrepareContext(context.Background(), slowWrite)
				if err != nil {
					return err
				}
				defer stmt.Close()
				go cancel()
				if _, err := stmt.ExecContext(ctx); err != nil {
					return err
				}
				return ctx.Err()
			}
		}, func(err error) bool { return errors.Is(err, context.Canceled) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for attempt := 0; attempt < 10; attempt++ {
				if lostBatch(t, tt.loser, tt.wantErr) {
					return
				}
				if !tt.maybe {
					t.Fatal("the transaction was not lost: the earlier requests ran once")
				}
			}
			t.Skip("the cancel never landed while the statement ran")
		})
	}
}

// lostBatch runs a batch [a, b, loser, c] and checks its outcome; it reports whether a and b were run twice.
func lostBatch(t *testing.T, loser func(context.Context, func()) func(*sql.Tx) error, wantErr func(error) bool) bool {
	t.Helper()
	s := openScratch(t)
	release := blockWriter(t, s)
	var runs atomic.Int32
	counted := func(k string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			runs.Add(1)
			return insert(k)(tx)
		}
	}
	a := write(t.Context(), s, counted("a"))
	waitQueued(t, s, 1)
	b := write(t.Context(), s, counted("b"))
	waitQueued(t, s, 2)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	l := write(ctx, s, loser(ctx, cancel))
	waitQueued(t, s, 3)
	c := write(t.Context(), s, insert("c"))
	waitQueued(t, s, 4)
	release()
	for name, ch := range map[string]<-chan error{"a": a, "b": b, "c": c} {
		if err := <-ch; err != nil {
			t.Errorf("request %s = %v, want nil", name, err)
		}
	}
	if err := <-l; !wantErr(err) {
		t.Errorf("losing request = %v, want its own error", err)
	}
	if diff := cmp.Diff([]string{"a", "b", "block", "c"}, keys(t, s)); diff != "" {
		t.Errorf("committed keys (-want +got):\n%s", diff)
	}
	if err := s.inWrite(t.Context(), insert("after")); err != nil {
		t.Errorf("write after the batch = %v", err)
	}
	return runs.Load() == 4
}
