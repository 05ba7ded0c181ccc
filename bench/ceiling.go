package bench

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver journeybot's embedded store uses
)

// ceilingSchema is a reduced copy of the store's messages and events tables: the rows one customer message writes.
const ceilingSchema = `
CREATE TABLE messages (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL, seq INTEGER NOT NULL,
    author TEXT NOT NULL, client_id TEXT NOT NULL, text TEXT NOT NULL, meta TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
) STRICT;
CREATE UNIQUE INDEX messages_client_id ON messages (customer_id, client_id);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL,
    type TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL
) STRICT;`

// CeilingResult is the store's own batched-commit ceiling: how many messages per second one writer commits when it
// groups them into transactions.
type CeilingResult struct {
	Batch    int     `json:"batch"`
	Messages int     `json:"messages"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"msgs_per_s"`
	Err      string  `json:"error,omitempty"`
}

// MeasureCeiling writes messages (a message row and an event row each) into a fresh SQLite database in dir, batch
// per transaction, with the durability settings of journeybot's store (WAL, synchronous=FULL), for d (at least
// one batch), and returns
// the rate. It is the yardstick of the pipeline goal "≥ 70% of the store's own batched-commit ceiling".
func MeasureCeiling(ctx context.Context, dir string, batch int, d time.Duration) CeilingResult {
	r := CeilingResult{Batch: batch}
	path := filepath.Join(dir, "ceiling.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, ceilingSchema); err != nil {
		r.Err = fmt.Sprintf("schema: %v", err)
		return r
	}
	text := "How long does shipping take to Lisbon? I ordered on Monday and have not heard back yet."
	start := time.Now()
	n := 0
	for { // at least one batch, however short d is
		if err := ceilingBatch(ctx, db, n, batch, text); err != nil {
			r.Err = err.Error()
			break
		}
		n += batch
		if time.Since(start) >= d || ctx.Err() != nil {
			break
		}
	}
	r.Messages = n
	r.Seconds = time.Since(start).Seconds()
	if r.Seconds > 0 {
		r.PerSec = float64(n) / r.Seconds
	}
	return r
}

func ceilingBatch(ctx context.Context, db *sql.DB, first, batch int, text string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := first; i < first+batch; i++ {
		conv, cust := fmt.Sprintf("conv-%d", i%500), fmt.Sprintf("cust-%d", i%500)
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages VALUES (?, ?, ?, ?, 'customer', ?, ?, '{}', ?)`,
			fmt.Sprintf("msg-%d", i), conv, cust, i/500+1, fmt.Sprintf("c-%d", i), text, now); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, customer_id, type, payload, created_at) VALUES (?, ?, 'message', '{}', ?)`,
			fmt.Sprintf("ev-%d", i), cust, now); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
	}
	return tx.Commit()
}
