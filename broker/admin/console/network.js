// Network: the bridges of this broker (ActiveMQ's "Network Bridges" columns
// and more) and a picture of the network, refreshed every 2 seconds.
'use strict';

Hashi.page('network', {
  title: 'Network',
  render(ctx) {
    const { h, clear, card, table, fmt, get } = Hashi;
    const picture = h('div', { class: 'chart-box', id: 'network-picture' });
    const legend = h('div', { class: 'legend' },
      h('i', { class: 'sw st-up' }), 'up', h('i', { class: 'sw st-wait' }), 'connecting / backing off',
      h('i', { class: 'sw st-down' }), 'down / stopped', h('span', { class: 'muted' }, ' · arrows point from the broker that dialled; ⇄ duplex'));
    const list = h('div', { id: 'bridges' });
    const updated = h('span', { class: 'muted small' });
    ctx.el.append(
      h('div', { class: 'page-head' }, h('h1', null, 'Network of brokers'), updated),
      card(null, h('div', { class: 'card-head' }, h('h2', null, 'Picture'), legend), picture),
      card('Network bridges', list));

    ctx.every(2000, async () => {
      const [topo, br] = await Promise.all([get('/api/v1/network'), get('/api/v1/bridges')]);
      clear(picture, Charts.network(topo, picture.clientWidth));
      const rows = (br.bridges || []).slice().sort((a, b) => a.name.localeCompare(b.name));
      clear(list, table([
        { label: 'Bridge', value: (b) => h('span', { title: 'network connector ' + b.connector }, b.name) },
        { label: 'Remote Broker', value: (b) => b.remoteBroker ? h('b', { title: b.remoteBrokerId }, b.remoteBroker) : h('span', { class: 'muted' }, 'unknown') },
        { label: 'Remote Address', value: (b) => h('code', null, b.remoteAddress) },
        { label: 'Created By Duplex', value: (b) => fmt.yes(b.createdByDuplex) },
        { label: 'Messages Enqueued', title: 'messages forwarded to the remote broker', value: (b) => b.messagesForwarded, num: true },
        { label: 'Messages Dequeued', title: 'messages received from the remote broker', value: (b) => b.messagesReceived, num: true },
        { label: 'State', value: (b) => h('span', { class: 'badge ' + Charts.stateClass(b.state), dataset: { state: b.state } }, b.state) },
        { label: 'Since', value: (b) => h('span', { title: fmt.time(b.since), class: 'since', dataset: { since: b.since } }, fmt.ago(b.since)) },
        { label: 'RTT', value: (b) => b.state === 'up' ? Charts.fmtMs(b.rttNanos / 1e6) : '', num: true },
        { label: 'Backlog', title: 'reliable messages waiting (pending + in flight)', value: (b) => b.pending + b.inflight, num: true },
        { label: 'Last error', value: (b) => b.lastError ? h('span', { class: 'error-text' }, b.lastError) : '' },
      ], rows, {
        empty: 'No bridges. Add a <networkConnector> on the Configuration page.',
        rowAttrs: (b) => ({ dataset: { bridge: b.name, remote: b.remoteBroker || '' } }),
      }));
      updated.textContent = 'updated ' + new Date().toLocaleTimeString('sv-SE');
    });
  },
});
