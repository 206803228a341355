// Test client: connect from the browser to the broker's WebSocket connector
// with MQTT 3.1.1 or STOMP 1.2, subscribe, publish and watch the traffic.
// The connection outlives page changes within the console.
'use strict';

(() => {
  const { h, clear, card, get, fail } = Hashi;
  const MAX_LOG = 500;
  const tc = {
    client: null, proto: 'mqtt', url: '', hint: '', status: 'disconnected', subs: [], log: [],
    form: { clientId: 'hashi-console-' + Math.random().toString(16).slice(2, 8), user: '', password: '', keepalive: 30, clean: true },
    draw: null, // redraws the page while it is shown
  };

  function note(kind, text, extra = {}) {
    tc.log.unshift(Object.assign({ at: new Date(), kind, text }, extra));
    tc.log.length = Math.min(tc.log.length, MAX_LOG);
    if (tc.draw) tc.draw();
  }

  function payloadText(bytes) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (e) {
      return '0x' + Array.from(bytes.slice(0, 256), (b) => b.toString(16).padStart(2, '0')).join('') + (bytes.length > 256 ? '…' : '');
    }
  }

  // defaultURL picks the broker's first WebSocket connector.
  async function defaultURL() {
    const b = await get('/api/v1/broker');
    const ws = (b.connectors || []).find((c) => c.protocol === 'ws');
    if (!ws) return { url: `ws://${location.hostname}:61614/`, missing: true };
    let host = ws.addr.replace(/:\d+$/, '');
    const port = ws.addr.slice(host.length + 1);
    if (host === '0.0.0.0' || host === '[::]' || host === '::' || host === '') host = location.hostname;
    return { url: `${ws.tls ? 'wss' : 'ws'}://${host}:${port}/`, missing: false };
  }

  async function connect(opts) {
    tc.status = 'connecting';
    note('event', `connecting to ${tc.url} (${tc.proto === 'mqtt' ? 'MQTT 3.1.1' : 'STOMP 1.2'})`);
    const c = tc.proto === 'mqtt'
      ? new MQTTClient(tc.url, { clientId: opts.clientId, username: opts.user, password: opts.password, keepalive: Number(opts.keepalive) || 0, clean: opts.clean })
      : new STOMPClient(tc.url, { login: opts.user, passcode: opts.password });
    tc.client = c;
    c.onmessage = (dest, body, meta) => {
      const m = tc.proto === 'mqtt' ? { qos: meta.qos, retain: meta.retain } : { id: meta['message-id'] };
      note('in', payloadText(body), Object.assign({ dest }, m));
    };
    c.onclose = (reason) => {
      if (tc.client !== c) return;
      tc.client = null;
      tc.status = 'disconnected';
      tc.subs = [];
      note('event', 'disconnected: ' + reason);
    };
    if (c.onerror !== undefined) c.onerror = (msg) => note('error', 'ERROR frame: ' + msg);
    try {
      await c.connect();
      tc.status = 'connected';
      note('event', tc.proto === 'mqtt' ? `connected as ${opts.clientId}${c.sessionPresent ? ' (session present)' : ''}` : `connected${c.server ? ' to ' + c.server : ''}`);
    } catch (e) {
      if (tc.client === c) { tc.client = null; tc.status = 'disconnected'; }
      note('error', e.message);
    }
  }

  Hashi.page('test', {
    title: 'Test client',
    async render(ctx) {
      const isMQTT = () => tc.proto === 'mqtt';
      const proto = h('select', { id: 'tc-proto', 'aria-label': 'Protocol' },
        h('option', { value: 'mqtt' }, 'MQTT 3.1.1 (sub-protocol mqtt)'), h('option', { value: 'stomp' }, 'STOMP 1.2 (sub-protocol v12.stomp)'));
      proto.value = tc.proto;
      const url = h('input', { id: 'tc-url', value: tc.url, 'aria-label': 'WebSocket URL' });
      const hint = h('p', { class: 'muted small' });
      const clientId = h('input', { id: 'tc-clientid', value: tc.form.clientId });
      const user = h('input', { id: 'tc-user', value: tc.form.user, autocomplete: 'off' });
      const password = h('input', { id: 'tc-password', type: 'password', value: tc.form.password, autocomplete: 'new-password' });
      const keepalive = h('input', { id: 'tc-keepalive', type: 'number', min: 0, value: tc.form.keepalive });
      const clean = h('input', { id: 'tc-clean', type: 'checkbox', checked: tc.form.clean });
      const connectBtn = h('button', { type: 'submit', class: 'primary', id: 'tc-connect' });
      const status = h('span', { class: 'badge', id: 'tc-status' });
      const mqttOnly = [h('label', null, h('span', { class: 'label' }, 'Client ID'), clientId),
        h('label', null, h('span', { class: 'label' }, 'Keep alive (s)'), keepalive),
        h('label', { class: 'check' }, clean, ' Clean session')];
      const connForm = h('form', { class: 'stack', id: 'tc-conn' },
        h('label', null, h('span', { class: 'label' }, 'Protocol'), proto),
        h('label', null, h('span', { class: 'label' }, 'URL'), url), hint,
        h('div', { class: 'form-grid two' }, mqttOnly[0], mqttOnly[1],
          h('label', null, h('span', { class: 'label' }, 'User name'), user),
          h('label', null, h('span', { class: 'label' }, 'Password'), password)),
        mqttOnly[2],
        h('div', { class: 'toolbar' }, connectBtn, status));

      const subTopic = h('input', { id: 'tc-sub-topic', required: true });
      const subQos = h('select', { id: 'tc-sub-qos', 'aria-label': 'QoS' }, [0, 1, 2].map((q) => h('option', { value: q }, 'QoS ' + q)));
      const subForm = h('form', { class: 'inline', id: 'tc-sub' }, subTopic, subQos, h('button', { type: 'submit' }, 'Subscribe'));
      const subList = h('ul', { class: 'subs', id: 'tc-subs' });

      const pubTopic = h('input', { id: 'tc-pub-topic', required: true });
      const pubQos = h('select', { id: 'tc-pub-qos', 'aria-label': 'QoS' }, [0, 1].map((q) => h('option', { value: q }, 'QoS ' + q)));
      const pubRetain = h('input', { id: 'tc-pub-retain', type: 'checkbox' });
      const pubBody = h('textarea', { id: 'tc-pub-body', rows: 4, placeholder: 'payload' }, '{"msg": "hello from the Hashi console"}');
      const pubForm = h('form', { class: 'stack', id: 'tc-pub' },
        h('div', { class: 'inline' }, pubTopic, pubQos, h('label', { class: 'check mqtt-only' }, pubRetain, ' Retain')),
        pubBody, h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary', id: 'tc-publish' }, 'Publish')));

      const logBox = h('div', { class: 'log', id: 'tc-log' });
      const count = h('span', { class: 'muted small' });
      const clearBtn = h('button', { type: 'button', class: 'small', onclick: () => { tc.log = []; draw(); } }, 'Clear');

      ctx.el.append(
        h('div', { class: 'page-head' }, h('h1', null, 'WebSocket test client'),
          h('p', { class: 'muted' }, 'Publish and subscribe from this browser over the broker\'s WebSocket connector.')),
        h('div', { class: 'columns' },
          h('div', null, card('Connection', connForm), card('Subscriptions', subForm, subList)),
          h('div', null, card('Publish', pubForm), card(null, h('div', { class: 'card-head' }, h('h2', null, 'Messages'), h('span', null, count, ' ', clearBtn)), logBox))));

      const saveForm = () => Object.assign(tc.form, {
        clientId: clientId.value, user: user.value, password: password.value, keepalive: keepalive.value, clean: clean.checked,
      });

      function draw() {
        if (!ctx.alive) { if (tc.draw === draw) tc.draw = null; return; }
        const on = tc.status !== 'disconnected';
        connectBtn.textContent = tc.status === 'connected' ? 'Disconnect' : tc.status === 'connecting' ? 'Connecting…' : 'Connect';
        connectBtn.disabled = tc.status === 'connecting';
        status.textContent = tc.status;
        status.className = 'badge ' + (tc.status === 'connected' ? 'st-up' : tc.status === 'connecting' ? 'st-wait' : 'st-down');
        [proto, url, clientId, user, password, keepalive, clean].forEach((el) => { el.disabled = on; });
        ctx.el.classList.toggle('stomp', !isMQTT());
        subTopic.placeholder = isMQTT() ? 'devices/+/state' : '/topic/devices.*.state';
        pubTopic.placeholder = isMQTT() ? 'devices/42/state' : '/topic/devices.42.state or /queue/orders';
        subQos.hidden = !isMQTT();
        pubQos.hidden = !isMQTT();
        clear(subList, tc.subs.map((s) => h('li', null, h('code', null, s.dest), isMQTT() ? h('span', { class: 'muted small' }, ` QoS ${s.qos}`) : null,
          h('button', { type: 'button', class: 'link', onclick: () => unsubscribe(s) }, 'Unsubscribe'))));
        if (!tc.subs.length) subList.appendChild(h('li', { class: 'muted' }, 'No subscriptions.'));
        count.textContent = `${tc.log.filter((m) => m.kind === 'in').length} received`;
        clear(logBox, tc.log.map((m) => h('div', { class: 'msg ' + m.kind },
          h('span', { class: 'at' }, m.at.toLocaleTimeString('sv-SE')),
          h('span', { class: 'dir' }, { in: '⬇', out: '⬆', event: '•', error: '!' }[m.kind]),
          m.dest ? h('code', { class: 'dest' }, m.dest) : null,
          m.qos !== undefined ? h('span', { class: 'tag' }, 'QoS ' + m.qos) : null,
          m.retain ? h('span', { class: 'tag' }, 'retained') : null,
          h('span', { class: 'text' }, m.text))));
      }
      tc.draw = draw;

      proto.addEventListener('change', () => { tc.proto = proto.value; draw(); });
      url.addEventListener('change', () => { tc.url = url.value.trim(); });
      connForm.addEventListener('submit', (e) => {
        e.preventDefault();
        if (tc.client) { tc.client.disconnect(); return; }
        tc.url = url.value.trim();
        saveForm();
        connect(tc.form);
      });
      subForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        const dest = subTopic.value.trim();
        const qos = Number(subQos.value);
        if (!tc.client || tc.status !== 'connected') { note('error', 'connect first'); return; }
        try {
          if (isMQTT()) {
            const granted = await tc.client.subscribe(dest, qos);
            tc.subs.push({ dest, qos: granted });
            note('event', `subscribed to ${dest} (granted QoS ${granted})`);
          } else {
            await tc.client.subscribe(dest);
            tc.subs.push({ dest });
            note('event', `subscribed to ${dest}`);
          }
        } catch (ex) { note('error', ex.message); }
      });
      async function unsubscribe(s) {
        try {
          await tc.client.unsubscribe(s.dest);
          tc.subs = tc.subs.filter((x) => x !== s);
          note('event', 'unsubscribed from ' + s.dest);
        } catch (ex) { note('error', ex.message); }
      }
      pubForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (!tc.client || tc.status !== 'connected') { note('error', 'connect first'); return; }
        const dest = pubTopic.value.trim();
        const qos = Number(pubQos.value);
        try {
          if (isMQTT()) await tc.client.publish(dest, pubBody.value, qos, pubRetain.checked);
          else await tc.client.send(dest, pubBody.value);
          note('out', pubBody.value, isMQTT() ? { dest, qos, retain: pubRetain.checked } : { dest });
        } catch (ex) { note('error', ex.message); }
      });

      if (!tc.url) {
        try {
          const d = await defaultURL();
          tc.url = d.url;
          url.value = d.url;
          tc.hint = d.missing
            ? 'This broker has no WebSocket connector. Add one on the Configuration page, e.g. <transportConnector name="ws" uri="ws://127.0.0.1:61614"/>.'
            : 'From the broker\'s ws:// connector; edit it to reach another broker.';
        } catch (e) { fail(e); }
      }
      hint.textContent = tc.hint || '';
      draw();
    },
  });
})();
