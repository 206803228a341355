package bench

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quick returns a configuration for short test runs.
func quick(sc Scenario, url string) Config {
	return Config{Scenario: sc, URL: url, Drain: 5 * time.Second, Idle: 500 * time.Millisecond, Warmup: 5 * time.Second}
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func startSink(t *testing.T) *Sink {
	t.Helper()
	s, err := NewSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
