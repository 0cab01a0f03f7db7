'use strict';
// The Changes page: campaigns of trawl change, each resource's state and
// pull request, and a campaign's diffs. Self-contained on purpose (its own
// element helper and API call), so that it does not depend on app.js's
// internals; like app.js it builds every element with textContent only.

(() => {
  const byId = (id) => document.getElementById(id);

  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids.flat()) if (c != null && c !== false) e.append(c);
    return e;
  }

  // Pull request links come from the host's API: only http(s) passes.
  const safeURL = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null);

  async function getJSON(path) {
    const headers = {Accept: 'application/json'};
    let token = '';
    try { token = localStorage.getItem('trawl.token') || ''; } catch { /* private mode */ }
    if (token) headers.Authorization = 'Bearer ' + token;
    const r = await fetch(path, {headers});
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    if (r.status === 401) { const a = byId('auth'); if (a) a.hidden = false; }
    if (!r.ok) throw new Error((body && body.error) || r.statusText);
    return body;
  }

  // stateClass groups states for styling: failed: REASON is one class.
  const stateClass = (s) => 'state state-' + (s.startsWith('failed') ? 'failed' : s.replace(/[^a-z_]/g, ''));

  function stateBadge(s) { return el('span', {class: stateClass(s)}, s); }

  function prLink(url) {
    const u = safeURL(url);
    if (!u) return '';
    const m = /\/pull\/(\d+)$/.exec(u);
    return el('a', {href: u, class: 'pr', rel: 'noopener'}, m ? '#' + m[1] : 'pull request');
  }

  function diffBlock(diff) {
    const pre = el('pre', {class: 'diff'});
    for (const line of diff.split('\n')) {
      let cls = null;
      if (line.startsWith('+++') || line.startsWith('---')) cls = 'diff-file';
      else if (line.startsWith('@@')) cls = 'diff-hunk';
      else if (line.startsWith('+')) cls = 'diff-add';
      else if (line.startsWith('-')) cls = 'diff-del';
      pre.append(el('span', {class: cls}, line), '\n');
    }
    return pre;
  }

  function renderList(box, campaigns) {
    if (campaigns.length === 0) {
      box.replaceChildren(el('p', {class: 'muted'}, 'No campaign yet. Plan one with trawl change plan --id ID …'));
      return;
    }
    box.replaceChildren(el('table', {class: 'grid changes'},
      el('thead', null, el('tr', null, ['Campaign', 'Action', 'Selected by', 'Resources', 'States'].map((c) => el('th', {scope: 'col'}, c)))),
      el('tbody', null, campaigns.map((c) => el('tr', {'data-id': c.id},
        el('td', null, el('a', {href: '/changes?' + new URLSearchParams({id: c.id})}, c.id)),
        el('td', null, c.action),
        el('td', null, el('code', null, c.query || `${c.dependency} ${c.version_range || ''}`.trim())),
        el('td', {class: 'num'}, String(c.changes.length)),
        el('td', null, Object.entries(c.states).sort().flatMap(([s, n]) => [el('span', {class: stateClass(s)}, `${s} ${n}`), ' '])))))));
  }

  function renderDetail(box, c) {
    box.hidden = false;
    const rows = c.changes.map((r) => {
      const files = r.files.length === 0 ? el('span', {class: 'muted'}, 'no file changes')
        : el('details', {class: 'diffs'}, el('summary', null, r.files.map((f) => f.path).join(', ')),
          r.files.map((f) => diffBlock(f.diff || '')));
      return el('tr', {'data-repo': r.repo, 'data-branch': r.branch},
        el('td', null, el('span', {class: 'repo'}, r.repo), '@', el('span', {class: 'branch'}, r.branch),
          el('div', {class: 'muted'}, `base ${r.base_commit.slice(0, 10)} → ${r.head_branch}`)),
        el('td', null, stateBadge(r.state)),
        el('td', null, prLink(r.pull_request)),
        el('td', null, files));
    });
    box.replaceChildren(
      el('h2', null, c.id),
      el('p', null, c.action, ' · ', el('code', null, c.query || `${c.dependency} ${c.version_range || ''}`.trim())),
      el('pre', {class: 'message'}, c.message),
      el('table', {class: 'grid resources'},
        el('thead', null, el('tr', null, ['Repository@branch', 'State', 'Pull request', 'Diff'].map((t) => el('th', {scope: 'col'}, t)))),
        el('tbody', null, rows)));
  }

  async function init() {
    const summary = byId('summary');
    const id = new URLSearchParams(location.search).get('id');
    try {
      const list = await getJSON('/api/changes');
      renderList(byId('changes'), list.campaigns);
      summary.textContent = `${list.campaigns.length} campaign${list.campaigns.length === 1 ? '' : 's'}.`;
      if (id) renderDetail(byId('change-detail'), await getJSON('/api/changes/' + encodeURIComponent(id)));
      document.body.dataset.ready = '1';
    } catch (err) {
      summary.classList.add('error');
      summary.textContent = 'Error: ' + err.message;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (document.body.dataset.page === 'changes') init();
  });
})();
