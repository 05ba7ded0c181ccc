// Package sqlite is journeybot's embedded store: journeystate.Store on one SQLite file, with the knowledge base in an
// FTS5 index. It is the default backend; journeystate/postgres is the one for several replicas.
//
// It needs SQLite's FTS5, which github.com/mattn/go-sqlite3 compiles in only with the build tag sqlite_fts5: every
// build, test and vet of a binary that uses this package must set it. Open fails with a clear message otherwise.
//
// The package must not know about channels, the bot or HTTP: it stores and returns journeystate values.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/journeybot/journeybot/journeystate"
)

var _ journeystate.Store = (*Store)(nil)

// Limits on what one call reads, so that no caller can ask for an unbounded result.
const (
	// DefaultLimit is used when a Messages, RecentMessages or Events call passes a limit of 0.
	DefaultLimit = 100
	// MaxLimit caps the limit of Messages, RecentMessages and Events.
	MaxLimit = 1000
	// DefaultSearchLimit is used when SearchKnowledge is called with a limit of 0.
	DefaultSearchLimit = 10
	// MaxSearchLimit caps the limit of SearchKnowledge.
	MaxSearchLimit = 100
)

// Store is journeystate.Store on one SQLite database file. It is safe for concurrent use: writes go through one
// connection, where one writer goroutine commits the writes that queue up meanwhile together (group commit; each
// method is still its own all-or-nothing unit); reads use a pool of read-only connections and see the last committed
// state (WAL).
type Store struct {
	write  *sql.DB // one connection: after Open only writer writes on it; every transaction BEGIN IMMEDIATE
	read   *sql.DB // query-only connections
	writer *writer
	now    func() time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithNow sets the clock used for the times the store assigns (tests); the default is time.Now.
func WithNow(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open opens (creating when missing) the database file at path, and its folder when missing, and brings its schema
// up to date. It fails when SQLite was built without FTS5 (the sqlite_fts5 build tag is missing). The caller must
// Close the store.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite store: a database file path is required, got %q", path)
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite store: create data folder: %w", err)
	}
	s := &Store{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	// Synchronous FULL: a commit is on disk before it returns, so an acknowledged message survives a power loss,
	// not only a crash of the process (WAL with NORMAL may lose the last commits). The statement cache keeps the
	// writer's few statements prepared: the one writer goroutine is the store's throughput limit, and preparing
	// every statement again was a good part of its time.
	s.write, err = sql.Open("sqlite3",
		dsn(path, "_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_stmt_cache_size=64"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	s.write.SetMaxOpenConns(1)
	if err := s.setUp(ctx); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	// The read pool is opened after the writer has switched the file to WAL (a persistent setting).
	s.read, err = sql.Open("sqlite3", dsn(path, "_query_only=true&_txlock=deferred"))
	if err != nil {
		s.write.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	if err := s.read.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	s.writer = startWriter(s.write)
	return s, nil
}

// dsn builds a go-sqlite3 data source name for path. The path is given as a URI, so the characters a URI gives a
// meaning to are escaped.
func dsn(path, params string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?_busy_timeout=5000&_foreign_keys=on&" + params
}

// setUp checks that FTS5 is there and applies the migrations.
func (s *Store) setUp(ctx context.Context) error {
	var fts5 bool
	if err := s.write.QueryRowContext(ctx, `SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&fts5); err != nil {
		return err
	}
	if !fts5 {
		return errors.New("SQLite was built without FTS5: build journeybot with -tags sqlite_fts5")
	}
	return migrate(ctx, s.write)
}

// Ping reports whether both the writer and the readers can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	var one int
	if err := s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite reader: %w", err)
	}
	return nil
}

// Close finishes the writes already queued, then closes both pools; it waits for running statements to finish.
// Writes called after Close fail with ErrClosed. Closing twice returns nil.
func (s *Store) Close() error {
	if s.writer != nil {
		s.writer.close()
	}
	var errs []error
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	return errors.Join(errs...)
}

// inWrite runs fn in a write transaction and returns nil only once fn's work is committed (durably); when fn fails
// or panics, nothing of it is kept. fn shares the transaction with other writes (group commit, see writer.go), so
// it must not commit, roll back or end the transaction itself, nor call inWrite; and it must set its results afresh
// on every call: in the rare case that the batch's transaction is lost to another request, fn is run again in a new
// one. It returns ctx.Err() when ctx ends before fn ran, and ErrClosed after Close.
func (s *Store) inWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writer.do(ctx, fn)
}

// readOne runs fn, which makes a single query, on the read pool without an explicit transaction: one statement is
// atomic on its own, and BEGIN and COMMIT would double the round trips of the hottest reads.
func (s *Store) readOne(ctx context.Context, fn func(q querier) error) error {
	return fn(s.read)
}

// querier is what *sql.DB and *sql.Tx have in common for reads, so that a one-query helper serves both.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inRead runs fn in one read transaction, so that all its queries see one snapshot.
func (s *Store) inRead(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return inTx(ctx, s.read, fn)
}

func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timeLayout is how times are stored: UTC, microseconds, fixed width so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// stamp returns the store's current time as it will be stored: UTC, microseconds.
func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// newID returns a new time-ordered id (UUIDv7).
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return id.String(), nil
}

// collect scans every row of a query with scan and closes rows; err is the query's own error, passed through.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// notFound turns sql.ErrNoRows into journeystate.ErrNotFound; the caller adds what was looked for.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return journeystate.ErrNotFound
	}
	return err
}

// clampLimit applies the default and the cap of a list call's limit.
func clampLimit(limit, def, maxLimit int) (int, error) {
	switch {
	case limit < 0:
		return 0, fmt.Errorf("limit %d is negative", limit)
	case limit == 0:
		return def, nil
	case limit > maxLimit:
		return maxLimit, nil
	}
	return limit, nil
}
