// Home: the broker, its connectors, memory and message rates.
'use strict';

Hashi.page('home', {
  title: 'Home',
  render(ctx) {
    const { h, clear, card, table, fmt, get } = Hashi;
    const head = h('div', { class: 'page-head' });
    const stats = h('div', { class: 'cards four' });
    const chart = h('div', { class: 'chart-box' });
    const rateNow = h('span', { class: 'legend' });
    const connectors = h('div');
    ctx.el.append(head, stats,
      card(null, h('div', { class: 'card-head' }, h('h2', null, 'Message rates (per second)'), rateNow), chart),
      card('Transport connectors', connectors));

    ctx.every(2000, async () => {
      const b = await get('/api/v1/broker');
      clear(head, h('h1', null, 'Broker ', h('span', { class: 'accent', id: 'broker-name' }, b.name)),
        h('p', { class: 'muted' }, `Hashi ${b.version} · up ${fmt.dur(b.uptimeSecs)} · started ${fmt.time(b.started)}`));
      const m = b.memory, c = b.counts, rates = b.rates || [];
      const last = rates.length ? rates[rates.length - 1] : { in: 0, out: 0 };
      const pct = m.memoryLimit ? Math.min(100, (m.queueBytes * 100) / m.memoryLimit) : 0;
      clear(stats,
        kv('Broker', [['Name', b.name], ['ID', h('code', null, b.id)], ['Version', b.version], ['Uptime', fmt.dur(b.uptimeSecs)]]),
        kv('Messages', [['In / s', fmt.num(last.in)], ['Out / s', fmt.num(last.out)], ['Published', fmt.num(c.published)], ['Delivered', fmt.num(c.delivered)],
          ['Dropped', fmt.num(c.dropped)], ['Denied', fmt.num(c.denied)]]),
        kv('Memory', [['Queued messages', fmt.bytes(m.queueBytes) + (m.memoryLimit ? ' of ' + fmt.bytes(m.memoryLimit) : '')],
          ['', h('div', { class: 'bar', title: pct.toFixed(1) + '% of the memory limit' }, h('span', { style: `width:${pct}%` }))],
          ['Go heap', fmt.bytes(m.heapAlloc)], ['From the OS', fmt.bytes(m.sys)], ['Goroutines', fmt.num(m.goroutines)]]),
        kv('Now', [['Connections', h('a', { href: '#/connections' }, fmt.num(c.connections))], ['Queues', h('a', { href: '#/queues' }, fmt.num(c.queues))],
          ['Bridges', h('a', { href: '#/network' }, fmt.num(c.bridges))], ['No subscriber', fmt.num(c.noSubscriber)]]));
      clear(rateNow, h('i', { class: 'sw in' }), `in ${fmt.num(last.in)}/s`, h('i', { class: 'sw out' }), `out ${fmt.num(last.out)}/s`);
      clear(chart, Charts.rates(rates, chart.clientWidth));
      clear(connectors, table([
        { label: 'Name', key: 'name' },
        { label: 'Protocol', value: (x) => x.protocol + (x.tls ? ' + TLS' : '') },
        { label: 'Address', value: (x) => h('code', null, x.addr) },
        { label: 'URI', value: (x) => h('code', { class: 'muted' }, x.uri) },
        { label: 'Connections', key: 'connections', num: true },
      ], b.connectors || [], { empty: 'No transport connectors.' }));
    });

    function kv(title, rows) {
      return card(title, h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
    }
  },
});
