// Hashi console: the API helper, login, the router and small DOM helpers.
// Each page file registers itself with Hashi.page(name, {title, render}).
'use strict';

const Hashi = (() => {
  const state = { csrf: '', user: '', open: false };
  const pages = {};
  let current = null; // {name, timers, alive}

  // ---- DOM helpers ------------------------------------------------------

  // h builds an element: h('a', {href: '#', class: 'x', onclick: fn}, 'text', child).
  function h(tag, attrs, ...children) {
    return build(document.createElement(tag), attrs, children);
  }

  // s builds an SVG element.
  function s(tag, attrs, ...children) {
    return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children);
  }

  function build(el, attrs, children) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value' && 'value' in el) el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }

  // table renders rows with columns [{label, value(row) or key, num, cls,
  // width, title}].
  function table(columns, rows, opts = {}) {
    const head = h('tr', null, columns.map((c) => h('th', { class: c.num ? 'num' : c.cls, title: c.title, style: c.width ? 'width:' + c.width : null }, c.label)));
    const body = h('tbody');
    if (!rows.length) {
      body.appendChild(h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, opts.empty || 'None.')));
    }
    for (const r of rows) {
      const tr = h('tr', opts.rowAttrs ? opts.rowAttrs(r) : null,
        columns.map((c) => {
          const v = c.value ? c.value(r) : r[c.key];
          return h('td', { class: c.num ? 'num' : c.cls }, c.num && typeof v === 'number' ? fmt.num(v) : v);
        }));
      body.appendChild(tr);
    }
    return h('table', { class: 'grid ' + (opts.cls || '') }, h('thead', null, head), body);
  }

  function card(title, ...children) {
    return h('section', { class: 'card' }, title ? h('h2', null, title) : null, children);
  }

  // ---- formatting -------------------------------------------------------

  const fmt = {
    num(n) { return n === undefined || n === null ? '' : Number(n).toLocaleString('en-US'); },
    bytes(n) {
      if (!n) return '0 B';
      const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
      return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + ' ' + u[i];
    },
    time(t) {
      if (!t) return '';
      const d = typeof t === 'number' ? new Date(t) : new Date(t);
      if (isNaN(d) || d.getFullYear() < 2000) return '';
      return d.toLocaleString('sv-SE').replace('T', ' ');
    },
    ago(t) {
      if (!t) return '';
      const d = typeof t === 'number' ? t : Date.parse(t);
      if (!d || d < 946684800000) return '';
      return fmt.dur((Date.now() - d) / 1000) + ' ago';
    },
    dur(sec) {
      sec = Math.max(0, Math.round(sec));
      if (sec < 60) return sec + 's';
      const m = Math.floor(sec / 60);
      if (m < 60) return m + 'm ' + (sec % 60) + 's';
      const hr = Math.floor(m / 60);
      if (hr < 48) return hr + 'h ' + (m % 60) + 'm';
      return Math.floor(hr / 24) + 'd ' + (hr % 24) + 'h';
    },
    yes(b) { return b ? 'yes' : 'no'; },
  };

  // ---- API --------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, data) {
      super(message);
      this.status = status;
      this.data = data || {};
    }
  }

  // api calls the admin API. body: an object (sent as JSON) or a string
  // (sent as XML). State-changing requests carry the CSRF token. A 401
  // means the session ended: the login form comes back.
  async function api(method, path, body, retried) {
    const headers = { Accept: 'application/json', 'X-Requested-With': 'hashi-console' };
    const init = { method, headers, credentials: 'same-origin' };
    if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
    if (typeof body === 'string') {
      headers['Content-Type'] = 'application/xml';
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'the broker does not answer (' + e.message + ')');
    }
    let data = null;
    const text = await res.text();
    try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { error: text }; }
    if (res.status === 401 && !path.endsWith('/login')) {
      if (state.open && !retried) {
        // No authentication plugin: a new session needs no password.
        state.csrf = (await api('POST', '/api/v1/login', {})).csrf;
        return api(method, path, body, true);
      }
      showLogin('Your session has ended. Please log in again.');
      throw new ApiError(401, 'login required', data);
    }
    if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText, data);
    return data;
  }

  const get = (path) => api('GET', path);
  const post = (path, body) => api('POST', path, body === undefined ? {} : body);
  const del = (path) => api('DELETE', path);

  // ---- notifications and dialogs ----------------------------------------

  function toast(msg, kind = 'ok') {
    const box = document.getElementById('toasts');
    const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, msg);
    box.appendChild(t);
    while (box.children.length > 3) box.firstChild.remove();
    setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
  }

  function fail(e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (!(e instanceof ApiError)) console.error(e); // a bug in the console itself
    toast(e.message || String(e), 'error');
  }

  // modal shows a dialog and resolves with the value of the button pressed
  // (null when dismissed).
  function modal(title, content, buttons, opts = {}) {
    return new Promise((resolve) => {
      const back = h('div', { class: 'modal-back' });
      const close = (v) => { back.remove(); document.removeEventListener('keydown', onKey); resolve(v); };
      const onKey = (e) => { if (e.key === 'Escape') close(null); };
      const btns = buttons.map((b) => h('button', { type: 'button', class: b.cls || '', onclick: () => close(b.value) }, b.label));
      const box = h('div', { class: 'modal' + (opts.wide ? ' wide' : ''), role: 'dialog', 'aria-modal': 'true' },
        h('h3', null, title), h('div', { class: 'modal-body' }, content), h('div', { class: 'modal-buttons' }, btns));
      back.appendChild(box);
      back.addEventListener('click', (e) => { if (e.target === back) close(null); });
      document.addEventListener('keydown', onKey);
      document.body.appendChild(back);
      (btns.find((b) => b.classList.contains('primary') || b.classList.contains('danger')) || btns[0]).focus();
    });
  }

  async function confirm(message, okLabel = 'OK', danger = true) {
    const v = await modal('Please confirm', h('p', null, message), [
      { label: 'Cancel', value: false },
      { label: okLabel, value: true, cls: danger ? 'danger' : 'primary' },
    ]);
    return v === true;
  }

  // ---- login ------------------------------------------------------------

  function showLogin(message) {
    stopPage();
    document.body.classList.add('logged-out');
    const err = h('p', { class: 'login-error', role: 'alert' }, message || '');
    const user = h('input', { name: 'user', autocomplete: 'username', required: !state.open });
    const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
    const form = h('form', { class: 'login card', id: 'login-form' },
      h('h2', null, 'Hashi console'),
      h('p', { class: 'muted' }, state.open
        ? 'This broker has no authentication plugin: no password is needed.'
        : 'Log in with a broker user in a console group (admins, activemq-webconsole).'),
      h('label', null, 'User', user), h('label', null, 'Password', pass),
      err, h('button', { type: 'submit', class: 'primary' }, 'Log in'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        const r = await api('POST', '/api/v1/login', { user: user.value, password: pass.value });
        loggedIn(r);
      } catch (ex) {
        err.textContent = ex.message;
        pass.select();
      }
    });
    clear(document.getElementById('view'), form);
    user.focus();
  }

  function loggedIn(r) {
    state.csrf = r.csrf || '';
    state.user = r.user || '';
    document.body.classList.remove('logged-out');
    document.getElementById('user').textContent = state.user;
    route();
  }

  async function logout() {
    try { await api('POST', '/api/v1/logout', {}); } catch (e) { /* ended anyway */ }
    state.csrf = '';
    if (state.open) toast('Logged out. Without an authentication plugin the console logs in again by itself.');
    showLogin('Logged out.');
  }

  // boot finds or starts a session: without an authentication plugin the
  // console logs in by itself with an empty body.
  async function boot() {
    document.getElementById('logout').addEventListener('click', logout);
    window.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => { if (!document.hidden && current) current.kick(); });
    try {
      const res = await fetch('/api/v1/session', { credentials: 'same-origin', headers: { Accept: 'application/json', 'X-Requested-With': 'hashi-console' } });
      if (res.status === 401 || res.status === 403) { showLogin(''); return; }
      const s = await res.json();
      state.open = !!s.open;
      if (s.csrf) { loggedIn(s); return; }
      loggedIn(await api('POST', '/api/v1/login', {}));
    } catch (e) {
      showLogin('Cannot reach the broker: ' + e.message);
    }
  }

  // ---- router -----------------------------------------------------------

  // page registers a page: spec {title, render(ctx)}; ctx has el (the view),
  // path (the segments after the page name), params (URLSearchParams) and
  // every(ms, fn) for polling that stops when the user leaves the page.
  function page(name, spec) { pages[name] = spec; }

  function parseHash() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [p, q] = hash.split('?');
    const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
    return { name: parts[0] || 'home', path: parts.slice(1), params: new URLSearchParams(q || '') };
  }

  function stopPage() {
    if (!current) return;
    current.alive = false;
    current.timers.forEach(clearTimeout);
    current = null;
  }

  function route() {
    if (document.body.classList.contains('logged-out') && !state.csrf) return;
    stopPage();
    const r = parseHash();
    const spec = pages[r.name] || pages.home;
    const name = pages[r.name] ? r.name : 'home';
    document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === name));
    const view = document.getElementById('view');
    const el = h('div', { class: 'page page-' + name });
    clear(view, el);
    document.title = spec.title + ' · Hashi';
    const ctx = {
      el, path: r.path, params: r.params, alive: true, timers: [], pollers: [],
      // every runs fn now and then every ms while the page is shown and
      // the tab visible, never overlapping itself.
      every(ms, fn) {
        const tick = async () => {
          if (!ctx.alive) return;
          if (!document.hidden) {
            try { await fn(); } catch (e) { fail(e); }
          }
          if (ctx.alive) ctx.timers.push(setTimeout(tick, ms));
        };
        ctx.pollers.push(fn);
        tick();
      },
      kick() { ctx.pollers.forEach((fn) => Promise.resolve().then(fn).catch(fail)); },
    };
    current = ctx;
    Promise.resolve().then(() => spec.render(ctx)).catch(fail);
  }

  // link builds an in-console link: link('queues', ['browse'], {name: 'x'}).
  function link(name, path = [], params) {
    let u = '#/' + [name, ...path].map(encodeURIComponent).join('/');
    if (params) u += '?' + new URLSearchParams(params).toString();
    return u;
  }

  document.addEventListener('DOMContentLoaded', boot);

  return { h, s, clear, append, table, card, fmt, api, get, post, del, toast, fail, modal, confirm, page, link, state, ApiError };
})();
