package web

import (
	"context"
	"time"
)

// RunScheduler runs scheduled work every interval until ctx ends.
func (s *Server) RunScheduler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.runScheduled(ctx)
		}
	}
}

func (s *Server) runScheduled(ctx context.Context) {}
