// Subscribers (topic subscribers, queue consumers) and Connections.
'use strict';

(() => {
  const { h, clear, card, table, fmt, get, post, toast, fail, confirm, link } = Hashi;

  Hashi.page('subscribers', {
    title: 'Subscribers',
    render(ctx) {
      const dest = ctx.params.get('dest') || '';
      const queue = ctx.params.get('queue') || '';
      const durable = h('div'), nondurable = h('div'), consumers = h('div');
      const only = dest || queue;
      ctx.el.append(
        h('div', { class: 'page-head' }, h('h1', null, 'Subscribers'),
          only ? h('p', null, 'Only ', h('b', null, only), ' · ', h('a', { href: '#/subscribers' }, 'show all')) : null),
        card('Durable Topic Subscribers', h('p', { class: 'muted small' }, 'MQTT sessions with clean session off and QoS 1 or 2: the broker keeps their messages while they are away.'), durable),
        card('Non-Durable Topic Subscribers', nondurable),
        card('Queue Consumers', consumers));
      const subCols = [
        { label: 'Client ID', value: (x) => x.clientId || h('span', { class: 'muted' }, '—') },
        { label: 'Connection ID', value: (x) => x.connectionId ? h('a', { href: '#/connections' }, String(x.connectionId)) : '' },
        { label: 'Destination', value: (x) => h('code', null, x.destination) },
        { label: 'Filter', value: (x) => (x.filter && x.filter !== x.destination ? h('code', null, x.filter) : '') },
        { label: 'QoS', key: 'qos', num: true },
        { label: 'Shared', value: (x) => x.shareGroup || '' },
        { label: 'Network', value: (x) => (x.network ? 'bridge' : '') },
        { label: 'Delivered', key: 'delivered', num: true },
        { label: 'Dropped', key: 'dropped', num: true },
      ];
      ctx.every(3000, async () => {
        const r = await get('/api/v1/subscribers');
        const topicName = (x) => String(x.destination).replace(/^topic:\/\//, '');
        const subs = (r.topicSubscribers || []).filter((x) => !queue && (!dest || topicName(x) === dest || matches(topicName(x), dest)));
        clear(durable, table(subCols, subs.filter((x) => x.durable), { empty: 'No durable subscribers.' }));
        clear(nondurable, table(subCols, subs.filter((x) => !x.durable), { empty: 'No non-durable subscribers.' }));
        const cons = (r.queueConsumers || []).filter((x) => !dest && (!queue || x.queue === queue));
        clear(consumers, table([
          { label: 'Queue', value: (x) => h('a', { href: link('queues', ['browse'], { name: x.queue }) }, x.queue) },
          { label: 'Consumer ID', value: (x) => h('code', null, x.id) },
          { label: 'Client ID', value: (x) => x.clientId || '' },
          { label: 'Connection ID', value: (x) => (x.connectionId ? String(x.connectionId) : '') },
          { label: 'Network', value: (x) => (x.network ? 'bridge' : '') },
          { label: 'Prefetch', key: 'prefetch', num: true },
          { label: 'In Flight', key: 'inflight', num: true },
          { label: 'Priority', key: 'priority', num: true },
        ], cons, { empty: 'No queue consumers.' }));
      });
    },
  });

  // matches reports whether the subscription pattern p (ActiveMQ wildcards
  // * and >) covers the topic name t.
  function matches(p, t) {
    const ps = p.split('.'), ts = t.split('.');
    for (let i = 0; i < ps.length; i++) {
      if (ps[i] === '>') return true;
      if (i >= ts.length || (ps[i] !== '*' && ps[i] !== ts[i])) return false;
    }
    return ps.length === ts.length;
  }

  Hashi.page('connections', {
    title: 'Connections',
    render(ctx) {
      const box = h('div');
      ctx.el.append(h('div', { class: 'page-head' }, h('h1', null, 'Connections')), box);
      const refresh = async () => {
        const r = await get('/api/v1/connections');
        const by = {};
        for (const c of r.connectors || []) by[c.name] = { connector: c, conns: [] };
        for (const c of r.connections || []) (by[c.connector] = by[c.connector] || { connector: { name: c.connector }, conns: [] }).conns.push(c);
        const names = Object.keys(by).sort();
        clear(box, names.map((n) => {
          const g = by[n];
          const title = h('span', null, 'Connector ', h('b', null, n || '(none)'),
            g.connector.addr ? h('span', { class: 'muted small' }, ` ${g.connector.protocol}${g.connector.tls ? '+TLS' : ''} on ${g.connector.addr}`) : null);
          return card(title, table([
            { label: 'ID', key: 'id', num: true, width: '5em' },
            { label: 'Client ID', value: (c) => c.clientId || h('span', { class: 'muted' }, '—') },
            { label: 'User', value: (c) => c.user || h('span', { class: 'muted' }, 'anonymous') },
            { label: 'Protocol', key: 'protocol', width: '7em' },
            { label: 'Remote Address', value: (c) => h('code', null, c.remote) },
            { label: 'Connected', value: (c) => h('span', { title: fmt.time(c.since) }, fmt.ago(c.since)) },
            { label: '', cls: 'ops', width: '6em', value: (c) => h('button', { type: 'button', class: 'small danger', onclick: () => close(c) }, 'Close') },
          ], g.conns.sort((a, b) => a.id - b.id), { empty: 'No connections.', cls: 'fixed', rowAttrs: (c) => ({ dataset: { conn: c.id, client: c.clientId } }) }));
        }));
      };
      async function close(c) {
        if (!(await confirm(`Close connection ${c.id} (${c.clientId || c.remote})?`, 'Close connection'))) return;
        try {
          await post(`/api/v1/connections/${c.id}/close`);
          toast(`Connection ${c.id} closed`);
          await refresh();
        } catch (e) { fail(e); }
      }
      ctx.every(3000, refresh);
    },
  });
})();
