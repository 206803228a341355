package e2e

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// STOMP with Debian's stomp.py (python3-stomp 8.0), the client a Python
// monitoring application would use, run by /usr/bin/python3 (not a pyenv
// python on PATH, which lacks the module).

// doorLockApp is the monitoring application of the door-lock scenario. It
// prints one JSON object per step and waits for "commit" on stdin before
// committing its transaction, so that the test decides when.
const doorLockApp = `
import json, queue, sys, threading
import stomp

host, port = sys.argv[1], int(sys.argv[2])

def out(kind, **kw):
    kw['kind'] = kind
    print(json.dumps(kw), flush=True)

class Listener(stomp.ConnectionListener):
    def __init__(self):
        self.subs, self.receipts, self.errors = {}, queue.Queue(), queue.Queue()
        self.connected, self.heartbeats, self.hb_timeout = None, 0, False
    def on_connected(self, frame): self.connected = dict(frame.headers)
    def on_message(self, frame): self.msgs(frame.headers['subscription']).put(frame)
    def msgs(self, sub): return self.subs.setdefault(sub, queue.Queue())
    def on_receipt(self, frame): self.receipts.put(frame.headers['receipt-id'])
    def on_error(self, frame): self.errors.put(frame); out('error', headers=dict(frame.headers))
    def on_heartbeat(self): self.heartbeats += 1
    def on_heartbeat_timeout(self): self.hb_timeout = True

def get(q, what):
    try:
        return q.get(timeout=10)
    except queue.Empty:
        out('fail', what=what)
        sys.exit(1)

def receipt(l, want):
    got = get(l.receipts, 'receipt ' + want)
    if got != want:
        out('fail', what='receipt %s, got %s' % (want, got))
        sys.exit(1)

def connect(hb):
    c = stomp.Connection12([(host, port)], heartbeats=hb, auto_decode=False)
    l = Listener()
    c.set_listener('l', l)
    c.connect(wait=True, headers={'client-id': 'monitoring'})
    return c, l

c, l = connect((500, 500))
out('connected', headers=l.connected)
c.subscribe('/topic/devices.>', id='telemetry', ack='auto', headers={'receipt': 'sub-telemetry'})
receipt(l, 'sub-telemetry')
out('ready')

telemetry = []
for _ in range(3):
    f = get(l.msgs('telemetry'), 'telemetry')
    telemetry.append({'dest': f.headers['destination'], 'body': f.body.hex(),
                      'length': f.headers.get('content-length'), 'sub': f.headers['subscription']})
out('telemetry', msgs=telemetry)

# Custom headers on a queue, acknowledged one by one.
c.send('/queue/lock.audit', b'unlock lock-1', headers={'x-lock-id': 'lock-1', 'x-operator': 'alice:ops', 'receipt': 'audit'})
receipt(l, 'audit')
c.subscribe('/queue/lock.audit', id='audit', ack='client-individual')
f = get(l.msgs('audit'), 'audit message')
c.ack(f.headers['ack'], receipt='audit-ack')
receipt(l, 'audit-ack')
out('audit', headers=dict(f.headers), body=f.body.decode())

# A command to the lock, sent in a transaction.
tx = c.begin()
c.send('/topic/devices.lock-1.command', b'{"action":"lock"}', transaction=tx, headers={'receipt': 'tx-send'})
receipt(l, 'tx-send')
out('tx-pending')
if sys.stdin.readline().strip() != 'commit':
    out('fail', what='no commit line')
    sys.exit(1)
c.commit(tx, headers={'receipt': 'tx-commit'})
receipt(l, 'tx-commit')
out('committed')

# Idle across several heart-beat intervals: both sides keep beating.
threading.Event().wait(1.6)
out('idle', heartbeats=l.heartbeats, timeout=l.hb_timeout, connected=c.is_connected())

# client-individual: only what was acknowledged is gone after a reconnect.
for i in (1, 2, 3):
    c.send('/queue/lock.retry', ('retry-%d' % i).encode(), headers={'receipt': 'retry-%d' % i})
    receipt(l, 'retry-%d' % i)
c.subscribe('/queue/lock.retry', id='retry', ack='client-individual')
got = [get(l.msgs('retry'), 'retry message') for _ in range(3)]
c.ack(got[1].headers['ack'], receipt='retry-ack')
receipt(l, 'retry-ack')
c.disconnect()
c2, l2 = connect((0, 0))
c2.subscribe('/queue/lock.retry', id='again', ack='client-individual')
again = [get(l2.msgs('again'), 'redelivery') for _ in range(2)]
for f in again:
    c2.ack(f.headers['ack'])
c2.subscribe('/topic/done', id='done', ack='auto', headers={'receipt': 'done'})
receipt(l2, 'done')
extra = l2.msgs('again').qsize()
out('redelivered', bodies=[f.body.decode() for f in again],
    flags=[f.headers.get('redelivered') for f in again], extra=extra)
c2.disconnect()
out('done')
`

type pyLine map[string]any

// runPy starts script with /usr/bin/python3 and returns its output lines as
// decoded JSON and a writer to its stdin.
func runPy(t *testing.T, script string, args ...string) (<-chan pyLine, io.WriteCloser) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import stomp").Run(); err != nil {
		t.Fatalf("%s cannot import stomp (install python3-stomp; scripts/test.sh does): %v", py, err)
	}
	path := filepath.Join(t.TempDir(), "app.py")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{path}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan pyLine, 16)
	done := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l pyLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = pyLine{"kind": "raw", "line": sc.Text()}
			}
			lines <- l
		}
	}()
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("stomp.py stderr:\n%s", stderr.String())
		}
	})
	return lines, stdin
}

// next waits for the script's next line and fails unless it is of kind.
func next(t *testing.T, lines <-chan pyLine, kind string) pyLine {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("stomp.py exited while the test waited for %q", kind)
		}
		if l["kind"] != kind {
			t.Fatalf("stomp.py said %v, want %q", l, kind)
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatalf("stomp.py said nothing for 20 s; waiting for %q", kind)
		return nil
	}
}

// The door-lock scenario: MQTT locks publish devices/{id}/state at QoS 1, a
// Python monitoring app reads the telemetry from /topic/devices.> with
// stomp.py, audits with custom headers on a queue, and sends a command in a
// transaction that the lock only sees once committed.
func TestStompPyDoorLocks(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", `<transportConnectors>
  <transportConnector name="stomp" uri="stomp://127.0.0.1:0"/>
  <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
</transportConnectors>`))
	h, p := "127.0.0.1", b.port("mqtt")
	lock := startSub(t, "-h", h, "-p", p, "-t", "devices/lock-1/command", "-q", "1", "-i", "lock-1")
	lines, stdin := runPy(t, doorLockApp, h, b.port("stomp"))

	hdr := next(t, lines, "connected")["headers"].(map[string]any)
	if hdr["version"] != "1.2" || hdr["heart-beat"] != "500,500" {
		t.Fatalf("CONNECTED headers %v", hdr)
	}
	next(t, lines, "ready")
	battery := []byte{0x01, 0x00, 0x5a, 0xff}
	file := filepath.Join(t.TempDir(), "battery")
	if err := os.WriteFile(file, battery, 0o644); err != nil {
		t.Fatal(err)
	}
	mustPub(t, "-h", h, "-p", p, "-t", "devices/lock-1/state", "-q", "1", "-i", "lock-1-pub", "-m", `{"locked":true}`)
	mustPub(t, "-h", h, "-p", p, "-t", "devices/lock-2/state", "-q", "1", "-i", "lock-2", "-m", `{"locked":false}`)
	mustPub(t, "-h", h, "-p", p, "-t", "devices/lock-3/battery", "-q", "1", "-i", "lock-3", "-f", file)
	var got []string
	for _, m := range next(t, lines, "telemetry")["msgs"].([]any) {
		m := m.(map[string]any)
		body, _ := hex.DecodeString(m["body"].(string))
		got = append(got, m["dest"].(string)+" "+string(body)+" "+m["length"].(string)+" "+m["sub"].(string))
	}
	want := []string{
		`/topic/devices.lock-1.state {"locked":true} 15 telemetry`,
		`/topic/devices.lock-2.state {"locked":false} 16 telemetry`,
		"/topic/devices.lock-3.battery " + string(battery) + " 4 telemetry",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("telemetry %q, want %q", got, want)
	}

	audit := next(t, lines, "audit")
	ah := audit["headers"].(map[string]any)
	if audit["body"] != "unlock lock-1" || ah["x-lock-id"] != "lock-1" || ah["x-operator"] != "alice:ops" ||
		ah["destination"] != "/queue/lock.audit" || ah["subscription"] != "audit" || ah["ack"] == nil {
		t.Fatalf("audit message %v", audit)
	}

	next(t, lines, "tx-pending")
	// The lock must not see the command before COMMIT: a sentinel sent now
	// arrives first.
	mustPub(t, "-h", h, "-p", p, "-t", "devices/lock-1/command", "-q", "1", "-m", "sentinel")
	if got := lock.waitMessages(1); got[0] != "sentinel" {
		t.Fatalf("before COMMIT the lock got %q", got)
	}
	io.WriteString(stdin, "commit\n")
	next(t, lines, "committed")
	if got := lock.waitMessages(2); got[1] != `{"action":"lock"}` {
		t.Fatalf("after COMMIT the lock got %q", got)
	}

	idle := next(t, lines, "idle")
	if idle["timeout"] != false || idle["connected"] != true || idle["heartbeats"].(float64) < 2 {
		t.Fatalf("after 1.6 s idle with 500 ms heart-beats: %v", idle)
	}
	red := next(t, lines, "redelivered")
	if !slices.Equal(toStrings(red["bodies"]), []string{"retry-1", "retry-3"}) ||
		!slices.Equal(toStrings(red["flags"]), []string{"true", "true"}) || red["extra"].(float64) != 0 {
		t.Fatalf("after reconnecting: %v", red)
	}
	next(t, lines, "done")
	if len(b.find("no heart-beat from client")) > 0 {
		t.Fatal("the broker timed out stomp.py's heart-beats")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
