package bench

import (
	"context"
	"sync"
	"sync/atomic"
)

// DialMany calls dial for i in [0, n) with at most parallel calls at once and returns the clients that connected, in
// no particular order, with the number of failures and the first error. It stops starting new dials when ctx ends.
func DialMany[C any](ctx context.Context, n, parallel int, dial func(ctx context.Context, i int) (C, error)) ([]C, int, error) {
	parallel = max(parallel, 1)
	var (
		mu       sync.Mutex
		clients  = make([]C, 0, n)
		failures int
		firstErr error
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for range min(parallel, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				c, err := dial(ctx, i)
				mu.Lock()
				if err != nil {
					failures++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					clients = append(clients, c)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return clients, failures, firstErr
}
