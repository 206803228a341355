package transport

import (
	"context"
	"sync"
)

// ConnSet is a protocol server's set of live connections: Shutdown ends
// each and waits for them. The zero value is ready.
type ConnSet[C comparable] struct {
	mu      sync.Mutex
	m       map[C]struct{}
	closing bool
	wg      sync.WaitGroup
}

// Add records c; it reports false once the set is shutting down, and the
// caller then drops the connection.
func (s *ConnSet[C]) Add(c C) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if s.m == nil {
		s.m = make(map[C]struct{})
	}
	s.m[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// Done forgets c once its connection has ended.
func (s *ConnSet[C]) Done(c C) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown refuses new connections, calls end for each live one and waits
// until all are done, or ctx is.
func (s *ConnSet[C]) Shutdown(ctx context.Context, end func(C)) error {
	s.mu.Lock()
	s.closing = true
	live := make([]C, 0, len(s.m))
	for c := range s.m {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		end(c)
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
