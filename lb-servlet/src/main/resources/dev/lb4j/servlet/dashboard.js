// lb4j dashboard. Reads the token-protected admin API of the page's own admin path with
// "Authorization: Bearer <token>" (the token lives in sessionStorage: this tab only) and renders
// it with DOM calls only (never innerHTML), so backend ids and reasons are shown as text.
'use strict';

(function () {
  const POLL_MS = 1500;
  const MAX_EVENTS = 100;
  const TOKEN_KEY = 'lb4j.admin.token';
  const base = location.pathname.replace(/\/dashboard\/?$/, '');
  const $ = (id) => document.getElementById(id);

  let token = sessionStorage.getItem(TOKEN_KEY);
  let generation = 0;          // bumped on stop: a poll of an older generation renders nothing
  let timer = null;
  let hasMetrics = false;
  let previous = null;         // {t, backends: Map key -> counters, buckets: Map key -> Map le -> n}
  let lastEventSeq = 0;
  let errorTimer = null;
  const rows = new Map();      // pool -> {section, tbody, head, rows: Map id -> row}

  class Refused extends Error {}

  async function api(method, path, body) {
    const headers = { 'Authorization': 'Bearer ' + token, 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(base + path, {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) throw new Refused('401');
    const type = response.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await response.json() : await response.text();
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : response.status + ' ' + response.statusText;
      throw new Error(detail);
    }
    return data;
  }

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v);
      }
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  function showError(message) {
    const e = $('error');
    e.textContent = message;
    e.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { e.hidden = true; }, 6000);
  }

  // ---------------------------------------------------------------- login and refusal

  function showLogin(refused) {
    $('board').hidden = true;
    $('live').hidden = true;
    $('logout').hidden = true;
    $('updated').textContent = '';
    $('login').hidden = false;
    $('refused').hidden = !refused;
    $('token').focus();
  }

  function stop() {
    generation++;
    clearTimeout(timer);
    timer = null;
    previous = null;
    lastEventSeq = 0;
    hasMetrics = false;
    rows.clear();
    $('pools').replaceChildren();
    $('events').replaceChildren();
    $('no-events').hidden = false;
    $('explain-result').hidden = true;
  }

  function refuse() {
    stop();
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    showLogin(true);
  }

  async function start() {
    stop();
    const mine = generation;
    try {
      const index = await api('GET', '/');
      if (mine !== generation) return;
      hasMetrics = (index.resources || []).some((r) => /^GET metrics\b/.test(r));
    } catch (e) {
      if (e instanceof Refused) { refuse(); return; }
      showError('The admin API did not answer: ' + e.message);
    }
    $('login').hidden = true;
    $('board').hidden = false;
    $('live').hidden = false;
    $('logout').hidden = false;
    poll(mine);
  }

  // ---------------------------------------------------------------- polling

  async function poll(mine) {
    if (mine !== generation) return;
    try {
      const [status, metrics, events] = await Promise.all([
        api('GET', '/status'),
        hasMetrics ? api('GET', '/metrics').catch((e) => {
          if (e instanceof Refused) throw e;
          return null;
        }) : Promise.resolve(null),
        api('GET', '/events?after=' + lastEventSeq),
      ]);
      if (mine !== generation) return;
      render(status, typeof metrics === 'string' ? metrics : null);
      renderEvents(events);
      $('live').classList.remove('stale');
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      if (mine !== generation) return;
      if (e instanceof Refused) { refuse(); return; }
      $('live').classList.add('stale');
      $('updated').textContent = 'connection lost: ' + e.message;
    }
    if (mine === generation) timer = setTimeout(() => poll(mine), POLL_MS);
  }

  // ---------------------------------------------------------------- numbers

  // Prometheus text: cumulative `_bucket` series of the request-latency histogram, summed per
  // (pool, backend) over every other label (route, outcome, status), keyed by `le`.
  function parseBuckets(text) {
    const families = new Map();
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (const line of text.split('\n')) {
      if (line === '' || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{(.*)\}\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of m[2].matchAll(labelRe)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      if (labels.pool === undefined || labels.backend === undefined || labels.le === undefined) continue;
      const le = labels.le === '+Inf' ? Infinity : parseFloat(labels.le);
      const value = parseFloat(m[3]);
      if (Number.isNaN(le) || Number.isNaN(value)) continue;
      let fam = families.get(m[1]);
      if (!fam) families.set(m[1], (fam = new Map()));
      const key = labels.pool + '\u0000' + labels.backend;
      let series = fam.get(key);
      if (!series) fam.set(key, (series = new Map()));
      series.set(le, (series.get(le) || 0) + value);
    }
    const names = [...families.keys()];
    const name = names.find((n) => n.startsWith('lb4j') && n.includes('request'))
      || names.find((n) => n.startsWith('lb4j')) || names[0];
    return name ? { name, series: families.get(name) } : null;
  }

  // histogram_quantile over the increase between two scrapes, as Grafana/Prometheus compute it:
  // linear interpolation inside the bucket holding the rank; the +Inf bucket gives the highest
  // finite bound.
  function quantile(q, now, before) {
    const les = [...now.keys()].sort((a, b) => a - b);
    const counts = les.map((le) => {
      const d = now.get(le) - ((before && before.get(le)) || 0);
      return d;
    });
    if (counts.some((c) => c < 0)) return quantile(q, now, null); // counter reset
    const total = counts[counts.length - 1];
    if (!(total > 0) || les[les.length - 1] !== Infinity) return null;
    const rank = q * total;
    let i = counts.findIndex((c) => c >= rank);
    if (i < 0) i = counts.length - 1;
    if (les[i] === Infinity) return les.length > 1 ? les[les.length - 2] : null;
    const lower = i === 0 ? 0 : les[i - 1];
    const below = i === 0 ? 0 : counts[i - 1];
    if (i === 0 && les[0] <= 0) return les[0];
    const inBucket = counts[i] - below;
    return inBucket > 0 ? lower + (les[i] - lower) * (rank - below) / inBucket : lower;
  }

  const fmtRate = (r) => (r == null ? '–' : r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));
  const fmtMs = (s) => (s == null ? '–' : s * 1000 >= 100 ? (s * 1000).toFixed(0) + ' ms' : (s * 1000).toFixed(1) + ' ms');

  // ---------------------------------------------------------------- rendering

  function render(status, metricsText) {
    const now = performance.now();
    const counters = new Map();
    const histogram = metricsText ? parseBuckets(metricsText) : null;
    const dt = previous ? (now - previous.t) / 1000 : 0;
    const seenPools = new Set();
    for (const [poolName, pool] of Object.entries(status.pools || {})) {
      seenPools.add(poolName);
      const view = poolView(poolName);
      let poolRate = 0, poolErrors = 0, rated = false;
      const seen = new Set();
      for (const b of pool.backends) {
        const key = poolName + '\u0000' + b.id;
        seen.add(b.id);
        counters.set(key, { completed: b.completed, failures: b.failures });
        const before = previous && previous.backends.get(key);
        let rate = null, errRate = null, errShare = null;
        if (before && dt > 0 && b.completed >= before.completed && b.failures >= before.failures) {
          const done = b.completed - before.completed;
          const failed = b.failures - before.failures;
          rate = done / dt;
          errRate = failed / dt;
          errShare = done > 0 ? failed / done : 0;
          poolRate += rate; poolErrors += errRate; rated = true;
        }
        let p50 = null, p99 = null, source = 'EWMA';
        const series = histogram && histogram.series.get(key);
        if (series) {
          const old = previous && previous.buckets && previous.buckets.get(key);
          p50 = quantile(0.5, series, old || null);
          p99 = quantile(0.99, series, old || null);
          source = 'histogram';
        } else if (b.completed > 0) {
          p50 = b.latencyEwmaMillis / 1000;
        }
        backendRow(view, poolName, b, { rate, errRate, errShare, p50, p99, source });
      }
      for (const [id, row] of view.rows) {
        if (!seen.has(id)) { row.tr.remove(); view.rows.delete(id); }
      }
      const facts = [pool.algorithm, pool.backends.length + ' backends', 'in flight ' + pool.inFlight];
      if (rated) facts.push(fmtRate(poolRate) + ' req/s', fmtRate(poolErrors) + ' err/s');
      facts.push('retries ' + pool.retries, 'no backend ' + pool.noBackend);
      view.facts.textContent = facts.join(' · ');
      view.panic.hidden = !pool.panic;
    }
    for (const [name, view] of rows) {
      if (!seenPools.has(name)) { view.section.remove(); rows.delete(name); }
    }
    previous = { t: now, backends: counters, buckets: histogram ? histogram.series : null };
  }

  function poolView(name) {
    let view = rows.get(name);
    if (view) return view;
    const facts = el('span', { class: 'facts' });
    const panic = el('span', { class: 'badge panic', text: 'PANIC', title: 'panic mode: too few healthy backends, traffic goes to all of them' });
    const tbody = el('tbody');
    const head = el('tr', null, ...[
      ['Backend'], ['State'], ['Weight'], ['In flight', 'num'], ['Req/s', 'num'], ['Errors', 'num'],
      ['p50', 'num'], ['p99', 'num'], ['Actions'],
    ].map(([t, c]) => el('th', c ? { class: c, text: t } : { text: t })));
    const section = el('section', { class: 'card pool', dataset: { pool: name } },
      el('div', { class: 'pool-head' }, el('h2', { text: name }), panic, facts),
      el('table', { class: 'backends' }, el('thead', null, head), tbody));
    $('pools').append(section);
    view = { section, tbody, facts, panic, rows: new Map() };
    rows.set(name, view);
    return view;
  }

  function backendRow(view, pool, b, n) {
    let row = view.rows.get(b.id);
    if (!row) {
      const cell = (label, cls) => el('td', { 'data-label': label, class: cls || '' });
      row = {
        tr: el('tr', { class: 'backend', dataset: { backend: b.id, pool } }),
        id: el('div', { class: 'id' }), uri: el('div', { class: 'uri' }),
        state: el('span', { class: 'state' }), reason: el('div', { class: 'reason' }),
        weightInput: el('input', { type: 'number', min: '1', max: '10000', 'aria-label': 'weight of ' + b.id }),
        cells: {
          inFlight: cell('In flight', 'num in-flight'), rate: cell('Req/s', 'num rate'),
          errors: cell('Errors', 'num errors'), p50: cell('p50', 'num p50'), p99: cell('p99', 'num p99'),
        },
      };
      const act = (action) => el('button', {
        type: 'button', class: 'action-' + action, text: action,
        onclick: (ev) => change(ev.target, pool, b.id, action),
      });
      const weightForm = el('form', { class: 'weight' }, row.weightInput,
        el('button', { type: 'submit', class: 'quiet', text: 'set' }));
      weightForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        setWeight(weightForm.querySelector('button'), pool, b.id, row.weightInput.value);
      });
      const c = row.cells;
      row.tr.append(
        el('td', { 'data-label': 'Backend' }, row.id, row.uri),
        el('td', { 'data-label': 'State', class: 'state-cell' }, row.state, row.reason),
        el('td', { 'data-label': 'Weight' }, weightForm),
        c.inFlight, c.rate, c.errors, c.p50, c.p99,
        el('td', { 'data-label': 'Actions' },
          el('div', { class: 'actions' }, act('drain'), act('undrain'), act('enable'), act('disable'))));
      view.tbody.append(row.tr);
      view.rows.set(b.id, row);
    }
    row.id.textContent = b.id;
    row.uri.textContent = b.uri + (b.zone ? ' · zone ' + b.zone : '');
    row.state.textContent = b.status;
    row.state.className = 'state ' + b.status;
    row.tr.dataset.state = b.status;
    row.reason.textContent = b.reason;
    if (document.activeElement !== row.weightInput) row.weightInput.value = b.weight;
    const c = row.cells;
    c.inFlight.textContent = b.inFlight;
    c.rate.textContent = fmtRate(n.rate);
    c.errors.textContent = n.errRate == null ? '–'
      : fmtRate(n.errRate) + '/s (' + (n.errShare * 100).toFixed(1) + '%)';
    c.errors.title = 'failures ' + b.failures + ', ejections ' + b.ejections + ', cancelled ' + b.cancelled;
    c.p50.replaceChildren(fmtMs(n.p50));
    c.p99.replaceChildren(fmtMs(n.p99));
    if (n.p50 != null || n.p99 != null) {
      c.p50.append(el('div', { class: 'lat-source', text: n.source === 'EWMA' ? 'EWMA' : 'histogram' }));
    }
  }

  function renderEvents(data) {
    if (!data) return;
    if (data.last < lastEventSeq) { // the admin interface restarted: start over
      lastEventSeq = 0;
      $('events').replaceChildren();
    }
    const list = $('events');
    for (const e of data.events) {
      let what;
      if (e.type === 'status') what = e.pool + '/' + e.backend + ': ' + e.from + ' \u2192 ' + e.to;
      else if (e.type === 'added') what = e.pool + '/' + e.backend + ' added (' + e.to + ')';
      else if (e.type === 'removed') what = e.pool + '/' + e.backend + ' removed';
      else if (e.type === 'panic-start') what = e.pool + ': panic mode on';
      else what = e.pool + ': panic mode off';
      list.prepend(el('li', { class: 'event', dataset: { type: e.type, backend: e.backend || '' } },
        el('span', { class: 'when', text: new Date(e.time).toLocaleTimeString() }),
        el('span', { class: 'what', text: what }),
        el('span', { class: 'why', text: e.reason })));
      lastEventSeq = Math.max(lastEventSeq, e.seq);
    }
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
    $('no-events').hidden = list.children.length > 0;
  }

  // ---------------------------------------------------------------- actions

  async function change(button, pool, id, action) {
    button.disabled = true;
    try {
      await api('POST', '/pools/' + encodeURIComponent(pool) + '/backends/' + encodeURIComponent(id) + '/' + action);
      await refreshNow();
    } catch (e) {
      if (e instanceof Refused) { refuse(); return; }
      showError(action + ' ' + id + ': ' + e.message);
    } finally {
      button.disabled = false;
    }
  }

  async function setWeight(button, pool, id, value) {
    const weight = Number(value);
    if (!Number.isInteger(weight)) { showError('weight of ' + id + ': ' + value + ' is not a whole number'); return; }
    button.disabled = true;
    try {
      await api('PUT', '/pools/' + encodeURIComponent(pool) + '/backends/' + encodeURIComponent(id) + '/weight', { weight });
      document.activeElement.blur();
      await refreshNow();
    } catch (e) {
      if (e instanceof Refused) { refuse(); return; }
      showError('weight of ' + id + ': ' + e.message);
    } finally {
      button.disabled = false;
    }
  }

  // Polls now rather than at the next tick, so a change shows at once.
  function refreshNow() {
    clearTimeout(timer);
    return poll(generation);
  }

  async function explain(form) {
    const f = form.elements;
    const body = { method: f.method.value };
    const target = f.path.value.trim() || '/';
    const q = target.indexOf('?');
    body.path = q < 0 ? target : target.slice(0, q);
    if (q >= 0) body.query = target.slice(q + 1);
    if (f.clientAddress.value.trim()) body.clientAddress = f.clientAddress.value.trim();
    const headers = {};
    for (const line of f.headers.value.split('\n')) {
      const at = line.indexOf(':');
      if (at <= 0) continue;
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === 'host') { body.host = value; continue; }
      (headers[name] = headers[name] || []).push(value);
    }
    if (Object.keys(headers).length) body.headers = headers;
    try {
      const r = await api('POST', '/explain', body);
      const parts = [r.admitted ? 'admitted' : 'refused'];
      if (r.route) parts.push(r.route.rule + ' \u2192 pool ' + r.route.pool + (r.route.default ? ' (default)' : ''));
      else parts.push('no route');
      if (r.rejection) parts.push('rejected by ' + r.rejection.policy + ' (' + r.rejection.status + ' ' + r.rejection.reason + ')');
      parts.push(r.backend ? 'backend ' + r.backend.id + ' (' + r.backend.uri + ')' : 'no backend');
      $('explain-summary').textContent = parts.join(' · ');
      $('explain-trace').textContent = (r.trace || []).join('\n');
      $('explain-result').hidden = false;
    } catch (e) {
      if (e instanceof Refused) { refuse(); return; }
      showError('explain: ' + e.message);
    }
  }

  // ---------------------------------------------------------------- wiring

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = $('token').value.trim();
      if (!value) return;
      token = value;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      start();
    });
    $('logout').addEventListener('click', () => {
      stop();
      sessionStorage.removeItem(TOKEN_KEY);
      token = null;
      showLogin(false);
    });
    $('explain-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      explain(ev.target);
    });
    if (token) start();
    else showLogin(false);
  });
})();
