package bench

import "time"

// A paced publisher waits a fraction of a millisecond between messages
// (500 µs at 2,000 msgs/s). Go's timers wake an idle process through the
// poller, whose wait is in whole milliseconds on Linux (epoll_wait): there
// a 500 µs time.Sleep takes 1.1 ms, and the publisher sent its messages in
// pairs, the second queued behind the first, instead of one every 500 µs.
// A sleeper waits short gaps on a kernel timer instead (timerfd where
// there is one), still parked in the poller.

// preciseBelow is the gap under which a sleeper uses its kernel timer;
// longer ones lose little to time.Sleep's millisecond.
const preciseBelow = 5 * time.Millisecond

// sleep waits d, precisely when d is short and s has a timer.
func (s *sleeper) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	if s == nil || d >= preciseBelow || !s.wait(d) {
		time.Sleep(d)
	}
}
