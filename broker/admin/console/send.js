// Send: ActiveMQ's Send page (destination, JMS headers, count, body).
'use strict';

Hashi.page('send', {
  title: 'Send',
  render(ctx) {
    const { h, card, post, toast, fail, fmt } = Hashi;
    const preset = ctx.params.get('dest') || '';
    const m = /^(queue|topic):\/\/(.*)$/.exec(preset);
    const type = h('select', { id: 'send-type', name: 'type' }, h('option', { value: 'queue' }, 'Queue'), h('option', { value: 'topic' }, 'Topic'));
    type.value = m ? m[1] : ctx.params.get('type') || 'queue';
    const name = h('input', { id: 'send-dest', name: 'dest', required: true, placeholder: 'orders.eu or devices.42.command', value: m ? m[2] : '' });
    const corr = h('input', { id: 'send-correlation', name: 'correlationId' });
    const replyTo = h('input', { id: 'send-replyto', name: 'replyTo', placeholder: 'queue://replies' });
    const prio = h('input', { id: 'send-priority', name: 'priority', type: 'number', min: 0, max: 9, value: 4 });
    const ttl = h('input', { id: 'send-ttl', name: 'ttl', type: 'number', min: 0, value: 0 });
    const count = h('input', { id: 'send-count', name: 'count', type: 'number', min: 1, max: 100000, value: 1 });
    const persistent = h('input', { id: 'send-persistent', name: 'persistent', type: 'checkbox', checked: true });
    const retain = h('input', { id: 'send-retain', name: 'retain', type: 'checkbox' });
    const headers = h('textarea', { id: 'send-headers', name: 'headers', rows: 3, placeholder: 'one header per line: name: value' });
    const body = h('textarea', { id: 'send-body', name: 'body', rows: 10, placeholder: 'message body' });
    const result = h('p', { class: 'result-line', id: 'send-result', role: 'status' });
    const retainRow = h('label', { class: 'check' }, retain, ' Retain (MQTT retained message, topics only)');
    const syncType = () => retainRow.classList.toggle('disabled', type.value !== 'topic');
    type.addEventListener('change', syncType);
    syncType();

    const field = (label, input, hint) => h('label', null, h('span', { class: 'label' }, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
    const form = h('form', { class: 'send-form', id: 'send-form' },
      h('div', { class: 'form-grid' },
        field('Destination type', type),
        field('Destination', name, 'ActiveMQ name: the MQTT topic a/b is the topic a.b'),
        field('Correlation ID', corr, 'JMSCorrelationID (MQTT 5 correlation data)'),
        field('Reply To', replyTo, 'JMSReplyTo, e.g. queue://replies'),
        field('Priority', prio, '0 (lowest) to 9'),
        field('Time to live (ms)', ttl, '0 = never expires'),
        field('Count', count, 'how many copies to send'),
        h('div', { class: 'checks' }, h('label', { class: 'check' }, persistent, ' Persistent delivery'), retainRow)),
      field('Headers', headers),
      field('Message body', body),
      h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary', id: 'send-submit' }, 'Send'), result));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const hdrs = {};
      for (const line of headers.value.split('\n')) {
        if (!line.trim()) continue;
        const i = line.indexOf(':');
        if (i < 1) { fail(new Error(`Header line "${line}" is not "name: value"`)); return; }
        hdrs[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      const req = {
        destination: `${type.value}://${name.value.trim()}`, body: body.value, headers: hdrs,
        persistent: persistent.checked, priority: Number(prio.value), ttlMillis: Number(ttl.value),
        correlationId: corr.value, replyTo: replyTo.value.trim(), count: Number(count.value) || 1,
        retain: type.value === 'topic' && retain.checked,
      };
      result.textContent = 'Sending…';
      try {
        const r = await post('/api/v1/send', req);
        result.textContent = `Sent ${fmt.num(r.sent)} message${r.sent > 1 ? 's' : ''} to ${r.destination} at ${new Date().toLocaleTimeString('sv-SE')}.`;
        toast(result.textContent);
      } catch (ex) {
        result.textContent = '';
        fail(ex);
      }
    });

    ctx.el.append(h('div', { class: 'page-head' }, h('h1', null, 'Send a message')), card(null, form));
    (preset ? body : name).focus();
  },
});
