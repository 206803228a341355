// A minimal STOMP 1.2 client over WebSocket (sub-protocol "v12.stomp",
// text frames) for the test client: CONNECT, SUBSCRIBE, UNSUBSCRIBE, SEND
// with a receipt, MESSAGE, ERROR, heart-beats and DISCONNECT.
'use strict';

const STOMPClient = (() => {
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  class STOMPClient {
    // opts: {login, passcode, host, heartbeat (ms)}
    constructor(url, opts = {}) {
      this.url = url;
      this.opts = Object.assign({ heartbeat: 10000 }, opts);
      this.subs = new Map(); // destination -> subscription id
      this.receipts = new Map(); // receipt id -> {resolve, reject}
      this.nextId = 1;
      this.buf = new Uint8Array(0);
      this.onmessage = () => {};
      this.onerror = () => {};
      this.onclose = () => {};
    }

    connect() {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(this.url, ['v12.stomp']);
        ws.binaryType = 'arraybuffer';
        this.ws = ws;
        this.connecting = { resolve, reject };
        ws.onopen = () => {
          const h = {
            'accept-version': '1.2', host: this.opts.host || new URL(this.url).hostname,
            'heart-beat': `${this.opts.heartbeat},${this.opts.heartbeat}`,
          };
          if (this.opts.login) h.login = this.opts.login;
          if (this.opts.passcode) h.passcode = this.opts.passcode;
          this.frame('CONNECT', h, '', true);
        };
        ws.onmessage = (e) => this.receive(typeof e.data === 'string' ? enc.encode(e.data) : new Uint8Array(e.data));
        ws.onerror = () => {};
        ws.onclose = (e) => this.closed(this.errorText || e.reason || (e.code === 1000 ? 'closed' : `connection lost (code ${e.code})`));
      });
    }

    subscribe(destination) {
      const id = 'sub-' + this.nextId++;
      this.subs.set(destination, id);
      return this.withReceipt('SUBSCRIBE', { id, destination, ack: 'auto' });
    }

    unsubscribe(destination) {
      const id = this.subs.get(destination);
      this.subs.delete(destination);
      return this.withReceipt('UNSUBSCRIBE', { id });
    }

    // send resolves when the broker's RECEIPT arrives.
    send(destination, body, headers = {}) {
      return this.withReceipt('SEND', Object.assign({ destination, 'content-type': 'text/plain;charset=utf-8' }, headers), body);
    }

    disconnect() {
      clearInterval(this.beat);
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.frame('DISCONNECT', {});
      if (this.ws) this.ws.close(1000);
    }

    get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN && !this.connecting; }

    // ---- internals ------------------------------------------------------

    withReceipt(command, headers, body = '') {
      const receipt = 'r-' + this.nextId++;
      return new Promise((resolve, reject) => {
        this.receipts.set(receipt, { resolve, reject });
        this.frame(command, Object.assign({ receipt }, headers), body);
      });
    }

    // frame sends one frame; CONNECT headers are not escaped (STOMP 1.2).
    frame(command, headers, body = '', raw = false) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new Error('not connected');
      const b = enc.encode(body);
      let s = command + '\n';
      for (const [k, v] of Object.entries(headers)) s += (raw ? k : esc(k)) + ':' + (raw ? v : esc(String(v))) + '\n';
      if (b.length) s += 'content-length:' + b.length + '\n';
      this.ws.send(s + '\n' + body + '\0');
      this.lastSent = Date.now();
    }

    receive(chunk) {
      let b = new Uint8Array(this.buf.length + chunk.length);
      b.set(this.buf);
      b.set(chunk, this.buf.length);
      for (;;) {
        let i = 0;
        while (i < b.length && (b[i] === 10 || b[i] === 13)) i++; // heart-beats
        b = b.subarray(i);
        const end = headerEnd(b);
        if (!end) break;
        const lines = dec.decode(b.subarray(0, end.at)).replace(/\r/g, '').split('\n');
        const command = lines.shift();
        const headers = {};
        for (const l of lines) {
          const c = l.indexOf(':');
          if (c < 0) continue;
          const k = unesc(l.slice(0, c));
          if (!(k in headers)) headers[k] = command === 'CONNECTED' ? l.slice(c + 1) : unesc(l.slice(c + 1));
        }
        let bodyEnd;
        if (headers['content-length'] !== undefined) {
          bodyEnd = end.body + Number(headers['content-length']);
          if (b.length <= bodyEnd) break;
        } else {
          bodyEnd = b.indexOf(0, end.body);
          if (bodyEnd < 0) break;
        }
        this.handle(command, headers, b.slice(end.body, bodyEnd));
        b = b.subarray(bodyEnd + 1);
      }
      this.buf = b.slice();
    }

    handle(command, headers, body) {
      switch (command) {
        case 'CONNECTED': {
          const c = this.connecting;
          this.connecting = null;
          this.server = headers.server || '';
          this.startBeat(headers['heart-beat']);
          c.resolve(this);
          break;
        }
        case 'MESSAGE':
          this.onmessage(headers.destination, body, headers);
          break;
        case 'RECEIPT': {
          const r = this.receipts.get(headers['receipt-id']);
          if (r) { this.receipts.delete(headers['receipt-id']); r.resolve(); }
          break;
        }
        case 'ERROR': {
          const msg = headers.message || 'error';
          const detail = dec.decode(body).trim();
          this.errorText = msg + (detail && detail !== msg ? ': ' + detail : '');
          const r = headers['receipt-id'] && this.receipts.get(headers['receipt-id']);
          if (r) { this.receipts.delete(headers['receipt-id']); r.reject(new Error(this.errorText)); }
          this.onerror(this.errorText);
          break;
        }
      }
    }

    // startBeat sends a heart-beat when the client has been quiet as long
    // as both sides agreed on (the larger of ours and the server's wish).
    startBeat(hb) {
      const want = Number(String(hb || '0,0').split(',')[1]) || 0;
      if (!want || !this.opts.heartbeat) return;
      const every = Math.max(want, this.opts.heartbeat);
      this.beat = setInterval(() => {
        if (this.ws.readyState === WebSocket.OPEN && Date.now() - (this.lastSent || 0) >= every * 0.8) {
          this.ws.send('\n');
          this.lastSent = Date.now();
        }
      }, Math.max(500, every / 4));
    }

    closed(reason) {
      clearInterval(this.beat);
      if (this.connecting) { this.connecting.reject(new Error(reason)); this.connecting = null; }
      for (const r of this.receipts.values()) r.reject(new Error(reason));
      this.receipts.clear();
      this.onclose(reason);
    }
  }

  // headerEnd finds the blank line after the headers: {at, body}.
  function headerEnd(b) {
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== 10) continue;
      if (b[i + 1] === 10) return { at: i, body: i + 2 };
      if (b[i + 1] === 13 && b[i + 2] === 10) return { at: i, body: i + 3 };
    }
    return null;
  }

  function esc(s) { return s.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c'); }

  function unesc(s) {
    return s.replace(/\\(.)/g, (_, c) => ({ r: '\r', n: '\n', c: ':', '\\': '\\' })[c] || c);
  }

  return STOMPClient;
})();
