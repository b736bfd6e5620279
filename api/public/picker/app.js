// The picker's phone page: plain JavaScript, no build step, no third-party code. It holds no
// secret: the picker pastes a token (or opens /picker/#token=...), kept in this tab only.
// Every action gets an idempotency key when it is tapped; a retry after a network error or a
// 5xx reuses it, so the server answers the first result again and nothing is picked twice.
'use strict';
(() => {
  const API = '/picker/v1';
  const TOKEN_KEY = 'freshchain.picker.token';
  const st = { token: null, me: null, tasks: null, waves: null, tab: 'picks', busy: false, timer: null };
  const $ = (id) => document.getElementById(id);

  /** Build an element; text children are text nodes (never parsed as HTML). */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    return el;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const zoneBadge = (zone) => h('span', { class: `zone ${zone}` }, zone);

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  /** Call the API; with a key, network errors and 5xx are retried with the same key. */
  async function api(method, path, body, key) {
    const headers = { authorization: `Bearer ${st.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers['idempotency-key'] = key;
    let last;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt) await sleep(400 * attempt);
      let res;
      try {
        res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (err) {
        last = err;
        continue;
      }
      const text = await res.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch { data = null; }
      if (res.status >= 500 && (key || method === 'GET') && attempt < 2) { last = new Error(`server error ${res.status}`); continue; }
      if (res.status === 401) {
        signOut('Your token was refused or has expired: sign in again.');
        throw new ApiError('not signed in', 401);
      }
      if (!res.ok) throw new ApiError((data && data.error && data.error.message) || `${res.status} ${res.statusText}`, res.status);
      return data;
    }
    throw new ApiError(`network problem (${last ? last.message : 'no answer'}): try again`, 0);
  }

  function toast(text, error) {
    const t = $('toast');
    t.textContent = text;
    t.className = error ? 'toast error' : 'toast';
    t.hidden = false;
  }

  /**
   * Run a user action once at a time: one key per tap, then reload, then the outcome as a toast.
   * The toast comes last so that it marks a settled screen: what the picker types after it is
   * not wiped by the reload's re-render.
   */
  async function act(label, method, path, body) {
    if (st.busy) return;
    st.busy = true;
    document.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    let out = null;
    let message = null;
    let failed = false;
    try {
      out = await api(method, path, body, newKey());
      const outcome = out && out.result ? out.result.outcome : out && out.claimed ? `claimed ${out.claimed.length} order(s)` : 'done';
      message = `${label}: ${outcome}`;
    } catch (err) {
      if (err.status !== 401) { message = `${label} refused: ${err.message}`; failed = true; }
    } finally {
      st.busy = false;
      document.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      await load().catch(() => undefined);
    }
    if (message) toast(message, failed);
    return out;
  }

  // ---- Sign in ---------------------------------------------------------------------------------

  async function signIn(token) {
    st.token = token.trim();
    try {
      st.me = await api('GET', `${API}/me`);
    } catch (err) {
      if (err.status !== 401) toast(`Sign-in failed: ${err.message}`, true);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, st.token);
    $('login').hidden = true;
    $('work').hidden = false;
    $('who').textContent = `${st.me.pickerId} · ${st.me.nodeId}`;
    $('who').hidden = false;
    $('signout').hidden = false;
    $('toast').hidden = true;
    await load();
    clearInterval(st.timer);
    // Refresh in the background, but never under the picker's fingers (it would clear a half-typed scan).
    st.timer = setInterval(() => {
      const typing = document.activeElement && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
      if (!st.busy && !typing && document.visibilityState === 'visible') load().catch(() => undefined);
    }, 15000);
  }

  function signOut(message) {
    clearInterval(st.timer);
    sessionStorage.removeItem(TOKEN_KEY);
    Object.assign(st, { token: null, me: null, tasks: null, waves: null });
    $('work').hidden = true;
    $('who').hidden = true;
    $('signout').hidden = true;
    $('login').hidden = false;
    if (message) toast(message, true);
  }

  // ---- Data ------------------------------------------------------------------------------------

  async function load() {
    if (!st.me) return;
    const node = encodeURIComponent(st.me.nodeId);
    const [tasks, waves] = await Promise.all([api('GET', `${API}/nodes/${node}/tasks`), api('GET', `${API}/nodes/${node}/waves`)]);
    st.tasks = tasks;
    st.waves = waves;
    render();
  }

  // ---- Rendering -------------------------------------------------------------------------------

  function render() {
    $('wave-count').textContent = st.waves ? String(st.waves.waves.length) : '';
    document.querySelectorAll('.tab').forEach((b) => b.classList.toggle('active', b.dataset.tab === st.tab));
    $('tab-picks').hidden = st.tab !== 'picks';
    $('tab-waves').hidden = st.tab !== 'waves';
    renderCurrent();
    renderTasks();
    renderWaves();
  }

  const fpath = (fid) => `${API}/fulfilments/${encodeURIComponent(fid)}`;
  const lpath = (step) => `${fpath(step.fulfilmentId)}/lines/${encodeURIComponent(step.lineId)}`;

  function renderCurrent() {
    const box = $('current');
    box.replaceChildren();
    const step = st.tasks && st.tasks.pickPath[0];
    if (!step) {
      const staged = st.tasks && st.tasks.tasks.length;
      box.append(h('div', { class: 'card' }, h('h2', {}, staged ? 'Nothing left to pick' : 'No picks yet'),
        h('p', { class: 'muted' }, staged ? 'Stage your totes below.' : 'Claim a wave under Open waves.')));
      return;
    }
    const task = st.tasks.tasks.find((t) => t.fulfilmentId === step.fulfilmentId);
    const line = task && task.lines.find((l) => l.lineId === step.lineId);
    const started = line && line.status === 'in_progress';
    const card = h('section', { class: 'card step', id: 'step', dataset: { line: step.lineId, fulfilment: step.fulfilmentId } },
      h('div', { class: 'head' }, h('span', { class: 'muted' }, `Next pick · ${st.tasks.pickPath.length} to go`), zoneBadge(step.zone)),
      h('div', { class: 'bin', id: 'step-bin' }, step.bin || 'no bin'),
      h('div', { class: 'what' }, `${step.qty} × ${step.name || step.sku}`),
      h('dl', { class: 'kv' },
        h('dt', {}, 'SKU'), h('dd', {}, step.sku),
        h('dt', {}, 'Lot'), h('dd', {}, `${step.lotId} (exp. ${step.expiresOn})`),
        h('dt', {}, 'Tote'), h('dd', { id: 'step-tote' }, step.toteLabel),
        h('dt', {}, 'Order'), h('dd', {}, task ? `${task.orderNumber}${task.customer ? ` · ${task.customer.name} ${task.customer.phone}` : ''}` : step.orderId),
        line && line.picked ? [h('dt', {}, 'Picked'), h('dd', {}, `${line.picked} of ${line.qty}`)] : null,
        step.skipped ? [h('dt', {}, 'Note'), h('dd', {}, 'skipped before')] : null));

    if (!started) {
      card.append(h('div', { class: 'actions' },
        h('button', { class: 'primary', id: 'start', type: 'button', onclick: () => act('Start', 'POST', `${lpath(step)}/start`, {}) }, "I'm at the bin"),
        h('button', { type: 'button', id: 'skip', onclick: () => act('Skip', 'POST', `${lpath(step)}/skip`, {}) }, 'Skip')));
      box.append(card);
      return;
    }

    const sku = h('input', { id: 'scan-sku', name: 'sku', autocomplete: 'off', autocapitalize: 'characters', placeholder: 'scan product', required: true, enterkeyhint: 'next' });
    const lot = h('input', { id: 'scan-lot', name: 'lot', autocomplete: 'off', autocapitalize: 'characters', placeholder: 'scan lot', required: true, enterkeyhint: 'next' });
    const qty = h('input', { id: 'scan-qty', name: 'qty', type: 'number', inputmode: 'numeric', min: 1, max: step.qty, value: String(step.qty), required: true });
    // A scanner types the code and Enter: move on to the next field instead of submitting early.
    sku.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); lot.focus(); } });
    const form = h('form', {
      id: 'confirm-form',
      onsubmit: (e) => {
        e.preventDefault();
        act('Confirm', 'POST', `${lpath(step)}/confirm`, { sku: sku.value.trim(), lotId: lot.value.trim(), qty: Number(qty.value) });
      },
    },
    h('label', { for: 'scan-sku' }, 'Product'), sku,
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'scan-lot' }, 'Lot'), lot), h('div', { class: 'narrow' }, h('label', { for: 'scan-qty' }, 'Qty'), qty)),
    h('div', { class: 'actions' }, h('button', { class: 'primary', id: 'confirm', type: 'submit' }, 'Confirm pick')));

    const reason = h('select', { id: 'short-reason', name: 'reason' },
      h('option', { value: 'not_found' }, 'Not found'), h('option', { value: 'damaged' }, 'Damaged'), h('option', { value: 'expired' }, 'Expired'), h('option', { value: 'quality' }, 'Poor quality'));
    const subSku = h('input', { id: 'sub-sku', autocomplete: 'off', placeholder: 'substitute product' });
    const subQty = h('input', { id: 'sub-qty', type: 'number', inputmode: 'numeric', min: 1, max: 999, value: String(line.qty - line.picked) });
    const policy = line.substitutionPolicy;
    const trouble = h('details', { id: 'trouble' }, h('summary', {}, 'Not enough there?'),
      h('label', { for: 'short-reason' }, 'Reason'), reason,
      h('div', { class: 'actions' },
        h('button', { class: 'danger', id: 'short', type: 'button', onclick: () => act('Short pick', 'POST', `${lpath(step)}/short`, { reason: reason.value }) }, `Short ${line.qty - line.picked}`),
        h('button', { type: 'button', id: 'skip', onclick: () => act('Skip', 'POST', `${lpath(step)}/skip`, {}) }, 'Skip for now')),
      h('p', { class: 'muted' }, `Customer wants: ${policy.policy === 'specific' ? `only ${policy.name || policy.sku}` : policy.policy === 'refund' ? 'a refund, no substitutes' : 'your best match'}`),
      policy.policy === 'refund' ? null : h('div', {},
        h('div', { class: 'row' }, h('div', {}, h('label', { for: 'sub-sku' }, 'Substitute'), subSku), h('div', { class: 'narrow' }, h('label', { for: 'sub-qty' }, 'Qty'), subQty)),
        h('div', { class: 'actions' }, h('button', {
          type: 'button', id: 'substitute',
          onclick: () => act('Substitute', 'POST', `${lpath(step)}/substitute`, { reason: reason.value, sku: subSku.value.trim(), qty: Number(subQty.value) }),
        }, 'Propose substitute'))));
    card.append(form, trouble);
    box.append(card);
    sku.focus();
  }

  function renderTasks() {
    const box = $('tasks');
    box.replaceChildren();
    for (const t of (st.tasks && st.tasks.tasks) || []) {
      const card = h('section', { class: 'card task', dataset: { fulfilment: t.fulfilmentId } },
        h('div', { class: 'head' }, h('h2', {}, `Order ${t.orderNumber}`), h('span', { class: 'badge' }, t.pickStatus.replace('_', ' '))),
        h('dl', { class: 'kv' },
          h('dt', {}, 'Slot'), h('dd', {}, `${t.slot.kind} · by ${time(t.slot.end)}`),
          h('dt', {}, 'Pick by'), h('dd', {}, time(t.pickDeadline)),
          t.customer ? [h('dt', {}, 'Customer'), h('dd', { class: 'customer' }, `${t.customer.name} · ${t.customer.phone}`)] : null,
          h('dt', {}, 'Totes'), h('dd', {}, t.zones.map((z) => h('span', {}, zoneBadge(z.zone), ` ${z.toteLabel}${z.mine ? '' : z.claimed ? ' (other picker)' : ' (open)'} `)))),
        h('ul', { class: 'lines' }, t.lines.map((l) => h('li', { class: l.status === 'picked' ? 'done' : l.status === 'short' ? 'short' : '' },
          h('span', {}, `${l.name || l.sku} `, h('span', { class: 'muted' }, l.lots.map((x) => x.bin).filter(Boolean).join(', '))),
          h('span', {}, l.status === 'short' ? `short ${l.short.missing} · ${l.short.resolution.replace('_', ' ')}` : `${l.picked}/${l.qty}`)))));

      if (t.state === 'picking' && !t.stageBlocker) {
        const loc = h('input', { id: `stage-loc-${t.fulfilmentId}`, class: 'stage-location', autocomplete: 'off', placeholder: 'staging bay, e.g. S-01' });
        const totes = t.totesToStage.map((label) => h('input', { class: 'stage-tote', autocomplete: 'off', placeholder: `scan tote ${label}`, dataset: { expected: label } }));
        card.append(h('form', {
          class: 'stage-form',
          onsubmit: (e) => {
            e.preventDefault();
            act('Stage', 'POST', `${fpath(t.fulfilmentId)}/stage`, { location: loc.value.trim(), toteLabels: totes.map((i) => i.value.trim()).filter(Boolean) });
          },
        }, h('label', {}, 'Scan every tote, then the bay'), totes, loc, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Stage totes'))));
      } else if (t.state === 'picking' && t.stageBlocker && !(st.tasks.pickPath || []).some((s) => s.fulfilmentId === t.fulfilmentId)) {
        card.append(h('p', { class: 'muted' }, t.stageBlocker));
      } else if (t.state === 'packed') {
        const courier = h('input', { class: 'courier', autocomplete: 'off', placeholder: 'scan courier badge' });
        card.append(h('p', { class: 'muted' }, `Staged at ${t.staging ? t.staging.location : '?'}`), h('form', {
          class: 'handover-form',
          onsubmit: (e) => { e.preventDefault(); act('Hand over', 'POST', `${fpath(t.fulfilmentId)}/hand-over`, { courierId: courier.value.trim() }); },
        }, courier, h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Hand over'))));
      }
      box.append(card);
    }
  }

  function renderWaves() {
    const box = $('waves');
    box.replaceChildren();
    const waves = (st.waves && st.waves.waves) || [];
    if (!waves.length) box.append(h('div', { class: 'card' }, h('p', { class: 'muted' }, 'No open waves right now.')));
    for (const w of waves) {
      box.append(h('section', { class: 'card wave', dataset: { wave: w.waveId } },
        h('div', { class: 'head' }, h('h2', {}, zoneBadge(w.zone), ` ${w.fulfilments.length} order(s) · ${w.lineCount} line(s)`), w.atRisk ? h('span', { class: 'badge risk' }, 'at risk') : null),
        h('p', { class: 'muted' }, `Pick by ${time(w.deadline)} · about ${Math.ceil(w.estimatedPickMs / 60000)} min · bins ${[...new Set(w.tasks.map((t) => t.bin).filter(Boolean))].slice(0, 4).join(', ')}`),
        h('div', { class: 'actions' }, h('button', {
          class: 'primary claim', type: 'button',
          onclick: async () => { if (await act('Claim', 'POST', `${API}/nodes/${encodeURIComponent(st.me.nodeId)}/claims`, { waveId: w.waveId })) { st.tab = 'picks'; render(); } },
        }, 'Claim wave'))));
    }
  }

  // ---- Wiring ----------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('token').value); });
    $('signout').addEventListener('click', () => signOut());
    $('refresh').addEventListener('click', () => load().then(() => toast('Up to date')).catch((err) => toast(err.message, true)));
    document.querySelectorAll('.tab').forEach((b) => b.addEventListener('click', () => { st.tab = b.dataset.tab; render(); }));
    const fromHash = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (fromHash) history.replaceState(null, '', location.pathname); // keep the token out of history
    const token = fromHash ? decodeURIComponent(fromHash[1]) : sessionStorage.getItem(TOKEN_KEY);
    $('login').hidden = false;
    if (token) signIn(token);
  });
})();
