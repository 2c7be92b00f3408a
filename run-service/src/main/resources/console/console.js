// Vigil operator console: one page over the run API (/api/v1/runs), polling the list every few seconds and
// following the selected run live from its event stream (GET /api/v1/runs/{id}/events).
// Everything shown comes from the API with the signed-in token, so it is scoped to its workspace.
// Text is always set with textContent, never parsed as HTML.

const TOKEN_KEY = 'vigil.console.token';
// ?poll=<ms> changes how often the list is polled (the browser test sets it high to see the stream at work).
const POLL_MS = Number(new URLSearchParams(window.location.search).get('poll')) || 2500;
const PAGE_SIZE = 25;
const API = new URL('../api/v1/runs', document.baseURI).pathname;
const HOOKS = new URL('../api/v1/webhooks', document.baseURI).pathname;
const ACTIVE = ['PENDING', 'RUNNING', 'TERMINATING'];
const RETRYABLE = ['FAILED', 'ABORTED', 'TIMED_OUT'];
const STATUSES = [...ACTIVE, 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  claims: {},
  filter: { status: '', key: '' },
  cursors: [null], // cursor of each page seen so far; the last is the page shown
  nextCursor: null,
  runs: [],
  selected: null,
  timer: null,
  running: null, // the refresh under way
  queued: null, // one more refresh, after it
  pollError: null,
  timeline: null, // the selected run's, as last read
  detailStale: false, // the selected run changed since (its stream said so), or it was just selected
  stream: null, // { id, abort, live }: the selected run's event stream
  deliveriesOf: null, // the webhook subscription whose delivery log is shown
};

// ---------- API ----------

class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }

  describe() {
    if (this.status === 0) return this.message;
    return `${this.status} ${this.title || ''}: ${this.message}`.replace(/\s+:/, ':');
  }
}

async function api(path, { method = 'GET', token = state.token, base = API, body } = {}) {
  let response;
  try {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'Network error', `run-service did not answer (${e.message}). Is it running?`);
  }
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    answer = null;
  }
  if (!response.ok) {
    const detail = answer && typeof answer.detail === 'string' && answer.detail
      ? answer.detail
      : `run-service answered ${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, (answer && answer.title) || response.statusText, detail);
  }
  return answer;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---------- DOM helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function humanSeconds(seconds) {
  const abs = Math.abs(seconds);
  if (abs < 60) return `${abs} s`;
  if (abs < 3600) return `${Math.floor(abs / 60)} min`;
  if (abs < 86400) return `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`;
  return `${Math.floor(abs / 86400)} d`;
}

function ago(iso) {
  if (!iso) return null;
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return seconds >= 0 ? `${humanSeconds(seconds)} ago` : `in ${humanSeconds(seconds)}`;
}

function time(iso, fallback = '—') {
  if (!iso) return document.createTextNode(fallback);
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
}

function humanDuration(iso) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(iso || '');
  if (!m) return iso || '';
  const parts = [];
  if (m[1]) parts.push(`${m[1]} h`);
  if (m[2]) parts.push(`${m[2]} min`);
  if (m[3]) parts.push(`${Number(m[3])} s`);
  return parts.join(' ') || '0 s';
}

function statusBadge(status) {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}

const STUCK_WORDS = {
  start_timeout: 'no first heartbeat within its start timeout',
  heartbeat_timeout: 'no heartbeat within its heartbeat timeout',
  stop_timeout: 'not stopped within its stop timeout',
  progress_stalled: 'heartbeating, but its progress has not moved within its progress timeout',
};

function stuckText(run) {
  const s = run.stuck;
  const timeout = { start_timeout: run.timeouts.start, heartbeat_timeout: run.timeouts.heartbeat,
    stop_timeout: run.timeouts.stop, progress_stalled: run.timeouts.progress }[s.reason];
  const overdue = Math.round((Date.now() - Date.parse(s.dueAt)) / 1000);
  return `Stuck: ${STUCK_WORDS[s.reason] || s.reason} (${humanDuration(timeout)}), `
    + (overdue >= 1 ? `overdue by ${humanSeconds(overdue)}` : 'overdue since just now');
}

// ---------- messages ----------

function showAlert(message, source = 'action') {
  $('alert-text').textContent = message;
  $('alert').hidden = false;
  $('alert').dataset.source = source;
}

function clearAlert(source) {
  if (!source || $('alert').dataset.source === source) {
    $('alert').hidden = true;
    $('alert-text').textContent = '';
  }
}

function notice(message) {
  $('notice').textContent = message;
}

// ---------- sign-in ----------

function decodeClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

function isOperator() {
  const roles = state.claims.roles;
  return Array.isArray(roles) ? roles.includes('operator') : roles === 'operator';
}

async function signIn(token) {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  $('sign-in-error').textContent = '';
  if (!trimmed) {
    $('sign-in-error').textContent = 'Paste a token first.';
    return;
  }
  $('sign-in-submit').disabled = true;
  try {
    await api('/summary', { token: trimmed });
  } catch (e) {
    $('sign-in-error').textContent = e.status === 401
      ? 'run-service refused this token: it is expired, malformed or not signed for this service.'
      : `Could not sign in: ${e.describe()}`;
    return;
  } finally {
    $('sign-in-submit').disabled = false;
  }
  sessionStorage.setItem(TOKEN_KEY, trimmed);
  start(trimmed);
}

function start(token) {
  state.token = token;
  state.claims = decodeClaims(token);
  $('who-workspace').textContent = state.claims.workspace || '?';
  $('who-subject').textContent = state.claims.sub || '?';
  $('who-role').textContent = isOperator() ? '(operator)' : '';
  $('who').hidden = false;
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('token').value = '';
  refresh();
  state.timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, POLL_MS);
}

function signOut(message) {
  clearInterval(state.timer);
  unfollow();
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { token: null, claims: {}, selected: null, timeline: null, deliveriesOf: null, runs: [],
    cursors: [null], nextCursor: null });
  $('webhook-secret').hidden = true;
  $('app').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  $('detail').hidden = true;
  clearAlert();
  $('sign-in-error').textContent = message || '';
  $('token').focus();
}

// ---------- refresh ----------

// One refresh at a time; a refresh asked for meanwhile runs once right after (with the newest filters).
function refresh() {
  if (!state.token) return Promise.resolve();
  if (state.running) {
    if (!state.queued) {
      state.queued = state.running.then(() => {
        state.queued = null;
        return refresh();
      });
    }
    return state.queued;
  }
  state.running = load().finally(() => {
    state.running = null;
  });
  return state.running;
}

async function load() {
  try {
    const status = state.filter.status === 'STUCK' ? '' : state.filter.status;
    const [summary, page] = await Promise.all([
      api('/summary'),
      api(query({ status, key: state.filter.key, stuck: state.filter.status === 'STUCK' ? 'true' : '',
        limit: PAGE_SIZE, cursor: state.cursors[state.cursors.length - 1] })),
    ]);
    if (!state.selected) {
      state.timeline = null;
    } else if (state.detailStale || !state.stream || !state.stream.live) {
      // Read when its stream says it changed; polled only while the stream is down.
      state.detailStale = false;
      try {
        state.timeline = await api(`/${encodeURIComponent(state.selected)}/timeline`);
      } catch (e) {
        if (e.status !== 404) throw e;
        state.selected = null;
        state.timeline = null;
        unfollow();
      }
    }
    const timeline = state.timeline;
    const hooks = isOperator() ? await loadWebhooks() : null;
    keepingFocus(() => {
      renderSummary(summary);
      renderRuns(page);
      renderDetail(timeline);
      renderWebhooks(hooks);
    });
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${POLL_MS / 1000} s`
      + (state.stream && state.stream.live ? ' · the selected run live' : '');
    if (state.pollError) {
      state.pollError = null;
      clearAlert('poll');
    }
  } catch (e) {
    if (e.status === 401) {
      signOut('Your token was refused (it may have expired). Sign in again.');
      return;
    }
    const message = `Could not refresh: ${e.describe()}`;
    if (state.pollError !== message) {
      state.pollError = message;
      showAlert(message, 'poll');
    }
  }
}

// Re-rendering replaces elements; keep keyboard focus on the "same" control.
function keepingFocus(render) {
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.focusId : null;
  render();
  if (focused) {
    const again = document.querySelector(`[data-focus-id="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

function renderSummary(summary) {
  const list = $('summary');
  list.replaceChildren();
  list.append(h('li', {}, h('button', {
    type: 'button', class: 'card', dataset: { focusId: 'card-all', status: '' },
    'aria-pressed': String(state.filter.status === ''), onclick: () => setFilter(''),
  }, h('span', { class: 'card-label' }, 'All'), h('span', { class: 'card-count' }, String(summary.total)))));
  for (const status of STATUSES) {
    const stuck = summary.stuck[status] || 0;
    list.append(h('li', {}, h('button', {
      type: 'button', class: `card card-${status.toLowerCase()}${stuck ? ' has-stuck' : ''}`,
      dataset: { focusId: `card-${status}`, status },
      'aria-pressed': String(state.filter.status === status), onclick: () => setFilter(status),
    }, h('span', { class: 'card-label' }, status),
    h('span', { class: 'card-count' }, String(summary.counts[status] || 0)),
    ACTIVE.includes(status) ? h('span', { class: stuck ? 'card-stuck' : 'card-stuck none' },
      stuck ? `⚠ ${stuck} stuck` : '0 stuck') : null)));
  }
  list.append(h('li', {}, h('button', {
    type: 'button', class: `card card-stuck-all${summary.stuckTotal ? ' has-stuck' : ''}`,
    dataset: { focusId: 'card-STUCK', status: 'STUCK' },
    'aria-pressed': String(state.filter.status === 'STUCK'), onclick: () => setFilter('STUCK'),
  }, h('span', { class: 'card-label' }, 'Stuck'), h('span', { class: 'card-count' }, String(summary.stuckTotal)))));
}

function renderRuns(page) {
  state.runs = page.items;
  state.nextCursor = page.nextCursor;
  const body = $('runs-body');
  body.replaceChildren();
  for (const run of page.items) {
    const notes = [];
    if (run.stuck) notes.push(h('span', { class: 'stuck-note' }, stuckText(run)));
    if (run.reason) notes.push(h('span', { class: 'reason' }, run.reason));
    if (run.error) notes.push(h('span', { class: 'error-text' }, run.error));
    if (!run.stuck && run.progress && run.progress.message && ACTIVE.includes(run.status)) {
      notes.push(h('span', { class: 'muted' }, run.progress.message));
    }
    body.append(h('tr', {
      class: [run.stuck ? 'stuck' : '', run.id === state.selected ? 'selected' : ''].join(' ').trim() || null,
      dataset: { runId: run.id, runKey: run.key, status: run.status },
    },
    h('th', { scope: 'row' },
      h('button', { type: 'button', class: 'link', dataset: { focusId: `open-${run.id}` },
        'aria-label': `Show run ${run.key}`, onclick: () => select(run.id) }, run.key),
      h('span', { class: 'run-id' }, run.id.slice(0, 8))),
    h('td', {}, statusBadge(run.status), run.stuck ? h('span', { class: 'badge stuck-badge' }, '⚠ STUCK') : null),
    h('td', { class: 'num' }, String(run.attempt)),
    h('td', {}, time(run.createdAt)),
    h('td', {}, time(run.progress.lastHeartbeatAt)),
    h('td', { class: 'notes' }, notes),
    h('td', { class: 'row-actions' }, actionButtons(run, 'row'))));
  }
  $('runs-empty').hidden = page.items.length > 0;
  $('page-newer').disabled = state.cursors.length <= 1;
  $('page-older').disabled = !page.nextCursor;
  $('page-info').textContent = `Page ${state.cursors.length}`;
  const f = state.filter;
  $('runs-caption').textContent = `Runs, newest first${f.status ? `, state ${f.status}` : ''}${f.key ? `, key ${f.key}` : ''}`;
}

function actionButtons(run, where) {
  const buttons = [];
  const label = (verb) => `${verb} run ${run.key}`;
  if (run.status === 'PENDING' || run.status === 'RUNNING') {
    buttons.push(h('button', { type: 'button', class: 'action', dataset: { action: 'stop', focusId: `${where}-stop-${run.id}` },
      'aria-label': label('Stop'), onclick: () => act('stop', run) }, 'Stop'));
  }
  if (ACTIVE.includes(run.status) && isOperator()) {
    buttons.push(h('button', { type: 'button', class: 'action danger', dataset: { action: 'force-stop',
      focusId: `${where}-force-${run.id}` }, 'aria-label': label('Force-stop'), onclick: () => act('force-stop', run) },
    'Force stop'));
  }
  if (RETRYABLE.includes(run.status)) {
    buttons.push(h('button', { type: 'button', class: 'action', dataset: { action: 'retry', focusId: `${where}-retry-${run.id}` },
      'aria-label': label('Retry'), onclick: () => act('retry', run) }, 'Retry'));
  }
  return buttons;
}

// ---------- webhooks (operators) ----------

async function loadWebhooks() {
  const list = await api('', { base: HOOKS });
  let deliveries = null;
  if (state.deliveriesOf && list.some((w) => w.id === state.deliveriesOf)) {
    deliveries = await api(`/${encodeURIComponent(state.deliveriesOf)}/deliveries?limit=20`, { base: HOOKS });
  } else {
    state.deliveriesOf = null;
  }
  return { list, deliveries };
}

function renderWebhooks(hooks) {
  $('webhooks').hidden = !hooks;
  if (!hooks) return;
  $('webhooks-empty').hidden = hooks.list.length > 0;
  $('webhooks-body').replaceChildren(...hooks.list.map((w) => h('tr', { dataset: { webhookId: w.id, webhookUrl: w.url,
    webhookStatus: w.status } },
  h('td', { class: 'mono' }, w.url),
  h('td', {}, w.events.join(', ')),
  h('td', {}, w.key || '—'),
  h('td', {}, h('span', { class: `badge webhook-${w.status}` }, w.status),
    w.failingSince ? h('span', { class: 'muted' }, ' since ', time(w.failingSince)) : null),
  h('td', { class: 'actions' }, webhookButtons(w)))));
  const shown = hooks.deliveries && hooks.list.find((w) => w.id === state.deliveriesOf);
  $('deliveries').hidden = !shown;
  if (!shown) return;
  $('deliveries-url').textContent = shown.url;
  $('deliveries-body').replaceChildren(...hooks.deliveries.items.map((d) => h('tr', { dataset: { deliveryStatus: d.status } },
    h('td', {}, d.eventType),
    h('td', { class: 'mono' }, d.runId.slice(0, 8)),
    h('td', {}, d.status, d.nextAttemptAt ? h('span', { class: 'muted' }, ' · next ', time(d.nextAttemptAt)) : null),
    h('td', { class: 'num' }, String(d.attempts)),
    h('td', {}, d.lastStatus ? `HTTP ${d.lastStatus}` : (d.lastError || '—')),
    h('td', { class: 'num' }, d.lastLatencyMs === null || d.lastLatencyMs === undefined ? '—' : `${d.lastLatencyMs} ms`),
    h('td', {}, time(d.createdAt)))));
}

function webhookButtons(w) {
  const button = (action, text, onclick, extra = '') => h('button', { type: 'button', class: `action ${extra}`.trim(),
    dataset: { action, focusId: `webhook-${action}-${w.id}` }, 'aria-label': `${text} for ${w.url}`, onclick }, text);
  return [
    button('deliveries', 'Deliveries', () => {
      state.deliveriesOf = w.id;
      refresh();
    }),
    w.status === 'failing' ? button('replay', 'Replay', () => webhookAct(w, 'replay')) : null,
    button('toggle', w.enabled ? 'Disable' : 'Enable', () => webhookAct(w, w.enabled ? 'disable' : 'enable')),
    button('delete', 'Delete', () => webhookAct(w, 'delete'), 'danger'),
  ];
}

async function webhookAct(w, verb) {
  if (verb === 'delete' && !(await confirmDialog(`Delete the webhook to ${w.url}?`,
    'Its pending deliveries and its delivery log are deleted with it; the app it points at is told nothing more.',
    'Delete webhook'))) {
    return;
  }
  clearAlert('action');
  try {
    const path = `/${encodeURIComponent(w.id)}`;
    if (verb === 'delete') await api(path, { base: HOOKS, method: 'DELETE' });
    else if (verb === 'replay') await api(`${path}/replay`, { base: HOOKS, method: 'POST' });
    else await api(path, { base: HOOKS, method: 'PATCH', body: { enabled: verb === 'enable' } });
    notice(`Webhook to ${w.url}: ${verb === 'delete' ? 'deleted' : `${verb}d`}.`);
    if (verb === 'delete' && state.deliveriesOf === w.id) state.deliveriesOf = null;
  } catch (e) {
    showAlert(`Could not ${verb} the webhook to ${w.url} — ${e.describe()}`, 'action');
  }
  refresh();
}

async function subscribe(event) {
  event.preventDefault();
  clearAlert('action');
  const key = $('webhook-key').value.trim();
  try {
    const created = await api('', { base: HOOKS, method: 'POST',
      body: key ? { url: $('webhook-url').value.trim(), key } : { url: $('webhook-url').value.trim() } });
    $('webhook-secret').textContent = `Subscribed ${created.url}. Its signing secret, shown this once: ${created.secret}`;
    $('webhook-secret').hidden = false;
    $('webhook-url').value = '';
    $('webhook-key').value = '';
  } catch (e) {
    showAlert(`Could not subscribe — ${e.describe()}`, 'action');
  }
  refresh();
}

// ---------- one run ----------

// Follows the run's event stream with the token (fetch: EventSource cannot send it), resuming after a drop with
// Last-Event-ID; each change marks the detail stale and refreshes. While the stream is down the poll reads it.
function follow(id) {
  unfollow();
  const abort = new AbortController();
  state.stream = { id, abort, live: false };
  streamLoop(state.stream, null);
}

function unfollow() {
  if (state.stream) state.stream.abort.abort();
  state.stream = null;
}

async function streamLoop(stream, lastEventId) {
  let lastId = lastEventId;
  while (!stream.abort.signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream' };
      if (lastId) headers['Last-Event-ID'] = lastId;
      const response = await fetch(`${API}/${encodeURIComponent(stream.id)}/events`,
        { headers, signal: stream.abort.signal, cache: 'no-store' });
      if (response.status === 401 || response.status === 404) {
        stream.live = false; // signed out, or the run is gone: the poll says which; nothing to follow
        return;
      }
      if (!response.ok) throw new Error(`the run's stream answered ${response.status}`);
      stream.live = true;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const idLine = buffer.slice(0, end).split('\n').find((line) => line.startsWith('id:'));
          buffer = buffer.slice(end + 2);
          if (idLine) { // a change (a comment only keeps the connection open)
            lastId = idLine.slice(3).trim();
            state.detailStale = true;
            refresh();
          }
        }
      }
    } catch (e) {
      if (stream.abort.signal.aborted) return;
    }
    stream.live = false;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function select(id) {
  state.selected = id;
  state.detailStale = true;
  follow(id);
  $('detail').hidden = false;
  $('workspace').classList.add('with-detail');
  refresh().then(() => $('detail-heading').focus());
}

const ACTIONS = {
  created: 'Created',
  started: 'First heartbeat',
  stop_requested: 'Stop requested',
  stop_resent: 'Stop re-sent',
  timed_out: 'Timed out',
  finished: 'Finished',
  force_terminated: 'Forced after its stop timeout',
  force_stopped: 'Force-stopped',
  retried: 'Retried',
  progress: 'Progress',
};

const OUTCOMES = { DELETED: 'Deleted', ALREADY_GONE: 'Already gone', FAILED: 'Could not delete' };
const TRIGGERS = { RUN_FINISHED: 'after the run finished', GARBAGE_COLLECTION: 'by garbage collection' };

function renderDetail(timeline) {
  if (!timeline) {
    $('detail').hidden = true;
    $('workspace').classList.remove('with-detail');
    return;
  }
  const run = timeline.run;
  $('detail').hidden = false;
  $('detail').dataset.runId = run.id;
  $('detail-key').textContent = `“${run.key}”`;
  $('detail-stuck').replaceChildren(run.stuck ? h('p', { class: 'stuck-note block' }, `⚠ ${stuckText(run)}`) : '');
  const facts = [
    ['State', statusBadge(run.status)],
    ['Current attempt', h('span', { id: 'detail-attempt' }, String(run.attempt))],
    ['Attempt began', time(run.attemptCreatedAt)],
    ['Run id', h('code', {}, run.id)],
    ['Kind', run.kind || '—'],
    ['Agent', run.agentId || '—'],
    ['Reason', run.reason || '—'],
    ['Error', run.error || '—'],
    ['Timeouts', `heartbeat ${humanDuration(run.timeouts.heartbeat)}, start ${humanDuration(run.timeouts.start)}, `
      + `stop ${humanDuration(run.timeouts.stop)}, max ${humanDuration(run.timeouts.maxDuration)}`],
    ['Progress', run.progress.steps !== null || run.progress.message
      ? `${run.progress.steps ?? '—'} steps${run.progress.message ? `: ${run.progress.message}` : ''}` : '—'],
    ['Heartbeats', `${run.progress.heartbeats}, last `, time(run.progress.lastHeartbeatAt, 'none yet')],
    ['Stop requests', String(run.stopAttempts)],
    ['Cleans up', run.cleanup
      ? `${run.cleanup.namespace}: ${Object.entries(run.cleanup.labels || {}).map(([k, v]) => `${k}=${v}`).join(', ')}`
      : 'nothing in Kubernetes'],
  ];
  $('detail-facts').replaceChildren(...facts.flatMap(([term, ...value]) => [h('dt', {}, term), h('dd', {}, value)]));
  $('detail-actions').replaceChildren(...actionButtons(run, 'detail'));
  $('timeline').replaceChildren(...timeline.entries.map(timelineItem));
}

function timelineItem(entry) {
  let what;
  if (entry.kind === 'cleanup') {
    const r = entry.resource;
    what = [h('strong', {}, OUTCOMES[r.outcome] || r.outcome), ` ${r.kind} ${r.namespace}/${r.name} `,
      h('span', { class: 'muted' }, TRIGGERS[r.trigger] || r.trigger)];
  } else {
    what = [h('strong', {}, ACTIONS[entry.action] || entry.action)];
    if (entry.fromStatus && entry.toStatus && entry.fromStatus !== entry.toStatus) {
      what.push(` ${entry.fromStatus} → ${entry.toStatus}`);
    } else if (entry.toStatus && !entry.fromStatus) {
      what.push(` → ${entry.toStatus}`);
    }
    if (entry.reason) what.push(h('span', { class: 'reason' }, ` ${entry.reason}`));
  }
  return h('li', { class: `tl-${entry.kind}`, dataset: { kind: entry.kind, action: entry.action } },
    h('div', { class: 'tl-head' }, time(entry.at), h('span', { class: 'tl-attempt' }, `attempt ${entry.attempt}`)),
    h('div', { class: 'tl-what' }, what),
    entry.detail ? h('div', { class: 'tl-detail' }, entry.detail) : null,
    entry.actor ? h('div', { class: 'tl-actor muted' }, `by ${entry.actor}`) : null);
}

// ---------- actions ----------

const VERBS = {
  stop: {
    title: (run) => `Stop run “${run.key}”?`,
    text: (run) => `Vigil asks the agent to stop: the run becomes TERMINATING. If it has not stopped within its stop `
      + `timeout (${humanDuration(run.timeouts.stop)}), the stop is re-sent while the agent lives, and the run is `
      + 'finalized when it does not.',
    ok: 'Stop run',
    path: (run) => `/${run.id}/stop`,
    done: 'Stop',
  },
  'force-stop': {
    title: (run) => `Force-stop run “${run.key}”?`,
    text: () => 'The run is finalized at once as ABORTED (user_force) without waiting for the agent, and its '
      + 'Kubernetes resources are cleaned up. Use this when you know the agent is gone. The audit trail records '
      + 'that you did it.',
    ok: 'Force stop',
    path: (run) => `/${run.id}/stop?force=true`,
    done: 'Force stop',
  },
  retry: {
    title: (run) => `Retry run “${run.key}”?`,
    text: (run) => `Starts attempt ${run.attempt + 1} as PENDING with its timeouts re-armed. Anything still arriving `
      + `from attempt ${run.attempt} is ignored.`,
    ok: 'Retry',
    path: (run) => `/${run.id}/retry`,
    done: 'Retry',
  },
};

function confirmDialog(title, text, ok) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = ok;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

async function act(verb, run) {
  const spec = VERBS[verb];
  const opener = document.activeElement;
  if (!(await confirmDialog(spec.title(run), spec.text(run), spec.ok))) {
    if (opener && opener.isConnected) opener.focus();
    return;
  }
  clearAlert('action');
  try {
    const after = await api(spec.path(run), { method: 'POST' });
    notice(`${spec.done} of run “${run.key}”: now ${after.status}, attempt ${after.attempt}.`);
  } catch (e) {
    if (e.status === 401) {
      signOut('Your token was refused (it may have expired). Sign in again.');
      return;
    }
    showAlert(`${spec.done} of run “${run.key}” failed — ${e.describe()}`, 'action');
  }
  await refresh();
  const again = opener && opener.dataset ? document.querySelector(`[data-focus-id="${CSS.escape(opener.dataset.focusId || '')}"]`) : null;
  (again || $('runs-heading')).focus();
}

// ---------- filters and paging ----------

function setFilter(status) {
  state.filter.status = status;
  $('filter-status').value = status;
  state.cursors = [null];
  refresh();
}

function wire() {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('token').value);
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('alert-close').addEventListener('click', () => clearAlert());
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    state.filter = { status: $('filter-status').value, key: $('filter-key').value.trim() };
    state.cursors = [null];
    refresh();
  });
  $('filter-clear').addEventListener('click', () => {
    $('filter-status').value = '';
    $('filter-key').value = '';
    state.filter = { status: '', key: '' };
    state.cursors = [null];
    refresh();
  });
  $('page-older').addEventListener('click', () => {
    if (state.nextCursor) {
      state.cursors.push(state.nextCursor);
      refresh();
    }
  });
  $('page-newer').addEventListener('click', () => {
    if (state.cursors.length > 1) {
      state.cursors.pop();
      refresh();
    }
  });
  $('webhook-form').addEventListener('submit', subscribe);
  $('detail-close').addEventListener('click', () => {
    const id = state.selected;
    state.selected = null;
    state.timeline = null;
    unfollow();
    renderDetail(null);
    const back = id && document.querySelector(`[data-focus-id="open-${CSS.escape(id)}"]`);
    (back || $('runs-heading')).focus();
  });
}

wire();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  start(saved);
} else {
  $('token').focus();
}
