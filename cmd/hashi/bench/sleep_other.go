//go:build !linux

package bench

import "time"

type sleeper struct{}

func newSleeper() *sleeper                 { return nil }
func (s *sleeper) wait(time.Duration) bool { return false }
func (s *sleeper) close()                  {}
