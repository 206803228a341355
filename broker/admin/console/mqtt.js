// A minimal MQTT 3.1.1 client over WebSocket (sub-protocol "mqtt", binary
// frames) for the test client: CONNECT, SUBSCRIBE, UNSUBSCRIBE, PUBLISH at
// QoS 0 and 1 both ways (QoS 2 deliveries are completed too), PUBACK,
// PINGREQ and DISCONNECT. A WebSocket message may carry several packets or
// part of one [MQTT-6.0.0-2], so incoming bytes are reassembled.
'use strict';

const MQTTClient = (() => {
  class MQTTClient {
    // opts: {clientId, username, password, keepalive (s), clean}
    constructor(url, opts = {}) {
      this.url = url;
      this.opts = Object.assign({ clientId: '', keepalive: 30, clean: true }, opts);
      this.nextId = 1;
      this.pending = new Map(); // packet id -> {resolve, reject}
      this.buf = new Uint8Array(0);
      this.onmessage = () => {};
      this.onclose = () => {};
    }

    // connect resolves once the broker accepted the CONNECT.
    connect() {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(this.url, ['mqtt']);
        ws.binaryType = 'arraybuffer';
        this.ws = ws;
        this.connack = { resolve, reject };
        ws.onopen = () => this.send(MQTTClient.connectPacket(this.opts));
        ws.onmessage = (e) => this.receive(new Uint8Array(e.data instanceof ArrayBuffer ? e.data : new TextEncoder().encode(e.data)));
        ws.onerror = () => {};
        ws.onclose = (e) => this.closed(e.reason || (e.code === 1000 ? 'closed' : `connection lost (code ${e.code})`));
      });
    }

    subscribe(filter, qos = 0) {
      const id = this.id();
      const body = [...u16(id), ...str(filter), qos & 3];
      return this.request(id, packet(0x82, body)).then((codes) => {
        if (codes[0] === 0x80) throw new Error(`subscription to ${filter} refused`);
        return codes[0];
      });
    }

    unsubscribe(filter) {
      const id = this.id();
      return this.request(id, packet(0xa2, [...u16(id), ...str(filter)]));
    }

    // publish resolves when the broker has the message: at once for QoS 0,
    // on PUBACK for QoS 1.
    publish(topic, payload, qos = 0, retain = false) {
      const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
      const flags = ((qos & 3) << 1) | (retain ? 1 : 0);
      if (qos === 0) {
        this.send(packet(0x30 | flags, [...str(topic), ...data]));
        return Promise.resolve();
      }
      const id = this.id();
      return this.request(id, packet(0x30 | flags, [...str(topic), ...u16(id), ...data]));
    }

    disconnect() {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.send(new Uint8Array([0xe0, 0]));
      this.stopPing();
      if (this.ws) this.ws.close(1000);
    }

    get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN && !this.connack; }

    // ---- internals --------------------------------------------------------

    id() {
      const id = this.nextId;
      this.nextId = (this.nextId % 65535) + 1;
      return id;
    }

    request(id, bytes) {
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.send(bytes);
      });
    }

    send(bytes) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new Error('not connected');
      this.ws.send(bytes);
      this.lastSent = Date.now();
    }

    receive(chunk) {
      const b = new Uint8Array(this.buf.length + chunk.length);
      b.set(this.buf);
      b.set(chunk, this.buf.length);
      let off = 0;
      for (;;) {
        if (b.length - off < 2) break;
        let len = 0, mul = 1, i = off + 1;
        for (;;) {
          if (i >= b.length) { len = -1; break; }
          const d = b[i++];
          len += (d & 127) * mul;
          mul *= 128;
          if (!(d & 128)) break;
          if (mul > 128 * 128 * 128) { this.ws.close(1002, 'bad remaining length'); return; }
        }
        if (len < 0 || b.length - i < len) break;
        this.handle(b[off], b.subarray(i, i + len));
        off = i + len;
      }
      this.buf = b.slice(off);
    }

    handle(first, body) {
      const type = first >> 4;
      const id = body.length >= 2 ? (body[0] << 8) | body[1] : 0;
      switch (type) {
        case 2: { // CONNACK
          const rc = body[1];
          const c = this.connack;
          this.connack = null;
          if (rc === 0) {
            this.sessionPresent = !!(body[0] & 1);
            this.startPing();
            c.resolve(this);
          } else {
            c.reject(new Error('connection refused: ' + (MQTTClient.connackReasons[rc] || 'code ' + rc)));
            this.ws.close(1000);
          }
          break;
        }
        case 3: { // PUBLISH
          const qos = (first >> 1) & 3;
          const tlen = (body[0] << 8) | body[1];
          const topic = new TextDecoder().decode(body.subarray(2, 2 + tlen));
          let p = 2 + tlen, pid = 0;
          if (qos > 0) { pid = (body[p] << 8) | body[p + 1]; p += 2; }
          const payload = body.slice(p);
          if (qos === 1) this.send(packet(0x40, u16(pid)));
          if (qos === 2) this.send(packet(0x50, u16(pid)));
          this.onmessage(topic, payload, { qos, retain: !!(first & 1), dup: !!(first & 8) });
          break;
        }
        case 4: // PUBACK
        case 11: // UNSUBACK
          this.settle(id, undefined);
          break;
        case 6: // PUBREL (of a QoS 2 delivery)
          this.send(packet(0x70, u16(id)));
          break;
        case 9: // SUBACK
          this.settle(id, Array.from(body.subarray(2)));
          break;
        case 13: // PINGRESP
          this.pingDue = 0;
          break;
        default:
          this.ws.close(1002, 'unexpected packet type ' + type);
      }
    }

    settle(id, value) {
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        p.resolve(value);
      }
    }

    startPing() {
      const ka = this.opts.keepalive * 1000;
      if (!ka) return;
      this.pingTimer = setInterval(() => {
        if (this.pingDue && Date.now() > this.pingDue) { this.ws.close(1000, 'no PINGRESP'); return; }
        if (Date.now() - (this.lastSent || 0) >= ka * 0.75) {
          this.send(new Uint8Array([0xc0, 0]));
          this.pingDue = Date.now() + ka;
        }
      }, Math.max(1000, ka / 4));
    }

    stopPing() { clearInterval(this.pingTimer); }

    closed(reason) {
      this.stopPing();
      if (this.connack) { this.connack.reject(new Error(reason)); this.connack = null; }
      for (const p of this.pending.values()) p.reject(new Error(reason));
      this.pending.clear();
      this.onclose(reason);
    }

    static connectPacket(o) {
      let flags = o.clean ? 0x02 : 0;
      const payload = [...str(o.clientId || '')];
      if (o.username) { flags |= 0x80; payload.push(...str(o.username)); }
      if (o.password) { flags |= 0x40; payload.push(...str(o.password)); }
      return packet(0x10, [...str('MQTT'), 4, flags, ...u16(o.keepalive), ...payload]);
    }
  }

  MQTTClient.connackReasons = {
    1: 'unacceptable protocol version', 2: 'client identifier rejected', 3: 'server unavailable',
    4: 'bad user name or password', 5: 'not authorized',
  };

  // packet frames body behind a fixed header with the remaining length.
  function packet(first, body) {
    const len = [];
    let n = body.length;
    do {
      let d = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) d |= 128;
      len.push(d);
    } while (n > 0);
    return new Uint8Array([first, ...len, ...body]);
  }

  function u16(n) { return [(n >> 8) & 255, n & 255]; }

  function str(s) {
    const b = new TextEncoder().encode(s);
    return [...u16(b.length), ...b];
  }

  return MQTTClient;
})();
