package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The web console in a real browser: Debian's chromium, headless, driven
// over the DevTools protocol. Three brokers: singapore, osaka bridged to
// singapore, and tokyo bridged to singapore, whose console the test uses.
//
// HASHI_SCREENSHOTS=1 writes the screenshots of the main pages to
// docs/img (the README shows them).

const (
	consoleAdmin, consoleAdminPass = "admin", "console-pass"
	consoleApp, consoleAppPass     = "app", "app-pass"
)

// consoleBrokerXML is a broker with a bridge listener, MQTT and WebSocket
// connectors on loopback port 0, plus children.
func consoleBrokerXML(name, children string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="` + name + `" dataDirectory="data">
` + children + `
  <transportConnectors>
    <transportConnector name="bridge" uri="tcp://127.0.0.1:0"/>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
    <transportConnector name="ws" uri="ws://127.0.0.1:0"/>
  </transportConnectors>
</broker>
`
}

const consoleUsersXML = `  <plugins>
    <simpleAuthenticationPlugin anonymousAccessAllowed="false">
      <users>
        <authenticationUser username="` + consoleAdmin + `" password="` + consoleAdminPass + `" groups="admins"/>
        <authenticationUser username="` + consoleApp + `" password="` + consoleAppPass + `" groups="users"/>
      </users>
    </simpleAuthenticationPlugin>
  </plugins>`

func consoleBridge(name string, to *proc, duplex bool) string {
	return `<networkConnector name="` + name + `" uri="static:(tcp://127.0.0.1:` + to.port("bridge") + `)" duplex="` + strconv.FormatBool(duplex) + `"/>`
}

// consoleAPI reads the admin API of p as the console's admin.
func consoleAPI(t *testing.T, p *proc, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.addr("admin")+path, nil)
	req.SetBasicAuth(consoleAdmin, consoleAdminPass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// consolePost sends a change to the admin API of p as the console's admin.
func consolePost(t *testing.T, p *proc, path string, body any) {
	t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+p.addr("admin")+path, bytes.NewReader(j))
	req.SetBasicAuth(consoleAdmin, consoleAdminPass)
	req.Header.Set("X-CSRF-Token", "e2e")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %s", path, res.Status)
	}
}

func consoleBridges(t *testing.T, p *proc) map[string]map[string]any {
	t.Helper()
	var out struct{ Bridges []map[string]any }
	consoleAPI(t, p, "/api/v1/bridges", &out)
	m := map[string]map[string]any{}
	for _, b := range out.Bridges {
		m[fmt.Sprint(b["name"])] = b
	}
	return m
}

// browser is one headless chromium tab on a broker's console.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu         sync.Mutex
	exceptions []string // uncaught exceptions and console.error calls
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := needCmd(t, "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx, base: base}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Exceptions and the console's own console.error calls (the
			// browser's "failed to load resource" entries have no Args: a
			// 401 before the login is expected).
			if m.IsException() || m.Type == chromedp.ConsoleError && len(m.Args) > 0 {
				b.mu.Lock()
				b.exceptions = append(b.exceptions, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.exceptions {
			t.Errorf("JavaScript error: %s", e)
		}
	})
	return b
}

// do runs actions with a deadline.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage: %s", what, err, b.text("#view"))
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript expression until it is true (an expression that
// throws, on a page still rendering, counts as false).
func (b *browser) wait(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	pred := `(() => { try { return !!(` + js + `); } catch (e) { return false; } })()`
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](pred, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v\npage: %s", what, err, b.text("#view"))
	}
}

// text is the visible text of the first element matching sel ("" if none).
func (b *browser) text(sel string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`) || {}).innerText || ""`))
	return s
}

// open shows a console page (the hash route; no reload).
func (b *browser) open(hash string) {
	b.t.Helper()
	eval[chromedp.Void](b, `location.hash = `+jsString(hash))
	page := strings.SplitN(strings.TrimPrefix(hash, "#/"), "/", 2)[0]
	page = strings.SplitN(page, "?", 2)[0]
	b.wait("page "+hash, `document.querySelector('#nav a.active') && document.querySelector('#nav a.active').dataset.page === `+jsString(page))
}

// open2 changes the hash without waiting for a page (logged out).
func (b *browser) open2(hash string) {
	b.t.Helper()
	eval[chromedp.Void](b, `location.hash = `+jsString(hash))
	time.Sleep(200 * time.Millisecond)
}

// setValue sets a form field as a user would and fires input and change.
func (b *browser) setValue(sel, v string) {
	b.t.Helper()
	eval[chromedp.Void](b, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.value = `+jsString(v)+`;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// confirm presses the primary button of the dialog on screen.
func (b *browser) confirm() {
	b.t.Helper()
	b.do("confirm dialog", chromedp.WaitVisible(chromedp.CSS(".modal .modal-buttons button.primary, .modal .modal-buttons button.danger")))
	b.click(".modal .modal-buttons button.primary, .modal .modal-buttons button.danger")
	b.wait("dialog closed", `!document.querySelector('.modal')`)
}

// screenshot writes docs/img/NAME.png when HASHI_SCREENSHOTS is set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("HASHI_SCREENSHOTS") == "" {
		return
	}
	eval[chromedp.Void](b, `document.getElementById('toasts').replaceChildren()`)
	time.Sleep(300 * time.Millisecond) // let the last refresh paint
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join("..", "docs", "img", name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s", path)
}

// consoleTraffic publishes door-lock states to tokyo at a varying rate,
// with subscribers on tokyo and singapore (so the bridge forwards), until
// the test ends: the screenshots then show a broker at work.
func consoleTraffic(t *testing.T, tk, sg *proc) {
	t.Helper()
	auth := []string{"-h", "127.0.0.1", "-u", consoleApp, "-P", consoleAppPass}
	startSub(t, append(auth, "-p", tk.port("mqtt"), "-i", "notifications", "-t", "devices/+/state")...)
	startSub(t, append(auth, "-p", tk.port("mqtt"), "-i", "audit", "-t", "devices/#", "-q", "1")...)
	startSub(t, "-h", "127.0.0.1", "-p", sg.port("mqtt"), "-i", "monitoring-sg", "-t", "devices/+/state")
	for _, q := range []struct {
		name, body string
		n          int
	}{
		{"audit.unlocks", `{"process_id":"p-77","action":"unlock","nonce_str":"u7u4p0n8","ts":1574744434}`, 126},
		{"notifications.email", `{"to":"owner@example.com","text":"Your door was unlocked"}`, 8},
		{"billing.invoices", `{"invoice":"2026-0042"}`, 0},
	} {
		consolePost(t, tk, "/api/v1/queues", map[string]string{"name": q.name})
		if q.n > 0 {
			consolePost(t, tk, "/api/v1/send", map[string]any{"destination": "queue://" + q.name, "body": q.body, "count": q.n, "persistent": true})
		}
	}
	cmd := exec.Command(needCmd(t, "mosquitto_pub"), append(auth, "-p", tk.port("mqtt"), "-i", "locks", "-t", "devices/42/state", "-q", "1", "-l")...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); in.Close(); cmd.Wait() })
	go func() {
		for i := 0; ; i++ {
			// 2 to 14 messages a second, in slow waves.
			n := 8 + int(6*math.Sin(float64(i)/9)) + i%3
			for j := 0; j < n; j++ {
				fmt.Fprintf(in, `{"action":"state","battery":%.1f,"lock_state":%d}`+"\n", 80-float64(i)/10, j%2)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
		}
	}()
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

func TestConsole(t *testing.T) {
	needCmd(t, "chromium")
	sg := startBroker(t, consoleBrokerXML("singapore", ""), "--admin", "127.0.0.1:0")
	osaka := startBroker(t, consoleBrokerXML("osaka",
		"  <networkConnectors>\n    "+consoleBridge("osaka_to_singapore", sg, true)+"\n  </networkConnectors>"), "--admin", "127.0.0.1:0")
	tk := startBroker(t, consoleBrokerXML("tokyo", consoleUsersXML+
		"\n  <networkConnectors>\n    "+consoleBridge("tokyo_to_singapore", sg, true)+"\n  </networkConnectors>"), "--admin", "127.0.0.1:0")
	waitFor(t, 15*time.Second, "tokyo's bridge to singapore", func() bool {
		return consoleBridges(t, tk)["tokyo_to_singapore"]["state"] == "up"
	})
	firstSince := consoleBridges(t, tk)["tokyo_to_singapore"]["since"]
	shots := os.Getenv("HASHI_SCREENSHOTS") != ""
	trafficFrom := time.Now()
	if shots {
		consoleTraffic(t, tk, sg)
	}

	b := newBrowser(t, "http://"+tk.addr("admin"))

	// Log in: a user outside the console groups is refused, an admin gets in.
	b.do("open the console", chromedp.Navigate(b.base+"/admin"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.do("log in as app", chromedp.SendKeys(chromedp.CSS(`#login-form input[name=user]`), consoleApp),
		chromedp.SendKeys(chromedp.CSS(`#login-form input[name=password]`), consoleAppPass))
	b.click("#login-form button")
	b.wait("the refusal", `document.querySelector('.login-error').innerText.includes('not in a console group')`)
	b.setValue(`#login-form input[name=user]`, consoleAdmin)
	b.setValue(`#login-form input[name=password]`, consoleAdminPass)
	b.click("#login-form button")
	b.wait("the home page", `document.getElementById('broker-name') && document.getElementById('broker-name').innerText === 'tokyo'`)
	if u := b.text("#user"); u != consoleAdmin {
		t.Errorf("header shows user %q", u)
	}
	b.wait("the connectors on the home page", `[...document.querySelectorAll('.page-home td code')].some(e => e.innerText === `+jsString(tk.addr("mqtt"))+`)`)

	t.Run("network page", func(t *testing.T) {
		b.open("#/network")
		b.wait("the bridge row", `document.querySelector('tr[data-bridge="tokyo_to_singapore"] .badge[data-state="up"]')`)
		b.wait("the picture", `document.querySelector('svg.network g.node.self[data-name="tokyo"]') &&
			document.querySelector('svg.network g.node[data-name="singapore"][data-hops="1"]') &&
			document.querySelector('svg.network g.node.far[data-name="osaka"][data-hops="2"]') &&
			document.querySelector('svg.network line.edge.st-up[data-from="tokyo"][data-to="singapore"]') &&
			document.querySelector('svg.network line.edge[data-bridge^="osaka_to_singapore"]')`)
		row := b.text(`tr[data-bridge="tokyo_to_singapore"]`)
		for _, want := range []string{"singapore", "127.0.0.1:" + sg.port("bridge"), "no", "up", "ms"} {
			if !strings.Contains(row, want) {
				t.Errorf("bridge row %q lacks %q", row, want)
			}
		}
		if got := eval[string](b, `document.querySelector('svg.network g.node.self text').textContent`); got != "tokyo" {
			t.Errorf("self node labelled %q", got)
		}
		if n := eval[int](b, `document.querySelectorAll('svg.network g.node').length`); n != 3 {
			t.Errorf("%d nodes in the picture", n)
		}
	})

	t.Run("apply a configuration that adds a bridge, then roll it back", func(t *testing.T) {
		b.open("#/config")
		b.wait("the editor", `document.getElementById('config-text').value.includes('tokyo_to_singapore')`)
		running := eval[string](b, `document.getElementById('config-text').value`)

		// A broken edit: every problem listed; a click moves the cursor there.
		broken := strings.Replace(running, `uri="mqtt://127.0.0.1:0"`, `uri="mqtt://127.0.0.1:0" colour="blue"`, 1)
		broken = strings.Replace(broken, `uri="ws://127.0.0.1:0"`, `uri="bogus://127.0.0.1:0"`, 1)
		b.setValue("#config-text", broken)
		b.click("#config-validate")
		b.wait("the problems", `document.querySelectorAll('#config-results li').length === 2`)
		bad := 1 + strings.Count(broken[:strings.Index(broken, "bogus://")], "\n")
		if got := eval[string](b, `document.querySelector('#config-results li.error').dataset.line`); got != strconv.Itoa(bad) {
			t.Errorf("error reported on line %s, want %d: %s", got, bad, b.text("#config-results"))
		}
		if txt := b.text("#config-results li.error"); !strings.Contains(txt, fmt.Sprintf("activemq.xml:%d:", bad)) || !strings.Contains(txt, "bogus") {
			t.Errorf("error text %q is not as hashi check prints it", txt)
		}
		b.click("#config-results li.error")
		b.wait("the cursor on the bad line", `document.getElementById('cursor-pos').innerText.startsWith('line `+strconv.Itoa(bad)+`,')`)
		if n := eval[int](b, `document.querySelectorAll('.gutter .error').length`); n != 1 {
			t.Errorf("%d error marks in the gutter", n)
		}

		// The real change: a bridge to osaka, diffed, then applied.
		next := strings.Replace(running, "</networkConnectors>", "  "+consoleBridge("tokyo_to_osaka", osaka, false)+"\n  </networkConnectors>", 1)
		b.setValue("#config-text", next)
		b.click("#config-validate")
		b.wait("valid", `document.querySelector('#config-results .result.ok')`)
		b.click("#config-diff")
		b.wait("the diff", `[...document.querySelectorAll('#config-results pre.diff span.add')].some(e => e.innerText.includes('tokyo_to_osaka'))`)
		eval[chromedp.Void](b, `(() => { const t = document.getElementById('config-text'); t.scrollTop = 0; t.dispatchEvent(new Event('scroll')); })()`)
		b.screenshot("config")
		b.do("comment", chromedp.SendKeys(chromedp.CSS("#config-comment"), "bridge to osaka"))
		b.click("#config-apply")
		b.confirm()
		b.wait("applied", `document.getElementById('apply-result') && document.getElementById('apply-result').innerText.includes('network connectors added: tokyo_to_osaka')`)
		b.wait("revision 2 listed", `document.querySelector('tr[data-revision="2"]') && document.querySelector('tr[data-revision="2"]').innerText.includes('bridge to osaka')`)
		if row := b.text(`tr[data-revision="2"]`); !strings.Contains(row, consoleAdmin) {
			t.Errorf("revision row %q lacks the user", row)
		}

		b.open("#/network")
		b.wait("the new bridge up", `document.querySelector('tr[data-bridge="tokyo_to_osaka"] .badge[data-state="up"]') &&
			document.querySelector('svg.network line.edge.st-up[data-from="tokyo"][data-to="osaka"]')`)
		// The first bridge stayed up through the change.
		if since := consoleBridges(t, tk)["tokyo_to_singapore"]["since"]; since != firstSince {
			t.Errorf("tokyo_to_singapore restarted: up since %v, was %v", since, firstSince)
		}
		if got := eval[string](b, `document.querySelector('tr[data-bridge="tokyo_to_singapore"] .since').dataset.since`); got != firstSince {
			t.Errorf("the page shows the first bridge up since %s, want %v", got, firstSince)
		}

		b.open("#/config")
		b.wait("the revisions", `document.querySelector('button[data-rollback="1"]')`)
		b.click(`button[data-rollback="1"]`)
		b.confirm()
		b.wait("rolled back", `document.querySelector('#config-results .result.ok') && document.querySelector('#config-results').innerText.includes('network connectors removed: tokyo_to_osaka')`)
		b.open("#/network")
		b.wait("the bridge to osaka gone", `!document.querySelector('tr[data-bridge="tokyo_to_osaka"]') && !document.querySelector('svg.network line.edge[data-from="tokyo"][data-to="osaka"]')`)
		if b := consoleBridges(t, tk); b["tokyo_to_singapore"]["since"] != firstSince || b["tokyo_to_osaka"] != nil {
			t.Errorf("bridges after the rollback: %v", b)
		}
	})

	t.Run("send page to an MQTT subscriber", func(t *testing.T) {
		sub := startSub(t, "-h", "127.0.0.1", "-p", tk.port("mqtt"), "-u", consoleApp, "-P", consoleAppPass,
			"-i", "lock-42", "-t", "devices/42/command", "-q", "1", "-v")
		b.open("#/send?dest=topic://devices.42.command")
		if got := eval[string](b, `document.getElementById('send-type').value + ' ' + document.getElementById('send-dest').value`); got != "topic devices.42.command" {
			t.Errorf("Send To filled in %q", got)
		}
		const cmd = `{"action":"unlock","nonce_str":"u7u4p0n8"}`
		b.setValue("#send-body", cmd)
		b.click("#send-submit")
		b.wait("sent", `document.getElementById('send-result').innerText.startsWith('Sent 1 message to topic://devices.42.command')`)
		if got := sub.waitMessages(1); got[0] != "devices/42/command "+cmd {
			t.Errorf("mosquitto_sub got %q", got)
		}
	})

	t.Run("queues page", func(t *testing.T) {
		b.open("#/queues")
		b.setValue(`input[name=queue]`, "orders.eu")
		b.click(`.page-queues form.inline button`)
		b.wait("the new queue", `document.querySelector('tr[data-queue="orders.eu"]')`)
		b.open("#/send?dest=queue://orders.eu")
		b.setValue("#send-count", "3")
		b.setValue("#send-headers", "region: eu-west")
		b.setValue("#send-body", `{"order":1234,"sku":"lock-v2"}`)
		b.click("#send-submit")
		b.wait("sent", `document.getElementById('send-result').innerText.startsWith('Sent 3 messages to queue://orders.eu')`)
		b.open("#/queues")
		b.wait("3 pending", `document.querySelector('tr[data-queue="orders.eu"] td:nth-child(2)').innerText === '3'`)
		b.screenshot("queues")
		b.click(`tr[data-queue="orders.eu"] td a`)
		b.wait("browsed messages", `document.querySelectorAll('.page-queues table.clickable tbody tr:not(.empty)').length === 3`)
		b.click(`.page-queues table.clickable tbody tr`)
		b.wait("message details", `document.querySelector('tr.detail') && document.querySelector('tr.detail').innerText.includes('eu-west')`)
		b.click(`.page-head .ops button.link:not(.danger)`) // Purge
		b.confirm()
		b.wait("purged", `document.querySelectorAll('.page-queues table.clickable tbody tr:not(.empty)').length === 0`)
		b.click(`.page-head .ops button.link.danger`) // Delete
		b.confirm()
		b.wait("back on the list without the queue", `location.hash === '#/queues' && document.querySelector('.page-queues table') && !document.querySelector('tr[data-queue="orders.eu"]')`)
	})

	t.Run("test client over WebSocket", func(t *testing.T) {
		b.open("#/test")
		wsURL := "ws://" + tk.addr("ws") + "/"
		b.wait("the ws connector's URL", `document.getElementById('tc-url').value === `+jsString(wsURL))
		b.setValue("#tc-user", consoleApp)
		b.setValue("#tc-password", consoleAppPass)
		b.click("#tc-connect")
		b.wait("MQTT connected", `document.getElementById('tc-status').innerText === 'connected'`)
		b.setValue("#tc-sub-topic", "devices/+/state")
		b.setValue("#tc-sub-qos", "1")
		b.click("#tc-sub button")
		b.wait("subscribed", `document.getElementById('tc-subs').innerText.includes('devices/+/state')`)
		// From the browser to the browser, and from mosquitto_pub to it.
		b.setValue("#tc-pub-topic", "devices/7/state")
		b.setValue("#tc-pub-qos", "1")
		b.setValue("#tc-pub-body", `{"battery":83.4,"lock_state":1}`)
		b.click("#tc-publish")
		mustPub(t, "-h", "127.0.0.1", "-p", tk.port("mqtt"), "-u", consoleApp, "-P", consoleAppPass, "-t", "devices/9/state", "-q", "1", "-m", `{"battery":12.5}`)
		b.wait("both messages", `[...document.querySelectorAll('#tc-log .msg.in')].map(e => e.innerText).join('\n').includes('devices/7/state') &&
			[...document.querySelectorAll('#tc-log .msg.in')].map(e => e.innerText).join('\n').includes('{"battery":12.5}')`)
		b.screenshot("testclient")

		// The Connections page lists the browser's connection; Close ends it.
		id := eval[string](b, `document.getElementById('tc-clientid').value`)
		row := `tr[data-client="` + id + `"]`
		b.open("#/connections")
		b.wait("the browser's connection", `document.querySelector('`+row+`')`)
		if txt := b.text(row); !strings.Contains(txt, consoleApp) || !strings.Contains(txt, "mqtt") {
			t.Errorf("connection row %q", txt)
		}
		if !strings.Contains(b.text(".page-connections"), "Connector ws") {
			t.Error("no ws connector section")
		}
		b.click(row + " button")
		b.confirm()
		b.wait("the connection gone", `!document.querySelector('`+row+`')`)
		b.open("#/test")
		b.wait("the client told", `document.getElementById('tc-status').innerText === 'disconnected' &&
			document.getElementById('tc-log').innerText.includes('disconnected')`)

		// STOMP on the same connector.
		b.setValue("#tc-proto", "stomp")
		b.click("#tc-connect")
		b.wait("STOMP connected", `document.getElementById('tc-status').innerText === 'connected'`)
		b.setValue("#tc-sub-topic", "/topic/devices.*.state")
		b.click("#tc-sub button")
		b.wait("subscribed", `document.getElementById('tc-subs').innerText.includes('/topic/devices.*.state')`)
		b.setValue("#tc-pub-topic", "/topic/devices.8.state")
		b.setValue("#tc-pub-body", `{"via":"stomp"}`)
		b.click("#tc-publish")
		b.wait("the STOMP message", `[...document.querySelectorAll('#tc-log .msg.in')].some(e => e.innerText.includes('/topic/devices.8.state') && e.innerText.includes('{"via":"stomp"}'))`)
		b.click("#tc-connect")
		b.wait("disconnected", `document.getElementById('tc-status').innerText === 'disconnected'`)
	})

	t.Run("other pages", func(t *testing.T) {
		b.open("#/topics")
		b.wait("the topics", `document.querySelector('.page-topics table') && document.querySelector('.page-topics table').innerText.includes('devices.42.command')`)
		b.open("#/subscribers")
		b.wait("the subscribers page", `document.querySelectorAll('.page-subscribers table').length === 3`)
		b.open("#/connections")
		b.wait("the connectors", `document.querySelector('.page-connections').innerText.includes('Connector mqtt') &&
			document.querySelector('.page-connections').innerText.includes('Connector ws')`)
		b.open("#/home")
		b.wait("the rate chart", `document.querySelectorAll('svg.rates polyline').length === 2`)
		if shots {
			// A minute of traffic in the chart, bridges at work.
			time.Sleep(time.Until(trafficFrom.Add(50 * time.Second)))
			b.screenshot("home")
			b.open("#/network")
			b.wait("the picture", `document.querySelector('svg.network g.node.far[data-name="osaka"]')`)
			b.screenshot("network")
		}
	})

	t.Run("log out", func(t *testing.T) {
		b.click("#logout")
		b.wait("the login form", `document.getElementById('login-form') && document.body.classList.contains('logged-out')`)
		b.open2("#/queues")
		if eval[bool](b, `!!document.querySelector('.page-queues')`) {
			t.Error("a page shows after logging out")
		}
	})
}
