package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit. SQLite has one writer and every commit is an fsync (synchronous=FULL), so committing each write on
// its own caps the store at a few thousand writes per second. Instead, one writer goroutine takes every write request
// that is queued when it is free and runs them all in one transaction, committed once.
const (
	// maxBatch bounds the requests of one transaction, so that one commit (and the wait of its first request) stays
	// short however deep the queue is.
	maxBatch = 256
	// queueSize bounds the requests waiting for the writer; a full queue makes callers wait (with their ctx).
	queueSize = 1024
)

// ErrClosed is returned by a write called after Close.
var ErrClosed = errors.New("sqlite store is closed")

// writeReq is one inWrite call waiting for, or being run by, the writer.
type writeReq struct {
	ctx   context.Context
	fn    func(tx *sql.Tx) error
	state atomic.Int32 // reqQueued, then reqRunning (the writer took it) or reqAbandoned (its ctx ended first)
	done  chan error   // buffered: the writer never waits for the caller
}

const (
	reqQueued int32 = iota
	reqRunning
	reqAbandoned
)

// writer owns the store's single write connection: it is the only goroutine that writes.
type writer struct {
	db      *sql.DB
	mu      sync.RWMutex // held for reading while a request is queued, for writing by close
	closed  bool
	queue   chan *writeReq
	stopped chan struct{} // closed when run returns
}

func startWriter(db *sql.DB) *writer {
	w := &writer{db: db, queue: make(chan *writeReq, queueSize), stopped: make(chan struct{})}
	go w.run()
	return w
}

// do queues fn and waits for its outcome: nil only once fn's work is committed. It returns ctx.Err() when ctx ends
// before the writer has taken the request, and ErrClosed after close. Once the writer has taken it, the wait is the
// batch's (its statements and one commit), not ctx's. fn must not call do: the writer would wait for itself.
func (w *writer) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := w.enqueue(r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err() // the writer will skip it
		}
		// The writer has run fn or is running it: its outcome is the batch's, whatever ctx does now.
		return <-r.done
	}
}

func (w *writer) enqueue(r *writeReq) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.queue <- r:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// close makes later writes fail with ErrClosed and returns once the queued requests are done.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue) // no sender is inside enqueue: they hold mu for reading
	}
	w.mu.Unlock()
	<-w.stopped
}

// run takes what is queued and commits it as one batch, until the queue is closed and drained. It never waits for
// more requests to arrive: a lone write commits at once, and under load the requests that queue up during one
// commit form the next batch by themselves.
func (w *writer) run() {
	defer close(w.stopped)
	for r := range w.queue {
		batch := []*writeReq{r}
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		live := batch[:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil && r.state.CompareAndSwap(reqQueued, reqAbandoned) {
				r.done <- err // ended while queued: skipped, nothing of it runs
				continue
			}
			if r.state.CompareAndSwap(reqQueued, reqRunning) {
				live = append(live, r)
			} // else abandoned: its caller has returned ctx.Err()
		}
		for len(live) > 0 {
			live = w.commit(live)
		}
	}
}

// commit runs batch in one transaction, each request inside its own savepoint, and commits it once. Every request
// gets its outcome on done, except those it returns: their work was lost with the transaction (see runOne), and the
// caller runs them again in a new one.
func (w *writer) commit(batch []*writeReq) (again []*writeReq) {
	// Not the requests' ctx: the transaction is shared, and one caller giving up must not end the others'.
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		finish(batch, fmt.Errorf("begin: %w", err))
		return nil
	}
	kept := make([]*writeReq, 0, len(batch))
	for i, r := range batch {
		err, lost := runOne(tx, r)
		if lost != nil {
			_ = tx.Rollback() // usually "no transaction is active": SQLite has rolled it back already
			r.done <- cmp.Or(err, lost)
			return append(kept, batch[i+1:]...)
		}
		if err != nil {
			r.done <- err
			continue
		}
		kept = append(kept, r)
	}
	// One fsync for the whole batch; a request is answered only after it, so nothing acknowledged can be lost.
	if err := tx.Commit(); err != nil {
		finish(kept, fmt.Errorf("commit: %w", err))
		return nil
	}
	finish(kept, nil)
	return nil
}

// runOne runs r.fn inside a savepoint of tx, so that when fn fails (or panics) only its own work is undone and the
// other requests of the batch keep theirs. err is fn's error. lost is set when tx itself can no longer be trusted:
// the savepoint could not be set, released or rolled back. That happens when SQLite rolled back the whole
// transaction, which it does when a write statement is interrupted (fn's ctx ended while the statement ran) or fails
// on I/O; the work of the requests before r is then gone too.
func runOne(tx *sql.Tx, r *writeReq) (err, lost error) {
	bg := context.Background() // the savepoint statements are the batch's, not r's: r's ctx must not cut them
	if _, lost = tx.ExecContext(bg, `SAVEPOINT request`); lost != nil {
		return nil, fmt.Errorf("savepoint: %w", lost)
	}
	if err = call(tx, r.fn); err == nil {
		if _, lost = tx.ExecContext(bg, `RELEASE request`); lost != nil {
			return nil, fmt.Errorf("release savepoint: %w", lost)
		}
		return nil, nil
	}
	if _, lost = tx.ExecContext(bg, `ROLLBACK TO request`); lost == nil {
		_, lost = tx.ExecContext(bg, `RELEASE request`)
	}
	if lost != nil {
		lost = fmt.Errorf("roll back savepoint: %w", lost)
	}
	return err, lost
}

// call runs fn, turning a panic into an error so that it cannot kill the writer and the other requests.
func call(tx *sql.Tx, fn func(tx *sql.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

func finish(batch []*writeReq, err error) {
	for _, r := range batch {
		r.done <- err
	}
}
