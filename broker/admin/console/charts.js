// Inline SVG pictures: the message-rate chart and the network graph.
'use strict';

const Charts = (() => {
  const { s } = Hashi;

  // niceMax rounds v up to 1, 2 or 5 times a power of ten.
  function niceMax(v) {
    if (v <= 1) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // rates draws {t, in, out} samples (one per second): the last minute,
  // two or five, whichever the samples fill.
  function rates(samples, width) {
    const W = Math.max(360, Math.round(width || 720)), H = 200, L = 44, R = 10, T = 12, B = 26;
    const now = samples.length ? samples[samples.length - 1].t : Math.floor(Date.now() / 1000);
    const span = samples.length ? now - samples[0].t : 0;
    const window = span > 120 ? 300 : span > 60 ? 120 : 60;
    const step = window / 4 >= 60 ? 60 : window / 4;
    const t0 = now - window;
    const max = niceMax(Math.max(1, ...samples.map((x) => Math.max(x.in, x.out))));
    const x = (t) => L + ((t - t0) / window) * (W - L - R);
    const y = (v) => T + (1 - v / max) * (H - T - B);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart rates', role: 'img', 'aria-label': `Messages per second, last ${window / 60} minutes` });
    for (const f of [0, 0.5, 1]) {
      svg.appendChild(s('line', { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: 'grid-line' }));
      svg.appendChild(s('text', { x: L - 6, y: y(max * f) + 4, class: 'axis', 'text-anchor': 'end' }, fmtRate(max * f)));
    }
    for (let ago = window; ago >= 0; ago -= step) {
      const label = ago === 0 ? 'now' : ago % 60 === 0 ? `−${ago / 60} min` : `−${ago} s`;
      svg.appendChild(s('text', { x: x(now - ago), y: H - 8, class: 'axis', 'text-anchor': ago === 0 ? 'end' : ago === window ? 'start' : 'middle' }, label));
    }
    const pts = (key) => samples.filter((p) => p.t >= t0).map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`);
    const inPts = pts('in');
    if (inPts.length > 1) {
      const first = inPts[0].split(',')[0], last = inPts[inPts.length - 1].split(',')[0];
      svg.appendChild(s('polygon', { points: `${first},${y(0)} ${inPts.join(' ')} ${last},${y(0)}`, class: 'area-in' }));
      svg.appendChild(s('polyline', { points: inPts.join(' '), class: 'line-in' }));
      svg.appendChild(s('polyline', { points: pts('out').join(' '), class: 'line-out' }));
    } else {
      svg.appendChild(s('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'collecting samples…'));
    }
    return svg;
  }

  function fmtRate(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(v % 1e6 ? 1 : 0) + 'M';
    if (v >= 1e3) return (v / 1e3).toFixed(v % 1e3 ? 1 : 0) + 'k';
    return String(Math.round(v * 10) / 10);
  }

  // stateClass maps a bridge state to its colour class.
  function stateClass(state) {
    switch (state) {
      case 'up': return 'st-up';
      case 'connecting': case 'backing off': return 'st-wait';
      default: return 'st-down';
    }
  }

  // network draws {nodes: [{name, self, hops}], edges: [{from, to, state,
  // duplex, rttMs, bridge}]}: this broker in the middle, its peers around
  // it and their peers further out, next to the peer they hang off.
  function network(topo, width) {
    const W = Math.max(560, Math.round(width || 860)), H = 380, cx = W / 2, cy = H / 2;
    const nodes = topo.nodes || [], edges = topo.edges || [];
    const pos = {};
    const self = nodes.find((n) => n.self) || nodes[0];
    if (self) pos[self.name] = { x: cx, y: cy };
    const ring1 = nodes.filter((n) => n !== self && n.hops <= 1);
    const ring2 = nodes.filter((n) => n !== self && n.hops > 1);
    const r1 = ring2.length ? { x: Math.min(230, W * 0.22), y: 100 } : { x: Math.min(300, W * 0.3), y: 125 };
    const r2 = { x: Math.min(470, W * 0.42), y: 160 };
    const angle = {};
    ring1.forEach((n, i) => {
      const a = ring1.length === 1 ? 0 : (i / ring1.length) * 2 * Math.PI - (ring1.length === 2 ? 0 : Math.PI / 2);
      angle[n.name] = a;
      pos[n.name] = { x: cx + r1.x * Math.cos(a), y: cy + r1.y * Math.sin(a) };
    });
    const used = {};
    ring2.forEach((n, i) => {
      // Put a two-hop broker beyond the peers it is linked to.
      let sx = 0, sy = 0, k = 0;
      for (const e of edges) {
        const other = e.from === n.name ? e.to : e.to === n.name ? e.from : null;
        if (other && angle[other] !== undefined) { sx += Math.cos(angle[other]); sy += Math.sin(angle[other]); k++; }
      }
      let a = k ? Math.atan2(sy, sx) : (i / ring2.length) * 2 * Math.PI + Math.PI / 4;
      const key = a.toFixed(2);
      const nth = used[key] = (used[key] || 0) + 1;
      if (nth > 1) a += (nth % 2 ? -1 : 1) * Math.ceil((nth - 1) / 2) * 0.45;
      angle[n.name] = a;
      pos[n.name] = { x: cx + r2.x * Math.cos(a), y: cy + r2.y * Math.sin(a) };
    });
    // Centre the drawing and keep everything inside the picture; the
    // picture is only as tall as the drawing needs.
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const n of nodes) {
      const p = pos[n.name], hw = boxWidth(n.name) / 2;
      x0 = Math.min(x0, p.x - hw); x1 = Math.max(x1, p.x + hw);
      y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
    }
    const PH = nodes.length ? Math.max(200, y1 - y0 + 120) : 200;
    const dx = nodes.length ? (W - (x1 - x0)) / 2 - x0 : 0, dy = nodes.length ? PH / 2 - (y0 + y1) / 2 : 0;
    for (const n of nodes) {
      const p = pos[n.name];
      const hw = boxWidth(n.name) / 2 + 4;
      p.x = Math.min(W - hw, Math.max(hw, p.x + dx));
      p.y = Math.min(PH - 30, Math.max(24, p.y + dy));
    }

    const svg = s('svg', { viewBox: `0 0 ${W} ${PH}`, class: 'chart network', role: 'img', 'aria-label': 'Network of brokers' });
    const defs = s('defs');
    for (const c of ['st-up', 'st-wait', 'st-down']) {
      defs.appendChild(s('marker', { id: 'arrow-' + c, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 13, markerHeight: 13, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse', class: c },
        s('path', { d: 'M0,0 L10,5 L0,10 z' })));
    }
    svg.appendChild(defs);

    const edgeLayer = s('g', { class: 'edges' });
    const labelLayer = s('g', { class: 'labels' });
    for (const e of edges) {
      const a = pos[e.from], b = pos[e.to];
      if (!a || !b) continue;
      const cls = stateClass(e.state);
      const p1 = clip(a, b, e.from), p2 = clip(b, a, e.to);
      const line = s('line', {
        x1: p1.x, y1: p1.y, x2: p2.x, y2: p2.y, class: 'edge ' + cls,
        'marker-end': `url(#arrow-${cls})`, 'marker-start': e.duplex ? `url(#arrow-${cls})` : null,
        dataset: { from: e.from, to: e.to, state: e.state, bridge: e.bridge || '' },
      }, s('title', null, `${e.bridge || 'bridge'}: ${e.from} ${e.duplex ? '⇄' : '→'} ${e.to} (${e.state})`));
      edgeLayer.appendChild(line);
      const mx = (p1.x + p2.x) / 2, my = (p1.y + p2.y) / 2;
      const label = e.state === 'up' ? fmtMs(e.rttMs) : e.state;
      labelLayer.appendChild(s('text', { x: mx, y: my - 6, class: 'edge-label ' + cls, 'text-anchor': 'middle' }, label));
    }
    svg.appendChild(edgeLayer);
    svg.appendChild(labelLayer);

    const nodeLayer = s('g', { class: 'nodes' });
    for (const n of nodes) {
      const p = pos[n.name];
      const w = boxWidth(n.name);
      const cls = 'node ' + (n.self ? 'self' : n.hops > 1 ? 'far' : 'peer');
      nodeLayer.appendChild(s('g', { class: cls, transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`, dataset: { name: n.name, hops: n.hops } },
        s('title', null, n.self ? `${n.name} (this broker)` : `${n.name} (${n.hops} hop${n.hops > 1 ? 's' : ''} away)`),
        s('rect', { x: -w / 2, y: -17, width: w, height: 34, rx: 8 }),
        s('text', { y: 5, 'text-anchor': 'middle' }, n.name),
        s('text', { y: 31, 'text-anchor': 'middle', class: 'node-caption' }, n.self ? 'this broker' : n.hops > 1 ? 'two hops' : 'peer')));
    }
    svg.appendChild(nodeLayer);
    if (!nodes.length || nodes.length === 1 && !edges.length) {
      svg.appendChild(s('text', { x: cx, y: PH - 30, class: 'axis', 'text-anchor': 'middle' }, 'No bridges: this broker has no network connectors and no peer connected to it.'));
    }
    return svg;

    // clip moves a line end from the centre of node `name` to its border.
    function clip(from, to, name) {
      const dx = to.x - from.x, dy = to.y - from.y;
      const hw = boxWidth(name) / 2 + 3, hh = 20;
      const t = Math.min(dx ? hw / Math.abs(dx) : Infinity, dy ? hh / Math.abs(dy) : Infinity, 0.5);
      return { x: from.x + dx * t, y: from.y + dy * t };
    }
  }

  function boxWidth(name) { return Math.max(80, name.length * 8 + 28); }

  function fmtMs(ms) {
    if (!ms) return '< 0.1 ms';
    if (ms < 10) return ms.toFixed(1) + ' ms';
    return Math.round(ms) + ' ms';
  }

  return { rates, network, stateClass, fmtMs };
})();
