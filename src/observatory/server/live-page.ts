/**
 * The live page: every hook event as it arrives, newest first, with a filter. Plain HTML, CSS and a small
 * script served by the observatory itself (no CDN, no build step, works offline, strict CSP: no inline script).
 * It reads `/events` with the browser's EventSource, which reconnects on its own.
 */

export const LIVE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claude Code hooks observatory</title>
<link rel="stylesheet" href="/live.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<header>
  <h1>Claude Code hooks observatory</h1>
  <span id="status" class="status connecting">connecting…</span>
  <span id="count">0 events</span>
  <input id="filter" type="search" placeholder="filter: event, tool, session, text" autocomplete="off">
  <button id="pause" type="button">Pause</button>
  <button id="clear" type="button">Clear</button>
</header>
<main>
  <table>
    <thead><tr><th>time</th><th>event</th><th>session</th><th>tool</th><th>summary</th></tr></thead>
    <tbody id="events"></tbody>
  </table>
  <p id="empty">Waiting for hook events. Send one with:<br>
  <code>curl -s -X POST -H 'Content-Type: application/json' -d '{"tool_name":"Bash"}' 'http://127.0.0.1:23518/hook?event=PreToolUse'</code></p>
</main>
<script src="/live.js"></script>
</body>
</html>
`

export const LIVE_CSS = `:root { color-scheme: dark; --bg: #111418; --fg: #d8dee9; --dim: #7b8494; --line: #232a33; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
header { position: sticky; top: 0; display: flex; gap: 12px; align-items: center; padding: 10px 16px;
  background: #161b22; border-bottom: 1px solid var(--line); }
h1 { font-size: 15px; margin: 0 12px 0 0; font-weight: 600; }
#filter { flex: 1; max-width: 420px; padding: 5px 8px; background: var(--bg); color: var(--fg);
  border: 1px solid var(--line); border-radius: 4px; }
button { padding: 5px 10px; background: #21262d; color: var(--fg); border: 1px solid var(--line); border-radius: 4px; cursor: pointer; }
.status { padding: 2px 8px; border-radius: 10px; font-size: 12px; }
.status.live { background: #1f3d2b; color: #7ee2a8; }
.status.connecting { background: #3d361f; color: #e2cf7e; }
.status.down { background: #3d1f1f; color: #e27e7e; }
#count { color: var(--dim); }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; color: var(--dim); font-weight: normal; padding: 6px 16px; border-bottom: 1px solid var(--line); }
td { padding: 4px 16px; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
td.summary { white-space: normal; word-break: break-word; color: var(--fg); }
tr.new { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: #2a3340; } to { background: transparent; } }
@media (prefers-reduced-motion: reduce) { tr.new { animation: none; } }
.ev { font-weight: 600; }
.ev-PreToolUse { color: #79c0ff; } .ev-PostToolUse { color: #56d4dd; } .ev-PostToolUseFailure { color: #ff7b72; }
.ev-UserPromptSubmit { color: #d2a8ff; } .ev-PermissionRequest, .ev-Notification { color: #e3b341; }
.ev-Stop, .ev-SubagentStop, .ev-SessionEnd { color: #8b949e; } .ev-SessionStart, .ev-SubagentStart { color: #7ee787; }
#empty { color: var(--dim); padding: 24px 16px; }
code { color: var(--fg); }
`

/**
 * The page's icon. Linked from the page so browsers ask for it instead of /favicon.ico, which the hook route
 * (POST on any path) would answer with 405 and a console error.
 */
export const LIVE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#161b22"/>
<circle cx="16" cy="16" r="9" fill="none" stroke="#79c0ff" stroke-width="3"/>
<circle cx="16" cy="16" r="3" fill="#7ee787"/>
</svg>
`

export const LIVE_JS = `'use strict';
(function () {
  var tbody = document.getElementById('events');
  var statusEl = document.getElementById('status');
  var countEl = document.getElementById('count');
  var filterEl = document.getElementById('filter');
  var pauseEl = document.getElementById('pause');
  var emptyEl = document.getElementById('empty');
  var MAX_ROWS = 2000;
  var count = 0;
  var paused = false;
  var held = [];

  function setStatus(kind, text) { statusEl.className = 'status ' + kind; statusEl.textContent = text; }

  function text(value) {
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  function summary(e) {
    var input = e.tool_input || {};
    if (e.prompt) return e.prompt;
    if (input.command) return input.command;
    if (input.file_path) return input.file_path;
    if (input.pattern) return input.pattern;
    if (input.url) return input.url;
    if (e.message) return e.message;
    if (e.reason) return e.reason;
    if (e._raw) return e._raw;
    return '';
  }

  function cell(value, cls) {
    var td = document.createElement('td');
    if (cls) td.className = cls;
    td.textContent = value;
    return td;
  }

  function matches(row) {
    var q = filterEl.value.trim().toLowerCase();
    return q === '' || row.dataset.search.indexOf(q) !== -1;
  }

  function add(line) {
    var e;
    try { e = JSON.parse(line); } catch (err) { return; }
    count++;
    countEl.textContent = count + (count === 1 ? ' event' : ' events');
    emptyEl.style.display = 'none';
    var tr = document.createElement('tr');
    tr.className = 'new';
    var time = text(e._ts).replace(/^\\d{4}-\\d{2}-\\d{2}T/, '').replace(/\\+00:00$/, '');
    var ev = text(e._event);
    tr.appendChild(cell(time));
    tr.appendChild(cell(ev, 'ev ev-' + ev.replace(/[^A-Za-z]/g, '')));
    tr.appendChild(cell(text(e.session_id).slice(0, 8)));
    tr.appendChild(cell(text(e.tool_name)));
    tr.appendChild(cell(text(summary(e)).slice(0, 300), 'summary'));
    tr.dataset.search = line.toLowerCase();
    tr.hidden = !matches(tr);
    tbody.insertBefore(tr, tbody.firstChild);
    while (tbody.childNodes.length > MAX_ROWS) tbody.removeChild(tbody.lastChild);
  }

  filterEl.addEventListener('input', function () {
    for (var i = 0; i < tbody.rows.length; i++) tbody.rows[i].hidden = !matches(tbody.rows[i]);
  });
  pauseEl.addEventListener('click', function () {
    paused = !paused;
    pauseEl.textContent = paused ? 'Resume (' + held.length + ')' : 'Pause';
    if (!paused) { held.forEach(add); held = []; }
  });
  document.getElementById('clear').addEventListener('click', function () {
    tbody.textContent = ''; count = 0; countEl.textContent = '0 events';
  });

  var source = new EventSource('/events');
  source.onopen = function () { setStatus('live', 'live'); };
  source.onerror = function () { setStatus(source.readyState === 2 ? 'down' : 'connecting', source.readyState === 2 ? 'disconnected' : 'reconnecting…'); };
  source.onmessage = function (msg) {
    if (paused) { held.push(msg.data); pauseEl.textContent = 'Resume (' + held.length + ')'; return; }
    add(msg.data);
  };
  source.addEventListener('dropped', function (msg) {
    setStatus('connecting', msg.data + ' events skipped (page too slow)');
  });
})();
`
