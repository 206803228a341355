// Topics and Queues, with queue browsing, purge, delete and create.
'use strict';

(() => {
  const { h, clear, card, table, fmt, get, post, del, toast, fail, confirm, link } = Hashi;
  const q = (name) => '/api/v1/queues/' + encodeURIComponent(name);

  // filterBox is a text input that narrows a list by name.
  function filterBox(onchange, placeholder) {
    const input = h('input', { type: 'search', placeholder, class: 'filter', 'aria-label': placeholder });
    input.addEventListener('input', () => onchange(input.value.trim().toLowerCase()));
    return input;
  }

  Hashi.page('topics', {
    title: 'Topics',
    render(ctx) {
      let filter = '';
      let last = [];
      const list = h('div');
      const draw = () => clear(list, table([
        { label: 'Name', value: (t) => h('span', { title: 'MQTT: ' + mqttName(t.name) }, t.name) },
        { label: 'Number Of Consumers', key: 'subscribers', num: true },
        { label: 'Messages Enqueued', key: 'enqueued', num: true },
        { label: 'Messages Dequeued', key: 'dequeued', num: true },
        { label: 'Retained', value: (t) => t.retained ? 'yes' : '' },
        { label: 'Last message', value: (t) => fmt.ago(t.lastPublish * 1000) },
        { label: 'Operations', cls: 'ops', value: (t) => [
          h('a', { href: link('send', [], { dest: 'topic://' + t.name }) }, 'Send To'),
          h('a', { href: link('subscribers', [], { dest: t.name }) }, 'Active Subscribers')] },
      ], last.filter((t) => t.name.toLowerCase().includes(filter)), { empty: 'No topic saw a message in the last hour.' }));
      ctx.el.append(
        h('div', { class: 'page-head' }, h('h1', null, 'Topics'),
          h('a', { class: 'button', href: link('send', [], { type: 'topic' }) }, 'Send to a topic')),
        card(null, h('div', { class: 'toolbar' }, filterBox((v) => { filter = v; draw(); }, 'Filter topics'),
          h('span', { class: 'muted small' }, 'Topics that carried a message in the last hour or hold a retained message. ',
            'Names are ActiveMQ style: the MQTT topic a/b is a.b here.')), list));
      ctx.every(3000, async () => {
        last = (await get('/api/v1/topics')).topics || [];
        draw();
      });
    },
  });

  Hashi.page('queues', {
    title: 'Queues',
    render(ctx) {
      if (ctx.path[0] === 'browse') return browse(ctx, ctx.params.get('name') || '');
      let filter = '';
      let last = [];
      const list = h('div');
      const refresh = async () => { last = (await get('/api/v1/queues')).queues || []; draw(); };
      const draw = () => clear(list, table([
        { label: 'Name', value: (x) => h('a', { href: link('queues', ['browse'], { name: qname(x) }) }, qname(x)) },
        { label: 'Number Of Pending Messages', key: 'pending', num: true },
        { label: 'Number Of Consumers', key: 'consumers', num: true },
        { label: 'Messages Enqueued', key: 'enqueued', num: true },
        { label: 'Messages Dequeued', key: 'dequeued', num: true },
        { label: 'In Flight', key: 'inflight', num: true },
        { label: 'Memory', value: (x) => fmt.bytes(x.bytes), num: true },
        { label: 'Operations', cls: 'ops', value: (x) => queueOps(qname(x), refresh) },
      ], last.filter((x) => qname(x).toLowerCase().includes(filter)), {
        empty: 'No queues.', rowAttrs: (x) => ({ dataset: { queue: qname(x) } }),
      }));
      const name = h('input', { name: 'queue', placeholder: 'queue name, e.g. orders.eu', required: true, 'aria-label': 'Queue name' });
      const form = h('form', { class: 'inline' }, name, h('button', { type: 'submit', class: 'primary' }, 'Create'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await post('/api/v1/queues', { name: name.value.trim() });
          toast('Queue ' + name.value.trim() + ' created');
          name.value = '';
          await refresh();
        } catch (ex) { fail(ex); }
      });
      ctx.el.append(
        h('div', { class: 'page-head' }, h('h1', null, 'Queues'), h('div', { class: 'tools' }, h('span', { class: 'muted' }, 'Create a queue'), form)),
        card(null, h('div', { class: 'toolbar' }, filterBox((v) => { filter = v; draw(); }, 'Filter queues')), list));
      ctx.every(3000, refresh);
    },
  });

  function qname(x) { return String(x.destination).replace(/^queue:\/\//, ''); }
  function mqttName(n) { return n.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')); }

  // queueOps are the buttons of one queue; after is called when one acted.
  function queueOps(name, after, browsing) {
    return [
      browsing ? null : h('a', { href: link('queues', ['browse'], { name }) }, 'Browse'),
      h('a', { href: link('subscribers', [], { queue: name }) }, 'Active Consumers'),
      h('a', { href: link('send', [], { dest: 'queue://' + name }) }, 'Send To'),
      h('button', { type: 'button', class: 'link', onclick: () => purge(name, after) }, 'Purge'),
      h('button', { type: 'button', class: 'link danger', onclick: () => remove(name, after) }, 'Delete'),
    ];
  }

  async function purge(name, after) {
    if (!(await confirm(`Purge queue ${name}? Every waiting message is dropped.`, 'Purge'))) return;
    try {
      const r = await post(q(name) + '/purge');
      toast(`Purged ${fmt.num(r.purged)} messages from ${name}`);
      await after();
    } catch (e) { fail(e); }
  }

  async function remove(name, after) {
    if (!(await confirm(`Delete queue ${name} and its messages?`, 'Delete'))) return;
    try {
      await del(q(name));
      toast('Queue ' + name + ' deleted');
      await after(true);
    } catch (e) { fail(e); }
  }

  // browse shows a queue's messages without consuming them.
  function browse(ctx, name) {
    const stats = h('div', { class: 'cards five' });
    const list = h('div');
    const limit = h('select', { 'aria-label': 'How many messages' }, [100, 1000, 10000].map((n) => h('option', { value: n }, 'first ' + fmt.num(n))));
    const refresh = async (deleted) => {
      if (deleted === true) { location.hash = '#/queues'; return; }
      const [st, ms] = await Promise.all([get(q(name)), get(q(name) + '/messages?limit=' + limit.value)]);
      clear(stats,
        stat('Pending', st.pending), stat('In flight', st.inflight), stat('Consumers', st.consumers),
        stat('Enqueued', st.enqueued), stat('Dequeued', st.dequeued));
      clear(list, messages(ms.messages || []));
    };
    limit.addEventListener('change', () => refresh().catch(fail));
    ctx.el.append(
      h('div', { class: 'page-head' },
        h('h1', null, h('a', { href: '#/queues', class: 'muted' }, 'Queues'), ' / ', name),
        h('div', { class: 'tools ops' }, limit, h('button', { type: 'button', onclick: () => refresh().catch(fail) }, 'Refresh'), queueOps(name, refresh, true))),
      stats, card('Messages', list));
    refresh().catch(fail);
  }

  function stat(label, v) {
    return h('section', { class: 'card stat' }, h('div', { class: 'stat-value' }, fmt.num(v)), h('div', { class: 'muted' }, label));
  }

  function messages(ms) {
    const rows = [];
    const t = table([
      { label: 'Message ID', value: (m) => h('code', null, m.id) },
      { label: 'Timestamp', value: (m) => fmt.time(m.timestamp) },
      { label: 'Priority', key: 'priority', num: true },
      { label: 'Persistent', value: (m) => fmt.yes(m.persistent) },
      { label: 'Expires', value: (m) => (m.expires ? fmt.time(m.expires) : 'never') },
      { label: 'Deliveries', key: 'deliveries', num: true },
      { label: 'Size', value: (m) => fmt.bytes(m.size), num: true },
      { label: 'Body', value: (m) => h('span', { class: 'body-preview' }, preview(m.body)) },
    ], ms, { empty: 'The queue holds no waiting messages.', cls: 'clickable', rowAttrs: (m) => { rows.push(m); return { title: 'Show the whole message' }; } });
    // A click on a row opens the message below it.
    t.tBodies[0].addEventListener('click', (e) => {
      const tr = e.target.closest('tr');
      if (!tr || tr.classList.contains('detail') || tr.classList.contains('empty')) return;
      const next = tr.nextElementSibling;
      if (next && next.classList.contains('detail')) { next.remove(); return; }
      const m = rows[[...t.tBodies[0].rows].filter((r) => !r.classList.contains('detail')).indexOf(tr)];
      const headers = Object.entries(m.headers || {});
      tr.after(h('tr', { class: 'detail' }, h('td', { colspan: 8 },
        headers.length ? h('dl', { class: 'kv compact' }, headers.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])) : null,
        h('pre', { class: 'body' }, m.body + (m.size > m.body.length ? `\n… (${fmt.bytes(m.size)} in all)` : '')))));
    });
    return t;
  }

  function preview(body) {
    const one = body.replace(/\s+/g, ' ');
    return one.length > 90 ? one.slice(0, 90) + '…' : one;
  }
})();
