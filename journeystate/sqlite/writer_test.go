//go:build sqlite_fts5

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests drive inWrite directly, on a scratch table, to control what each request of a batch does.

// openScratch opens a store with a scratch table kv and closes it when the test ends.
func openScratch(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	err = s.inWrite(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY)`)
		return err
	})
	if err != nil {
		t.Fatalf("create scratch table: %v", err)
	}
	return s
}

// insert returns a request that adds key k.
func insert(k string) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO kv (k) VALUES (?)`, k)
		return err
	}
}

// keys returns the committed keys, as a reader sees them.
func keys(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ks []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ks
}

// blockWriter makes the writer run a request that waits until the returned release is called, so that the requests
// made meanwhile queue up and form the next batch. The blocking request adds key "block".
func blockWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	running, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.inWrite(context.Background(), func(tx *sql.Tx) error {
			close(running)
			<-unblock
			return insert("block")(tx)
		})
	}()
	<-running
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(unblock)
			if err := <-done; err != nil {
				t.Errorf("blocking request = %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// waitQueued polls until n requests wait in the writer's queue, failing the test after a deadline.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.writer.queue) != n {
		if time.Now().After(deadline) {
			t.Fatalf("queued requests = %d, want %d", len(s.writer.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// write runs fn through inWrite in its own goroutine; the result arrives on the returned channel.
func write(ctx context.Context, s *Store, fn func(tx *sql.Tx) error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.inWrite(ctx, fn) }()
	return ch
}

func TestBatchFailureIsolated(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		fail    func(k string) func(tx *sql.Tx) error // a failing request that first wrote k
		wantErr func(error) bool
	}{
		{"error", func(k string) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if err := insert(k)(tx); err != nil {
					return err
				}
				return errBoom
			}
		}, func(err error) bool { return errors.Is(err, errBoom) }},
		{"failed statement", func(k string) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if err := insert(k)(tx); err != nil {
					return err
				}
				return insert(k)(tx) // UNIQUE constraint: only this statement is undone by SQLite
			}
		}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "UNIQUE") }},
		{"panic", func(k string) func(tx *sql.Tx) error {
			return func(tx *sql.Tx) error {
				if err := insert(k)(tx); err != nil {
					return err
				}
				panic("fn bug")
			}
		}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "panicked: fn bug") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openScratch(t)
			release := blockWriter(t, s)
			const n = 12
			results := make([]<-chan error, n)
			want := []string{"block"}
			for i := range n {
				k := fmt.Sprintf("k%02d", i)
				fn := insert(k)
				if i%3 == 1 {
					fn = tt.fail(k)
				} else {
					want = append(want, k)
				}
				results[i] = write(t.Context(), s, fn)
				waitQueued(t, s, i+1) // in order, and all in the next batch
			}
			release()
			for i, ch := range results {
				err := <-ch
				if i%3 == 1 {
					if !tt.wantErr(err) {
						t.Errorf("failing request %d = %v, want its own error", i, err)
					}
				} else if err != nil {
					t.Errorf("request %d = %v, want nil", i, err)
				}
			}
			if diff := cmp.Diff(want, keys(t, s)); diff != "" {
				t.Errorf("committed keys (-want +got):\n%s", diff)
			}
			// The writer is still there.
			if err := s.inWrite(t.Context(), insert("after")); err != nil {
				t.Errorf("write after the batch = %v", err)
			}
		})
	}
}

func TestQueuedCancelSkipped(t *testing.T) {
	s := openScratch(t)
	release := blockWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	canceled := write(ctx, s, func(tx *sql.Tx) error {
		ran <- struct{}{}
		return insert("canceled")(tx)
	})
	waitQueued(t, s, 1)
	kept := write(t.Context(), s, insert("kept"))
	waitQueued(t, s, 2)
	cancel()
	// It returns while the writer is still blocked: the caller does not wait for the queue.
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled queued request = %v, want context.Canceled", err)
	}
	release()
	if err := <-kept; err != nil {
		t.Errorf("next request = %v, want nil", err)
	}
	select {
	case <-ran:
		t.Error("the canceled request's fn ran")
	default:
	}
	if diff := cmp.Diff([]string{"block", "kept"}, keys(t, s)); diff != "" {
		t.Errorf("committed keys (-want +got):\n%s", diff)
	}
}

func TestCanceledBeforeWrite(t *testing.T) {
	s := openScratch(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.inWrite(ctx, insert("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("inWrite(canceled ctx) = %v, want context.Canceled", err)
	}
	if got := keys(t, s); len(got) != 0 {
		t.Errorf("committed keys = %q, want none", got)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.inWrite(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	release := blockWriter(t, s)
	queued := []<-chan error{write(t.Context(), s, insert("q1")), write(t.Context(), s, insert("q2"))}
	waitQueued(t, s, 2)

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for !isClosed(s.writer) { // poll until Close has stopped taking writes
		if time.Now().After(deadline) {
			t.Fatal("Close did not stop taking writes")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.inWrite(t.Context(), insert("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close = %v, want ErrClosed", err)
	}
	release()
	for i, ch := range queued {
		if err := <-ch; err != nil {
			t.Errorf("queued request %d = %v, want nil: Close must finish queued writes", i, err)
		}
	}
	if err := <-closed; err != nil {
		t.Errorf("Close() = %v", err)
	}
	// What was acknowledged is on disk.
	s2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if diff := cmp.Diff([]string{"block", "q1", "q2"}, keys(t, s2)); diff != "" {
		t.Errorf("keys after reopening (-want +got):\n%s", diff)
	}
	if err := s.inWrite(t.Context(), insert("later")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close returned = %v, want ErrClosed", err)
	}
}

func isClosed(w *writer) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}
