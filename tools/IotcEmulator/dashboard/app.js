// The emulator's dashboard: a view over the operator API (/api), refreshed by Server-Sent Events (/api/events).
// Everything the devices send (ids, property names, payloads) is attacker-controlled, so the page never builds markup
// from strings: h() creates elements and text nodes only, and the server's Content-Security-Policy forbids inline script.
'use strict';
(() => {
  const token = document.querySelector('meta[name="iotc-token"]').content;
  const view = document.getElementById('view');
  const live = document.getElementById('live');
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
  let page = null; // the current view: { tick(), telemetry(m), dispose() }, each optional

  // ---------------- helpers ----------------
  function h(tag, attrs, ...kids) {
    const svg = tag.startsWith('svg:');
    const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  async function api(method, path, body) {
    const init = { method, headers: {} };
    if (token) init.headers['X-Iotc-Token'] = token;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const r = await fetch('/api/' + path, init);
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!r.ok) throw new Error((json && json.error) || (r.status + ' ' + r.statusText));
    return json;
  }

  const enc = encodeURIComponent;
  const json = v => v === undefined ? '' : JSON.stringify(v);
  const pretty = text => { try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; } };
  const time = iso => iso ? new Date(iso).toLocaleTimeString() : '—';
  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    return s < 5 ? 'now' : s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : new Date(iso).toLocaleString();
  }
  const badge = on => h('span', { class: 'badge ' + (on ? 'online' : 'offline'), 'data-state': on ? 'online' : 'offline' }, on ? 'online' : 'offline');
  const props = bag => Object.entries(bag || {}).map(([k, v]) => h('span', { class: 'mono prop' }, v === null ? k : k + '=' + v));

  // Runs an async refresh at most once at a time; errors show in the given element.
  function guarded(fn, errorEl) {
    let busy = false;
    return async () => {
      if (busy) return;
      busy = true;
      try { await fn(); if (errorEl) errorEl.textContent = ''; } catch (e) { if (errorEl) errorEl.textContent = e.message; } finally { busy = false; }
    };
  }

  // A form whose submit runs fn(values) and shows its error under the buttons.
  function form(id, fields, submitText, fn) {
    const err = h('div', { class: 'error' });
    const f = h('form', { id }, fields, h('button', { type: 'submit' }, submitText), err);
    f.addEventListener('submit', async ev => {
      ev.preventDefault();
      err.textContent = '';
      const values = Object.fromEntries(new FormData(f).entries());
      try { await fn(values, f); } catch (e) { err.textContent = e.message; }
    });
    return f;
  }
  const field = (label, input) => h('label', {}, label, input);

  // ---------------- routing and live updates ----------------
  function route() {
    if (page && page.dispose) page.dispose();
    view.replaceChildren();
    const hash = location.hash || '#/';
    if (hash.startsWith('#/device/')) page = devicePage(decodeURIComponent(hash.slice('#/device/'.length)));
    else if (hash === '#/enrollments') page = enrollmentsPage();
    else page = devicesPage();
  }
  window.addEventListener('hashchange', route);

  const events = new EventSource('/api/events');
  events.addEventListener('open', () => { live.textContent = 'live'; live.classList.remove('off'); });
  events.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.classList.add('off'); });
  events.addEventListener('tick', () => page && page.tick && page.tick());
  events.addEventListener('telemetry', e => page && page.telemetry && page.telemetry(JSON.parse(e.data)));

  // ---------------- device list ----------------
  function devicesPage() {
    const body = h('tbody');
    const err = h('div', { class: 'error' });
    view.append(h('section', { class: 'card' },
      h('h2', {}, 'Devices'),
      h('table', { id: 'devices' },
        h('thead', {}, h('tr', {}, ['Device', 'State', 'Last seen', 'Model id', 'Enrollment', 'Messages today'].map(t => h('th', {}, t)))),
        body),
      err,
      h('p', { class: 'hint' }, 'A device appears once DPS has assigned it. Create enrollments under Enrollments.')));
    // What a device needs to reach this emulator (the device gets the hub from DPS; shown for SDKs that ask for it).
    const conn = h('dl', { id: 'connection', class: 'secret' });
    view.append(h('section', { class: 'card' }, h('h2', {}, 'Connect a device'), conn,
      h('p', { class: 'hint' }, 'Give the device the ID scope and the DPS endpoint (its "global endpoint" host) and make it trust the CA certificate. DPS over MQTT uses the hub port.')));
    guarded(async () => {
      const i = await api('GET', 'info');
      conn.replaceChildren(
        h('dt', {}, 'ID scope'), h('dd', { id: 'info-scope' }, i.idScope),
        h('dt', {}, 'DPS endpoint'), h('dd', { id: 'info-dps' }, i.dpsEndpoint),
        h('dt', {}, 'Hub (MQTT over TLS)'), h('dd', { id: 'info-hub' }, i.hubHostName + ':' + i.mqttPort),
        h('dt', {}, 'CA certificate'), h('dd', { id: 'info-ca' }, i.caCertificatePath));
    }, err)();
    const refresh = guarded(async () => {
      const list = await api('GET', 'overview');
      body.replaceChildren(...list.map(d => h('tr', { 'data-device': d.deviceId },
        h('td', {}, h('a', { href: '#/device/' + enc(d.deviceId) }, d.deviceId)),
        h('td', {}, badge(d.connected)),
        h('td', {}, ago(d.lastSeenUtc)),
        h('td', { class: 'mono' }, d.modelId || '—'),
        h('td', {}, d.enrollment, d.enrollmentId ? h('div', { class: 'hint' }, d.enrollmentId) : null),
        h('td', { class: 'num' }, d.messagesToday))));
      if (list.length === 0) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No devices yet.')));
    }, err);
    refresh();
    return { tick: refresh };
  }

  // ---------------- one device ----------------
  function flatten(value, prefix, numbers, others) {
    if (typeof value === 'number' && isFinite(value)) numbers[prefix] = value;
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? prefix + '.' + k : k, numbers, others);
    } else if (prefix) others[prefix] = value;
  }

  // The creation time a device sent with a message, when it is a readable time; else null.
  function createdOf(m) {
    const c = (m.properties || {})['$.ctime'];
    return c && !isNaN(new Date(c).getTime()) ? c : null;
  }

  function parsed(m) {
    if (!m.fields) {
      const numbers = {}, others = {};
      try { flatten(JSON.parse(m.payload), '', numbers, others); } catch { /* not JSON: shown in the table only */ }
      // Charted when the device measured it ($.ctime, IoT Hub's iothub-creation-time-utc) if it says, as IoT Central does.
      const created = createdOf(m);
      m.fields = { numbers, others, t: new Date(created || m.arrivedUtc).getTime() };
    }
    return m.fields;
  }

  // The ack a device reported for a setting: Plug and Play {value,ac,av,ad} or the legacy iotc {value,statusCode,status,desiredVersion}.
  function ackOf(rep) {
    if (!rep || typeof rep !== 'object' || Array.isArray(rep)) return null;
    if ('av' in rep || 'ac' in rep) return { form: 'ac/av/ad', code: rep.ac, version: rep.av, text: rep.ad, value: rep.value };
    if ('desiredVersion' in rep || 'statusCode' in rep) return { form: 'legacy', code: rep.statusCode, version: rep.desiredVersion, text: rep.status, value: rep.value };
    return null;
  }

  function settingsOf(twin) {
    const rows = [];
    const desired = twin.desired || {}, reported = twin.reported || {};
    const add = (name, value, rep) => rows.push({ name, value, rep, setAt: (twin.desiredVersions || {})[name] });
    for (const [k, v] of Object.entries(desired)) {
      if (k.startsWith('$')) continue;
      if (v && typeof v === 'object' && v.__t === 'c') {
        for (const [n, inner] of Object.entries(v)) if (n !== '__t' && !n.startsWith('$')) add(k + '*' + n, inner, (reported[k] || {})[n]);
      } else add(k, v, reported[k]);
    }
    for (const r of rows) {
      const ack = ackOf(r.rep);
      r.ack = ack;
      const acked = ack && ack.version !== undefined && ack.version !== null &&
        (r.setAt !== undefined ? ack.version >= r.setAt : json(ack.value) === json(r.value));
      r.status = !acked ? 'pending' : (ack.code >= 200 && ack.code < 300 ? 'acked' : 'failed');
    }
    return rows;
  }

  function devicePage(id) {
    const path = 'devices/' + enc(id);
    const head = h('div', { class: 'device-head' }, h('h2', { id: 'device-id' }, id));
    const err = h('div', { class: 'error' });

    // telemetry: chart, latest messages, state/event values
    let windowMinutes = 5, paused = false, loaded = false, lastId = 0;
    const messages = [], early = [];
    const chart = h('svg:svg', { class: 'chart', id: 'chart', viewBox: '0 0 900 260', preserveAspectRatio: 'none', 'data-points': 0 });
    const legend = h('ul', { class: 'legend', id: 'legend' });
    const pauseButton = h('button', { type: 'button', class: 'secondary', id: 'pause', onclick: () => { paused = !paused; pauseButton.textContent = paused ? 'Resume' : 'Pause'; draw(); } }, 'Pause');
    const windowSelect = h('select', { id: 'window', onchange: () => { windowMinutes = Number(windowSelect.value); draw(); } },
      [1, 5, 15, 60].map(n => h('option', { value: n, selected: n === windowMinutes }, 'last ' + n + ' min')));
    const messageRows = h('tbody');
    const stateRows = h('tbody');

    function add(m) {
      if (m.id <= lastId) return;
      lastId = m.id;
      messages.push(m);
      if (messages.length > 2000) messages.shift();
    }

    function draw() {
      if (paused) return;
      const W = 900, H = 260, L = 56, R = 12, T = 12, B = 26;
      const now = Date.now(), from = now - windowMinutes * 60000;
      const series = new Map();
      for (const m of messages) {
        const f = parsed(m);
        if (f.t < from) continue;
        for (const [k, v] of Object.entries(f.numbers)) {
          if (!series.has(k)) series.set(k, []);
          series.get(k).push([f.t, v]);
        }
      }
      let min = Infinity, max = -Infinity, count = 0;
      for (const pts of series.values()) for (const [, v] of pts) { min = Math.min(min, v); max = Math.max(max, v); count++; }
      if (!isFinite(min)) { min = 0; max = 1; }
      if (min === max) { min -= 1; max += 1; }
      const x = t => L + (t - from) / (now - from) * (W - L - R);
      const y = v => T + (1 - (v - min) / (max - min)) * (H - T - B);
      const kids = [];
      for (let i = 0; i <= 4; i++) {
        const v = min + (max - min) * i / 4;
        kids.push(h('svg:line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
          h('svg:text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, +v.toPrecision(4)));
      }
      kids.push(h('svg:line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }), h('svg:line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }),
        h('svg:text', { x: L, y: H - 8 }, new Date(from).toLocaleTimeString()),
        h('svg:text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, new Date(now).toLocaleTimeString()));
      const items = [];
      let i = 0;
      for (const [name, pts] of series) {
        const color = colors[i++ % colors.length];
        kids.push(h('svg:polyline', { 'data-field': name, stroke: color, points: pts.map(([t, v]) => x(t).toFixed(1) + ',' + y(v).toFixed(1)).join(' ') }));
        const shown = pts.length <= 120 ? pts : pts.slice(-1);
        for (const [t, v] of shown) kids.push(h('svg:circle', { 'data-field': name, cx: x(t).toFixed(1), cy: y(v).toFixed(1), r: 3, fill: color }));
        const swatch = h('span', { class: 'swatch' });
        swatch.style.backgroundColor = color;
        items.push(h('li', { 'data-field': name }, swatch, name, h('span', { class: 'muted' }, '= ' + pts[pts.length - 1][1])));
      }
      chart.replaceChildren(...kids);
      chart.setAttribute('data-points', count);
      legend.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, 'No numeric telemetry in this window.')]));
    }

    function drawTables() {
      const latest = messages.slice(-15).reverse();
      messageRows.replaceChildren(...latest.map(m => h('tr', { 'data-id': m.id },
        h('td', {}, time(m.arrivedUtc)), h('td', { class: 'created' }, time(createdOf(m))), h('td', {}, h('pre', {}, m.payload)), h('td', {}, props(m.properties)))));
      const state = new Map();
      for (const m of messages) for (const [k, v] of Object.entries(parsed(m).others)) state.set(k, [v, m.arrivedUtc]);
      stateRows.replaceChildren(...[...state].map(([k, [v, t]]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', {}, h('pre', {}, typeof v === 'string' ? v : json(v))), h('td', {}, time(t)))));
    }

    // properties
    const versions = h('span', { class: 'muted', id: 'twin-versions' });
    const settingRows = h('tbody');
    const reportedRows = h('tbody');
    async function refreshTwin() {
      const twin = await api('GET', path + '/twin');
      versions.textContent = 'desired $version ' + (twin.desired || {}).$version + ' · reported $version ' + (twin.reported || {}).$version;
      const settings = settingsOf(twin);
      settingRows.replaceChildren(...settings.map(s => h('tr', { 'data-setting': s.name },
        h('td', { class: 'mono' }, s.name), h('td', {}, h('pre', {}, json(s.value))), h('td', { class: 'num' }, s.setAt ?? '—'),
        h('td', {}, h('pre', {}, s.ack ? json(s.ack.value) : json(s.rep))),
        h('td', { class: 'mono' }, s.ack ? s.ack.form + ': ' + [s.ack.code, s.ack.version, s.ack.text].map(v => v ?? '—').join(' / ') : '—'),
        h('td', { class: 'status ' + s.status, 'data-status': s.status }, s.status))));
      if (!settings.length) settingRows.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No desired properties yet.')));
      const settingNames = new Set(Object.keys(twin.desired || {}));
      reportedRows.replaceChildren(...Object.entries(twin.reported || {}).filter(([k]) => !k.startsWith('$') && !settingNames.has(k))
        .map(([k, v]) => h('tr', { 'data-reported': k }, h('td', { class: 'mono' }, k), h('td', {}, h('pre', {}, json(v))))));
    }
    const desiredForm = form('desired-form', [
      field('Setting (component*name for a component)', h('input', { name: 'name', required: true, placeholder: 'fanSpeed' })),
      field('Value (JSON)', h('textarea', { name: 'value', required: true, placeholder: '1200' })),
    ], 'Set desired property', async v => {
      let value;
      try { value = JSON.parse(v.value); } catch { throw new Error('the value must be JSON (put text in "quotes")'); }
      const star = v.name.indexOf('*');
      const patch = star > 0 ? { [v.name.slice(0, star)]: { __t: 'c', [v.name.slice(star + 1)]: value } } : { [v.name]: value };
      await api('PATCH', path + '/twin/desired', patch);
      await refreshTwin();
    });

    // commands
    const commandResult = h('div', { id: 'command-result', class: 'result', hidden: true });
    const commandRows = h('tbody');
    const commandForm = form('command-form', [
      field('Command', h('input', { name: 'name', required: true, placeholder: 'reboot' })),
      field('Payload (JSON, optional)', h('textarea', { name: 'payload', placeholder: '{"delay":1}' })),
      field('Timeout (s)', h('input', { name: 'timeout', type: 'number', min: 1, max: 300, value: 30 })),
    ], 'Run command', async v => {
      commandResult.hidden = false;
      commandResult.replaceChildren('running…');
      const started = performance.now();
      const r = await api('POST', path + '/commands/' + enc(v.name) + '?timeout=' + enc(v.timeout || 30), v.payload || '');
      const ms = Math.round(performance.now() - started);
      const ok = r.status >= 200 && r.status < 300;
      commandResult.setAttribute('data-status', r.status);
      commandResult.replaceChildren(
        h('div', {}, 'status ', h('strong', { class: ok ? 's2xx' : 's-err', id: 'command-status' }, r.status), r.timedOut ? ' (timed out)' : '',
          ' · round trip ', h('strong', { id: 'command-rtt' }, ms + ' ms')),
        h('pre', { id: 'command-response' }, pretty(r.payload ?? '')));
      await refreshCommands();
    });
    async function refreshCommands() {
      const list = await api('GET', path + '/commands');
      commandRows.replaceChildren(...list.slice(0, 10).map(c => h('tr', {},
        h('td', {}, time(c.requestedUtc)), h('td', { class: 'mono' }, c.name), h('td', {}, h('pre', {}, c.requestJson ?? '')),
        h('td', { class: c.outcome }, c.outcome), h('td', { class: 'num' }, c.status ?? '—'), h('td', {}, h('pre', {}, c.responseJson ?? '')))));
    }

    // cloud-to-device
    const c2dRows = h('tbody');
    const c2dForm = form('c2d-form', [
      field('Payload (text)', h('textarea', { name: 'payload', required: true, placeholder: 'hello' })),
      field('Properties (name=value per line)', h('textarea', { name: 'properties', placeholder: 'kind=greeting' })),
    ], 'Send C2D message', async v => {
      const properties = {};
      for (const line of (v.properties || '').split('\n')) {
        if (!line.trim()) continue;
        const eq = line.indexOf('=');
        if (eq < 0) properties[line.trim()] = null; else properties[line.slice(0, eq).trim()] = line.slice(eq + 1);
      }
      await api('POST', path + '/c2d', { payload: v.payload, properties });
      await refreshC2d();
    });
    async function refreshC2d() {
      const list = await api('GET', path + '/c2d');
      c2dRows.replaceChildren(...list.slice(-15).reverse().map(m => h('tr', { 'data-c2d': m.id },
        h('td', { class: 'num' }, m.id), h('td', {}, h('pre', {}, m.payload)), h('td', {}, props(m.properties)),
        h('td', { class: 'state ' + m.state, 'data-state': m.state }, m.state), h('td', {}, time(m.enqueuedUtc)), h('td', {}, time(m.deliveredUtc)))));
    }

    // faults
    const faultState = h('pre', { id: 'fault-state', class: 'muted' });
    const faultButton = (id, text, method, p, cls) => h('button', { type: 'button', id, class: cls || 'secondary', onclick: async () => {
      try { await api(method, p); await refreshFaults(); } catch (e) { faultState.textContent = e.message; }
    } }, text);
    async function refreshFaults() {
      const f = await api('GET', 'faults');
      const active = [];
      if (f.refuseConnectsUntilUtc) active.push('refusing connects until ' + time(f.refuseConnectsUntilUtc));
      if (f.dpsThrottleRemaining) active.push('DPS answers 429 to the next ' + f.dpsThrottleRemaining + ' requests');
      if (f.dpsAssigningPolls) active.push('DPS keeps new registrations assigning for ' + f.dpsAssigningPolls + ' polls');
      if (f.tokenLifetimeCapSeconds) active.push('hub sessions capped at ' + f.tokenLifetimeCapSeconds + ' s');
      for (const [d, ms] of Object.entries(f.pubAckDelaysMs || {})) active.push('PUBACKs to ' + d + ' delayed ' + ms + ' ms');
      for (const d of f.pubAckWithheld || []) active.push('PUBACKs to ' + d + ' withheld');
      faultState.textContent = active.length ? active.join('\n') : 'no faults active';
    }

    const device = guarded(async () => {
      const d = await api('GET', path);
      head.replaceChildren(h('h2', { id: 'device-id' }, d.deviceId), badge(d.connected),
        h('span', { class: 'muted' }, 'model ', h('span', { class: 'mono' }, d.modelId || '—')),
        h('span', { class: 'muted' }, d.enrollmentId ? 'enrollment ' + d.enrollmentId : 'created directly'),
        h('span', { class: 'muted' }, d.attestation === 'x509' ? 'X.509' : 'symmetric key'));
    }, err);
    const table = (id, cols, body) => h('table', { id }, h('thead', {}, h('tr', {}, cols.map(c => h('th', {}, c)))), body);

    view.append(
      h('p', {}, h('a', { href: '#/' }, '← all devices')),
      h('section', { class: 'card' }, head, err),
      h('section', { class: 'card' },
        h('div', { class: 'chart-head' }, h('h3', {}, 'Telemetry'), windowSelect, pauseButton), chart, legend),
      h('div', { class: 'grid' },
        h('section', { class: 'card' }, h('h3', {}, 'Latest messages'), h('div', { class: 'scroll' }, table('messages', ['Received', 'Created on device', 'Payload', 'Properties'], messageRows))),
        h('section', { class: 'card' }, h('h3', {}, 'State and events (latest non-numeric values)'), table('state-events', ['Field', 'Value', 'Time'], stateRows))),
      h('section', { class: 'card' }, h('h3', {}, 'Properties ', versions),
        table('settings', ['Setting', 'Desired', 'Set at $version', 'Reported', 'Ack (code / av / description)', 'Status'], settingRows),
        desiredForm,
        h('h3', {}, 'Reported properties'), table('reported', ['Name', 'Value'], reportedRows)),
      h('div', { class: 'grid' },
        h('section', { class: 'card' }, h('h3', {}, 'Commands'), commandForm, commandResult, table('commands', ['Time', 'Command', 'Request', 'Outcome', 'Status', 'Response'], commandRows)),
        h('section', { class: 'card' }, h('h3', {}, 'Cloud-to-device messages'), c2dForm, table('c2d', ['Id', 'Payload', 'Properties', 'State', 'Queued', 'Delivered'], c2dRows))),
      h('section', { class: 'card' }, h('h3', {}, 'Fault injection'),
        h('div', { class: 'buttons' },
          faultButton('fault-drop', 'Drop connection', 'POST', 'faults/drop/' + enc(id)),
          faultButton('fault-refuse', 'Refuse connects for 30 s', 'POST', 'faults/refuse-connects?seconds=30'),
          faultButton('fault-dps-throttle', 'Throttle DPS (next 3 requests)', 'POST', 'faults/dps-throttle?requests=3&retryAfter=5'),
          faultButton('fault-withhold', 'Withhold PUBACKs', 'POST', 'faults/puback-withhold/' + enc(id) + '?on=true'),
          faultButton('fault-release', 'Send PUBACKs again', 'POST', 'faults/puback-withhold/' + enc(id) + '?on=false'),
          faultButton('fault-short-tokens', 'Short tokens (30 s sessions)', 'POST', 'faults/token-lifetime?seconds=30'),
          faultButton('fault-clear', 'Clear all faults', 'DELETE', 'faults', 'danger')),
        faultState));

    const refreshAll = guarded(async () => {
      await Promise.all([device(), refreshTwin(), refreshCommands(), refreshC2d(), refreshFaults()]);
    }, err);
    (async () => {
      try {
        for (const m of await api('GET', 'telemetry?tail=500&deviceId=' + enc(id))) add(m);
      } catch (e) { err.textContent = e.message; }
      loaded = true;
      for (const m of early) add(m);
      draw(); drawTables();
    })();
    refreshAll();
    return {
      tick: () => { refreshAll(); draw(); },
      telemetry: m => {
        if (m.deviceId.toLowerCase() !== id.toLowerCase()) return;
        if (!loaded) { early.push(m); return; }
        add(m); draw(); drawTables();
      },
    };
  }

  // ---------------- enrollments ----------------
  function enrollmentsPage() {
    const body = h('tbody');
    const err = h('div', { class: 'error' });
    const created = h('div', { id: 'created' });
    let idScope = '';

    const kind = h('select', { name: 'kind' },
      h('option', { value: 'individual' }, 'individual, symmetric key'), h('option', { value: 'group' }, 'group, symmetric key'),
      h('option', { value: 'x509' }, 'individual, X.509 (thumbprint)'), h('option', { value: 'x509-group' }, 'group, X.509 (CA certificate)'));
    const createForm = form('enroll-form', [
      field('Registration or group id', h('input', { name: 'id', required: true, placeholder: 'my-device' })),
      field('Kind', kind),
      field('Thumbprint (X.509)', h('input', { name: 'thumbprint' })),
      field('CA certificate PEM (X.509 group)', h('textarea', { name: 'caPem' })),
    ], 'Create enrollment', async v => {
      const body = { id: v.id, group: v.kind === 'group' || v.kind === 'x509-group' };
      if (v.kind === 'x509') { body.attestation = 'x509'; body.thumbprint = v.thumbprint; }
      if (v.kind === 'x509-group') { body.attestation = 'x509'; body.caPem = v.caPem; }
      const e = await api('POST', 'enrollments', body);
      created.replaceChildren(credentials(e, true));
      await refresh();
    });

    // What a device needs; shown right after creation, or after an explicit reveal.
    function credentials(e, justCreated) {
      const derived = h('dd', { id: 'derived-key' }, '—');
      const deriveInput = h('input', { placeholder: 'device id', id: 'derive-device' });
      const box = h('div', { class: 'secret', 'data-enrollment': e.id },
        h('strong', {}, justCreated ? 'Enrollment created. Copy these values now: the keys are not shown again unless you reveal them.' : 'Keys of ' + e.id),
        h('dl', {},
          h('dt', {}, 'ID scope'), h('dd', {}, idScope),
          h('dt', {}, e.isGroup ? 'Group id' : 'Device id (registration id)'), h('dd', {}, e.id),
          e.primaryKey ? [h('dt', {}, e.isGroup ? 'Group primary key' : 'Primary key'), h('dd', { id: 'primary-key' }, e.primaryKey)] : null,
          e.secondaryKey ? [h('dt', {}, 'Secondary key'), h('dd', {}, e.secondaryKey)] : null,
          e.thumbprint ? [h('dt', {}, 'Thumbprint'), h('dd', {}, e.thumbprint)] : null,
          e.isGroup && e.primaryKey ? [h('dt', {}, 'Derived device key (what a device of this group uses)'), derived] : null),
        e.isGroup && e.primaryKey ? h('div', { class: 'buttons' }, deriveInput, h('button', { type: 'button', class: 'secondary', onclick: async () => {
          try { derived.textContent = (await api('GET', 'enrollments/' + enc(e.id) + '/derive?deviceId=' + enc(deriveInput.value))).key; } catch (x) { derived.textContent = x.message; }
        } }, 'Derive device key')) : null,
        h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => box.remove() }, 'Hide')));
      return box;
    }

    const refresh = guarded(async () => {
      const list = await api('GET', 'enrollments');
      body.replaceChildren(...list.map(e => {
        const revoke = h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (revoke.dataset.armed !== '1') { revoke.dataset.armed = '1'; revoke.textContent = 'Confirm revoke'; return; }
          await api('DELETE', 'enrollments/' + enc(e.id));
          await refresh();
        } }, 'Revoke');
        const reveal = e.attestation === 'symmetricKey' ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
          created.replaceChildren(credentials(await api('GET', 'enrollments/' + enc(e.id) + '?reveal=true'), false));
        } }, 'Reveal keys') : null;
        return h('tr', { 'data-enrollment': e.id },
          h('td', { class: 'mono' }, e.id), h('td', {}, e.isGroup ? 'group' : 'individual'),
          h('td', {}, e.attestation === 'x509' ? 'X.509' : 'symmetric key'), h('td', {}, new Date(e.createdUtc).toLocaleString()),
          h('td', { class: 'muted' }, e.attestation === 'x509' ? (e.thumbprint || 'CA certificate') : '•••••• (hidden)'),
          h('td', {}, h('div', { class: 'buttons' }, reveal, revoke)));
      }));
      if (list.length === 0) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No enrollments.')));
    }, err);

    view.append(
      h('section', { class: 'card' }, h('h2', {}, 'New enrollment'), createForm, created),
      h('section', { class: 'card' }, h('h2', {}, 'Enrollments'),
        h('table', { id: 'enrollments' }, h('thead', {}, h('tr', {}, ['Id', 'Type', 'Attestation', 'Created', 'Keys', ''].map(t => h('th', {}, t)))), body), err));
    api('GET', 'info').then(i => { idScope = i.idScope; }).catch(() => { });
    refresh();
    return {};
  }

  route();
})();
