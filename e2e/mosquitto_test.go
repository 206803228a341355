package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mosqSub is a running mosquitto_sub.
type mosqSub struct {
	t    testing.TB
	cmd  *exec.Cmd
	mu   sync.Mutex
	msgs []string
	all  []string
	done chan struct{}
	exit error
}

// startSub runs mosquitto_sub with args (plus -d for SUBACK detection) and
// returns once the broker acknowledged the subscription, or once the client
// exited (for tests that expect a refusal).
func startSub(t testing.TB, args ...string) *mosqSub {
	t.Helper()
	bin := needCmd(t, "mosquitto_sub")
	// stdbuf: mosquitto_sub's debug lines are block-buffered on a pipe.
	cmd := exec.Command("stdbuf", append([]string{"-oL", bin, "-d"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	s := &mosqSub{t: t, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.all = append(s.all, line)
			if !isMosqDebug(line) {
				s.msgs = append(s.msgs, line)
			}
			s.mu.Unlock()
		}
		s.exit = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill(syscall.SIGKILL) })
	waitFor(t, 10*time.Second, "mosquitto_sub SUBACK", func() bool {
		return s.seen("received SUBACK") || s.exited()
	})
	return s
}

func isMosqDebug(line string) bool {
	return strings.HasPrefix(line, "Client ") || strings.HasPrefix(line, "Subscribed (") ||
		strings.HasPrefix(line, "Unsubscribed (")
}

func (s *mosqSub) seen(substr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.all {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

func (s *mosqSub) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *mosqSub) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func (s *mosqSub) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.all, "\n")
}

// waitMessages waits until n message lines arrived.
func (s *mosqSub) waitMessages(n int) []string {
	s.t.Helper()
	waitFor(s.t, 15*time.Second, fmt.Sprintf("%d messages (output so far:\n%s)", n, s.output()), func() bool {
		return len(s.messages()) >= n
	})
	return s.messages()
}

// wait waits for the process to exit on its own.
func (s *mosqSub) wait() error {
	s.t.Helper()
	select {
	case <-s.done:
		return s.exit
	case <-time.After(15 * time.Second):
		s.t.Fatalf("mosquitto_sub did not exit; output:\n%s", s.output())
		return nil
	}
}

func (s *mosqSub) kill(sig syscall.Signal) {
	if s.exited() {
		return
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// pub runs mosquitto_pub and returns its combined output and error.
func pub(t testing.TB, args ...string) (string, error) {
	t.Helper()
	bin := needCmd(t, "mosquitto_pub")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = io.MultiReader()
	err := cmd.Run()
	return out.String(), err
}

func mustPub(t testing.TB, args ...string) {
	t.Helper()
	if out, err := pub(t, args...); err != nil {
		t.Fatalf("mosquitto_pub %v: %v\n%s", args, err, out)
	}
}

const mqttConnectorXML = `<transportConnectors>
  <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
</transportConnectors>`

func TestMosquittoQoSLevels(t *testing.T) {
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	h, p := "127.0.0.1", b.port("mqtt")
	for _, qos := range []string{"0", "1", "2"} {
		t.Run("qos"+qos, func(t *testing.T) {
			topic := "devices/lock-" + qos + "/state"
			sub := startSub(t, "-h", h, "-p", p, "-t", topic, "-q", qos, "-v", "-C", "3")
			for i := 0; i < 3; i++ {
				mustPub(t, "-h", h, "-p", p, "-t", topic, "-q", qos, "-m", fmt.Sprintf(`{"battery":%d}`, 80+i))
			}
			if err := sub.wait(); err != nil {
				t.Fatalf("mosquitto_sub: %v\n%s", err, sub.output())
			}
			got := sub.messages()
			want := []string{topic + ` {"battery":80}`, topic + ` {"battery":81}`, topic + ` {"battery":82}`}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestMosquittoRetained(t *testing.T) {
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	h, p := "127.0.0.1", b.port("mqtt")
	mustPub(t, "-h", h, "-p", p, "-t", "sensors/door/1", "-r", "-q", "1", "-m", "open")
	mustPub(t, "-h", h, "-p", p, "-t", "sensors/door/1", "-r", "-q", "1", "-m", "closed") // replaces
	mustPub(t, "-h", h, "-p", p, "-t", "sensors/door/2", "-r", "-m", "open")

	sub := startSub(t, "-h", h, "-p", p, "-t", "sensors/#", "-v", "-C", "2")
	if err := sub.wait(); err != nil {
		t.Fatal(err, sub.output())
	}
	got := strings.Join(sub.messages(), "\n")
	if !strings.Contains(got, "sensors/door/1 closed") || !strings.Contains(got, "sensors/door/2 open") {
		t.Fatalf("retained on subscribe: %q", got)
	}

	// Clear door 1 with an empty retained message (-r -n).
	mustPub(t, "-h", h, "-p", p, "-t", "sensors/door/1", "-r", "-n")
	sub = startSub(t, "-h", h, "-p", p, "-t", "sensors/#", "-v", "--retained-only")
	mustPub(t, "-h", h, "-p", p, "-t", "sensors/sentinel", "-m", "end") // not retained: ends --retained-only
	sub.wait()
	if got := sub.messages(); len(got) != 1 || got[0] != "sensors/door/2 open" {
		t.Fatalf("after clearing door/1, retained = %q", got)
	}
}

func TestMosquittoWildcards(t *testing.T) {
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	h, p := "127.0.0.1", b.port("mqtt")
	multi := startSub(t, "-h", h, "-p", p, "-t", "home/#", "-v")
	single := startSub(t, "-h", h, "-p", p, "-t", "home/+/temp", "-v")
	for _, topic := range []string{"home/kitchen/temp", "home/kitchen/humidity", "home", "office/desk/temp", "home/a/b/temp"} {
		mustPub(t, "-h", h, "-p", p, "-t", topic, "-m", "x")
	}
	mustPub(t, "-h", h, "-p", p, "-t", "home/end/temp", "-m", "end")
	m := multi.waitMessages(5)
	s := single.waitMessages(2)
	wantMulti := []string{"home/kitchen/temp x", "home/kitchen/humidity x", "home x", "home/a/b/temp x", "home/end/temp end"}
	wantSingle := []string{"home/kitchen/temp x", "home/end/temp end"}
	if strings.Join(m, "|") != strings.Join(wantMulti, "|") {
		t.Errorf("home/# got %q want %q", m, wantMulti)
	}
	if strings.Join(s, "|") != strings.Join(wantSingle, "|") {
		t.Errorf("home/+/temp got %q want %q", s, wantSingle)
	}
}

func TestMosquittoWill(t *testing.T) {
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	h, p := "127.0.0.1", b.port("mqtt")
	watcher := startSub(t, "-h", h, "-p", p, "-t", "devices/+/status", "-v", "-q", "1")
	victim := startSub(t, "-h", h, "-p", p, "-t", "devices/lock-7/command", "-i", "lock-7", "-k", "5",
		"--will-topic", "devices/lock-7/status", "--will-payload", "offline", "--will-qos", "1")
	victim.kill(syscall.SIGKILL) // no DISCONNECT: the will must go out
	got := watcher.waitMessages(1)
	if got[0] != "devices/lock-7/status offline" {
		t.Fatalf("will: %q", got)
	}

	// A clean disconnect (SIGTERM makes mosquitto_sub send DISCONNECT) must not.
	polite := startSub(t, "-h", h, "-p", p, "-t", "x", "-i", "lock-8",
		"--will-topic", "devices/lock-8/status", "--will-payload", "offline")
	polite.kill(syscall.SIGTERM)
	mustPub(t, "-h", h, "-p", p, "-t", "devices/sentinel/status", "-q", "1", "-m", "end")
	got = watcher.waitMessages(2)
	if len(got) != 2 || got[1] != "devices/sentinel/status end" {
		t.Fatalf("will after clean disconnect was published: %q", got)
	}
}

func TestMosquittoPersistentSession(t *testing.T) {
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	h, p := "127.0.0.1", b.port("mqtt")
	// The lock subscribes with a persistent session, then goes offline.
	lock := startSub(t, "-h", h, "-p", p, "-t", "devices/lock-42/command", "-q", "1", "-c", "-i", "lock-42")
	lock.kill(syscall.SIGTERM)
	for i := 1; i <= 5; i++ {
		mustPub(t, "-h", h, "-p", p, "-t", "devices/lock-42/command", "-q", "1", "-m", fmt.Sprintf(`{"action":"unlock","nonce_str":"n%d"}`, i))
	}
	// QoS 0 messages for an offline session are not kept (as in Mosquitto).
	mustPub(t, "-h", h, "-p", p, "-t", "devices/lock-42/command", "-q", "0", "-m", "lost")
	lock = startSub(t, "-h", h, "-p", p, "-t", "devices/lock-42/command", "-q", "1", "-c", "-i", "lock-42", "-C", "5")
	if err := lock.wait(); err != nil {
		t.Fatal(err, lock.output())
	}
	got := lock.messages()
	for i, m := range got {
		if want := fmt.Sprintf(`{"action":"unlock","nonce_str":"n%d"}`, i+1); m != want {
			t.Fatalf("offline message %d = %q, want %q (all: %q)", i, m, want, got)
		}
	}
	if !lock.seen("CONNACK (0)") || !strings.Contains(lock.output(), "received CONNACK") {
		t.Fatalf("no CONNACK seen:\n%s", lock.output())
	}
}
