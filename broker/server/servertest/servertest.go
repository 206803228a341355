// Package servertest runs whole brokers in process for the protocol
// packages' tests: a broker assembled by broker/server from activemq.xml
// text, on random ports, whose log is kept for assertions, and stopped when
// the test ends.
package servertest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker/server"
	"github.com/hashi-broker/hashi/xml"
)

// Broker is one in-process broker.
type Broker struct {
	Srv *server.Server
	Log *SyncBuffer // the broker's log, JSON lines at debug level (warn in benchmarks)

	t    testing.TB
	once sync.Once
}

// Start starts a broker whose <broker> element holds children; its data
// directory is a temporary one. Setting HASHI_TEST_LOG prints the log of a
// failed test.
func Start(t testing.TB, children string, opts server.Options) *Broker {
	t.Helper()
	doc := `<broker xmlns="http://activemq.apache.org/schema/core" brokerName="t" dataDirectory="data">` + children + `</broker>`
	cfg, problems := xml.Load("activemq.xml", []byte(doc), xml.Options{WorkDir: t.TempDir()})
	if cfg == nil || problems.HasErrors() {
		t.Fatalf("config: %v", problems)
	}
	logs := &SyncBuffer{}
	level := hclog.Debug
	if _, ok := t.(*testing.B); ok {
		level = hclog.Warn // a benchmark measures the broker, not its debug log
	}
	log := hclog.New(&hclog.LoggerOptions{Output: logs, Level: level, JSONFormat: true})
	srv, err := server.NewWithOptions(cfg, log, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	b := &Broker{Srv: srv, Log: logs, t: t}
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() && os.Getenv("HASHI_TEST_LOG") != "" {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	return b
}

// Addr is the address the named transport connector listens on.
func (b *Broker) Addr(connector string) string { return b.Srv.Addr(connector).String() }

// Stop shuts the broker down; it is idempotent.
func (b *Broker) Stop() {
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Srv.Shutdown(ctx); err != nil {
			b.t.Errorf("shutdown: %v", err)
		}
	})
}

// LogHas reports whether the broker logged a line containing substr.
func (b *Broker) LogHas(substr string) bool { return strings.Contains(b.Log.String(), substr) }

// SyncBuffer is a bytes.Buffer safe for a logger writing while a test reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls cond until it holds, failing the test once d has passed.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
