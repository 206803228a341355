// Configuration: the running activemq.xml in an editor; validate, diff,
// apply live with a comment, and the revisions with rollback.
'use strict';

(() => {
  const { h, clear, card, table, fmt, get, api, post, toast, fail, modal, confirm } = Hashi;

  Hashi.page('config', {
    title: 'Configuration',
    async render(ctx) {
      let running = '';
      let marks = {}; // line -> 'error' | 'warning'
      const text = h('textarea', { id: 'config-text', spellcheck: 'false', wrap: 'off', autocapitalize: 'off', 'aria-label': 'activemq.xml' });
      const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
      const editor = h('div', { class: 'editor' }, gutter, text);
      const where = h('span', { class: 'muted small' });
      const dirty = h('span', { class: 'badge st-wait hidden' }, 'edited');
      const pos = h('span', { class: 'muted small', id: 'cursor-pos' });
      const comment = h('input', { id: 'config-comment', placeholder: 'Comment for this revision (why)', 'aria-label': 'Comment' });
      const results = h('div', { id: 'config-results' });
      const revisions = h('div', { id: 'revisions' });
      const btn = (label, fn, cls, id) => h('button', { type: 'button', class: cls, id, onclick: () => fn().catch(fail) }, label);

      ctx.el.append(
        h('div', { class: 'page-head' }, h('h1', null, 'Configuration ', dirty), where),
        card(null,
          h('div', { class: 'toolbar' },
            btn('Validate', validate, '', 'config-validate'),
            btn('Diff', diff, '', 'config-diff'),
            comment,
            btn('Apply', apply, 'primary', 'config-apply'),
            btn('Revert', revert, '', 'config-revert'),
            pos),
          editor, results),
        card('Revisions', h('p', { class: 'muted small' }, 'Every applied configuration is kept under the data directory. Rollback applies an older one again, as a new revision.'), revisions));

      // Editor behaviour: line numbers, a synced gutter, Tab indents.
      const lines = () => text.value.split('\n').length;
      const drawGutter = () => {
        const n = lines();
        const out = [];
        for (let i = 1; i <= n; i++) out.push(marks[i] ? h('span', { class: marks[i] }, i + '\n') : i + '\n');
        clear(gutter, out);
        gutter.scrollTop = text.scrollTop;
      };
      const onEdit = () => {
        if (gutter.childNodes.length !== lines()) drawGutter();
        dirty.classList.toggle('hidden', text.value === running);
      };
      const showPos = () => {
        const before = text.value.slice(0, text.selectionStart).split('\n');
        pos.textContent = `line ${before.length}, column ${before[before.length - 1].length + 1}`;
      };
      text.addEventListener('input', onEdit);
      text.addEventListener('scroll', () => { gutter.scrollTop = text.scrollTop; });
      text.addEventListener('keyup', showPos);
      text.addEventListener('click', showPos);
      text.addEventListener('keydown', (e) => {
        if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
          e.preventDefault();
          text.setRangeText('  ', text.selectionStart, text.selectionEnd, 'end');
          onEdit();
        }
      });

      // goto moves the cursor to line:col and scrolls it into view.
      const goto = (line, col) => {
        const ls = text.value.split('\n');
        line = Math.min(Math.max(1, line || 1), ls.length);
        let off = 0;
        for (let i = 0; i < line - 1; i++) off += ls[i].length + 1;
        off += Math.min(Math.max(0, (col || 1) - 1), ls[line - 1].length);
        text.focus();
        text.setSelectionRange(off, off);
        const lh = parseFloat(getComputedStyle(text).lineHeight) || 18;
        text.scrollTop = Math.max(0, (line - 1) * lh - text.clientHeight / 3);
        gutter.scrollTop = text.scrollTop;
        showPos();
      };

      // results shows an outcome under the editor, which gets shorter so
      // both fit on the screen.
      const results_ = (...nodes) => {
        clear(results, nodes);
        ctx.el.classList.toggle('with-results', nodes.length > 0);
        if (nodes.length) results.scrollIntoView({ block: 'nearest' });
      };

      const showProblems = (title, problems, ok) => {
        marks = {};
        for (const p of problems) if (!marks[p.line] || p.severity === 'error') marks[p.line] = p.severity;
        drawGutter();
        results_(h('div', { class: 'result ' + (ok ? 'ok' : 'bad') },
          h('h3', null, title),
          problems.length ? h('ul', { class: 'problems' }, problems.map((p) =>
            h('li', { class: p.severity, tabindex: 0, dataset: { line: p.line, col: p.col }, title: 'Go to line ' + p.line,
              onclick: () => goto(p.line, p.col), onkeydown: (e) => { if (e.key === 'Enter') goto(p.line, p.col); } },
            h('span', { class: 'sev' }, p.severity), ' ', h('code', null, p.text)))) : null));
      };

      const showDiff = (d) => {
        results_(h('div', { class: 'result' }, h('h3', null, d ? 'Changes against the running configuration' : 'No changes against the running configuration.'),
          d ? diffView(d) : null));
      };

      async function load() {
        const c = await get('/api/v1/config');
        running = c.xml;
        text.value = c.xml;
        marks = {};
        clear(where, c.file ? h('code', null, c.file) : 'embedded default configuration', ` · running revision ${c.revision}`);
        drawGutter();
        onEdit();
      }

      async function validate() {
        const r = await post('/api/v1/config/validate', text.value);
        const problems = r.problems || [];
        const errs = problems.filter((p) => p.severity === 'error').length;
        const warns = problems.length - errs;
        const n = (k, word) => `${k} ${word}${k === 1 ? '' : 's'}`;
        showProblems(r.valid ? `Valid${warns ? `, with ${n(warns, 'warning')}` : ''}.` :
          `${n(errs, 'error')}${warns ? ` and ${n(warns, 'warning')}` : ''}: fix the errors to apply this configuration.`, problems, r.valid);
      }

      async function diff() {
        const r = await post('/api/v1/config/diff', text.value);
        showDiff(r.diff);
      }

      async function apply() {
        const d = await post('/api/v1/config/diff', text.value);
        if (!d.changed) { showDiff(''); return; }
        const ok = await modal('Apply this configuration to the running broker?',
          h('div', null, h('p', null, 'Comment: ', comment.value ? h('b', null, comment.value) : h('span', { class: 'muted' }, '(none)')), diffView(d.diff)),
          [{ label: 'Cancel', value: false }, { label: 'Apply', value: true, cls: 'primary' }], { wide: true });
        if (!ok) return;
        try {
          const r = await api('POST', '/api/v1/config/apply', { xml: text.value, comment: comment.value });
          running = text.value;
          comment.value = '';
          onEdit();
          const what = describeChanges(r.changes);
          toast(`Applied as revision ${r.revision}${what ? ': ' + what : ''}`);
          results_(h('div', { class: 'result ok', id: 'apply-result' }, h('h3', null, `Applied as revision ${r.revision}.`), h('p', null, what || 'Users, rights and policies reloaded.')));
          await load();
          await listRevisions();
        } catch (e) {
          if (e.status === 422) showProblems('Not applied: the configuration has errors.', e.data.problems || [], false);
          else if (e.status === 409) results_(h('div', { class: 'result bad' }, h('h3', null, 'Not applied'), h('p', null, e.message)));
          else throw e;
        }
      }

      async function revert() {
        if (text.value !== running && !(await confirm('Discard your edits and show the running configuration again?', 'Discard'))) return;
        results_();
        await load();
      }

      async function listRevisions() {
        const r = await get('/api/v1/config/revisions');
        const revs = (r.revisions || []).slice().reverse();
        const cur = revs.length ? revs[0].id : 0;
        clear(revisions, table([
          { label: 'Revision', value: (v) => h('b', null, String(v.id)) },
          { label: 'When', value: (v) => h('span', { title: fmt.ago(v.at) }, fmt.time(v.at)) },
          { label: 'User', key: 'user' },
          { label: 'Comment', value: (v) => v.comment || h('span', { class: 'muted' }, '—') },
          { label: 'Changes', value: (v) => h('span', { class: 'small' }, describeChanges(v.changes)) },
          { label: '', cls: 'ops', value: (v) => [
            h('button', { type: 'button', class: 'small', onclick: () => view(v).catch(fail) }, 'View'),
            v.id === cur ? h('span', { class: 'badge st-up' }, 'running') :
              h('button', { type: 'button', class: 'small', dataset: { rollback: v.id }, onclick: () => rollback(v).catch(fail) }, 'Rollback')] },
        ], revs, { empty: 'No revisions yet.', rowAttrs: (v) => ({ dataset: { revision: v.id } }) }));
      }

      async function view(v) {
        const r = await get('/api/v1/config/revisions/' + v.id);
        const d = await post('/api/v1/config/diff', r.xml);
        const body = h('div', null,
          h('p', { class: 'muted' }, `${fmt.time(v.at)} by ${v.user}${v.comment ? ' — ' + v.comment : ''}`),
          d.changed ? h('details', null, h('summary', null, 'Difference from the running configuration'), diffView(d.diff)) : h('p', null, 'Same as the running configuration.'),
          h('pre', { class: 'xml' }, r.xml));
        const act = await modal(`Revision ${v.id}`, body, [{ label: 'Close', value: null }, { label: 'Load into the editor', value: 'load', cls: 'primary' }], { wide: true });
        if (act === 'load') {
          text.value = r.xml;
          comment.value = `based on revision ${v.id}`;
          marks = {};
          drawGutter();
          onEdit();
        }
      }

      async function rollback(v) {
        if (!(await confirm(`Apply revision ${v.id} again? It becomes a new revision.`, 'Rollback', false))) return;
        try {
          const r = await post(`/api/v1/config/revisions/${v.id}/rollback`);
          const what = describeChanges(r.changes);
          toast(`Rolled back to revision ${v.id} (now revision ${r.revision})${what ? ': ' + what : ''}`);
          results_(h('div', { class: 'result ok' }, h('h3', null, `Revision ${v.id} applied again as revision ${r.revision}.`), h('p', null, what)));
          await load();
          await listRevisions();
        } catch (e) {
          if (e.status === 422) showProblems('Not applied: that revision no longer validates.', e.data.problems || [], false);
          else throw e;
        }
      }

      await load();
      await listRevisions();
    },
  });

  // diffView colours a unified diff.
  function diffView(d) {
    return h('pre', { class: 'diff' }, d.replace(/\n$/, '').split('\n').map((l) => {
      const c = l.startsWith('+++') || l.startsWith('---') ? 'file' : l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : l.startsWith('@@') ? 'hunk' : '';
      return h('span', { class: c }, l + '\n');
    }));
  }

  const changeLabels = {
    transportConnectorsAdded: 'transport connectors added',
    transportConnectorsRemoved: 'transport connectors removed',
    networkConnectorsAdded: 'network connectors added',
    networkConnectorsRemoved: 'network connectors removed',
    networkConnectorsChanged: 'network connectors changed',
  };

  function describeChanges(c) {
    if (!c || typeof c !== 'object') return '';
    const parts = [];
    for (const [k, label] of Object.entries(changeLabels)) if (c[k] && c[k].length) parts.push(`${label}: ${c[k].join(', ')}`);
    return parts.join('; ');
  }
})();
