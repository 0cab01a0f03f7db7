'use strict';
// trawl's compliance pages: /compliance (each rule's failing and passing
// branches, a trend drawn as inline SVG, drill-down to evidence with
// permalinks) and /matrix (repositories × branches → the version of a
// dependency or an indicator, with the head commit). Kept apart from
// app.js and self-contained: like app.js it builds every element with
// createElement and textContent, so nothing from the index is parsed as
// HTML, and it needs no inline script or style.
(() => {
  const page = document.body.dataset.page;
  if (page !== 'compliance' && page !== 'matrix') return;

  const SVG = 'http://www.w3.org/2000/svg';
  const el = (tag, props, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids.flat()) if (c != null && c !== false) e.append(c);
    return e;
  };
  const svgEl = (tag, attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  };
  const safeURL = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null);
  const short = (c) => (c || '').slice(0, 10);
  const date = (s) => (!s || s.startsWith('0001-') ? '' : new Date(s).toISOString().replace('T', ' ').slice(0, 16) + ' UTC');

  async function api(path, params) {
    const u = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) if (v) u.searchParams.set(k, v);
    const headers = {Accept: 'application/json'};
    let t = '';
    try { t = localStorage.getItem('trawl.token') || ''; } catch { /* storage off */ }
    if (t) headers.Authorization = 'Bearer ' + t;
    const r = await fetch(u, {headers});
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    if (r.status === 401) {
      const auth = document.getElementById('auth');
      if (auth) auth.hidden = false;
    }
    if (!r.ok) throw new Error((body && body.error) || r.statusText);
    return body;
  }

  const summary = document.getElementById('summary');
  const fail = (err) => { summary.classList.add('error'); summary.textContent = err.message; };

  // trend draws one rule's failing branches per evaluation as a polyline.
  function trend(points, label) {
    const w = 160, hgt = 32, pad = 2;
    const svg = svgEl('svg', {viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, role: 'img', class: 'trend',
      'aria-label': `${label}: ${points.map((p) => p.failing).join(', ') || 'no history'}`});
    const title = svgEl('title');
    title.textContent = points.map((p) => `${date(p.at)}: ${p.failing} failing of ${p.checked}`).join('\n');
    svg.append(title);
    svg.append(svgEl('line', {x1: 0, y1: hgt - pad, x2: w, y2: hgt - pad, stroke: 'currentColor', 'stroke-opacity': 0.25}));
    if (points.length === 0) return svg;
    const max = Math.max(1, ...points.map((p) => p.failing));
    const x = (i) => (points.length === 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (points.length - 1));
    const y = (v) => hgt - pad - (v * (hgt - 2 * pad)) / max;
    const coords = points.map((p, i) => `${x(i).toFixed(1)},${y(p.failing).toFixed(1)}`);
    svg.append(svgEl('polyline', {points: coords.join(' '), fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5}));
    const last = points[points.length - 1];
    svg.append(svgEl('circle', {cx: x(points.length - 1), cy: y(last.failing), r: 2.5, fill: 'currentColor'}));
    return svg;
  }

  function evidenceList(f) {
    if (f.evidence.length === 0) return el('p', {class: 'muted'}, f.error || 'nothing found where something is required');
    const ul = el('ul', {class: 'plain evidence'}, f.evidence.map((e) => {
      const where = e.path + (e.line ? ':' + e.line : '');
      const link = safeURL(e.url) ? el('a', {href: e.url, rel: 'noopener', target: '_blank'}, where) : el('code', null, where);
      return el('li', null, link, e.text ? ' ' : '', e.text ? el('code', null, e.text) : null,
        e.advisory ? el('span', {class: 'tag'}, e.advisory + (e.fixed ? ` · fixed in ${e.fixed}` : '')) : null,
        e.summary ? ' ' + e.summary : '');
    }));
    if (f.evidence_omitted) ul.append(el('li', {class: 'muted'}, `and ${f.evidence_omitted} more`));
    return ul;
  }

  async function compliancePage() {
    let rep;
    try {
      rep = await api('/api/compliance', {history: '720h'});
    } catch (err) { fail(err); return; }
    const box = document.getElementById('compliance');
    summary.classList.remove('error');
    if (rep.rules.length === 0) {
      summary.textContent = 'No rules evaluated yet: add rules: to trawl.yaml (trawl check -h) and let trawl serve crawl.';
      box.replaceChildren();
      return;
    }
    const failingRules = rep.rules.filter((r) => r.status !== 'pass').length;
    summary.textContent = `${rep.rules.length} rules evaluated ${date(rep.evaluated_at)}; ${failingRules} failing or in error.`;
    const history = rep.history || [];
    const rows = rep.rules.map((r) => {
      const pts = history.map((p) => {
        const c = (p.counts || []).find((x) => x.rule === r.id);
        return c ? {at: p.at, failing: c.failing, checked: c.checked} : null;
      }).filter(Boolean);
      const passing = r.branches_checked - r.branches_failing - r.branches_error;
      return el('tr', {dataset: {rule: r.id, status: r.status}},
        el('th', {scope: 'row'}, el('code', null, r.id), el('div', {class: 'muted'}, r.title)),
        el('td', null, r.severity), el('td', {class: 'status'}, r.status),
        el('td', {class: 'num failing'}, String(r.branches_failing)),
        el('td', {class: 'num passing'}, String(passing)),
        el('td', {class: 'num'}, String(r.branches_error)),
        el('td', null, trend(pts, `failing branches of ${r.id} over time`)));
    });
    box.replaceChildren(
      el('p', null, el('a', {href: '/api/compliance?format=csv'}, 'Download CSV'), ' · ', el('a', {href: '/matrix'}, 'Version matrix')),
      el('div', {class: 'scroll'}, el('table', {class: 'grid compliance'},
        el('thead', null, el('tr', null, ['Rule', 'Severity', 'Status', 'Failing', 'Passing', 'Errors', 'Failing, last 30 days']
          .map((c) => el('th', {scope: 'col'}, c)))),
        el('tbody', null, rows))));
    for (const r of rep.rules) {
      if (r.status === 'pass') continue;
      const items = r.failing.map((f) => el('li', {dataset: {repo: f.repo, branch: f.branch}},
        el('strong', null, `${f.repo}@${f.branch}`), ` ${short(f.commit)} · failing since ${date(f.since)}`, evidenceList(f)));
      for (const e of r.errors || []) {
        items.push(el('li', {dataset: {repo: e.repo, branch: e.branch}}, el('strong', null, `${e.repo}@${e.branch}`), ' error: ', e.error));
      }
      box.append(el('details', {class: 'drill', id: 'rule-' + r.id, dataset: {rule: r.id}},
        el('summary', null, `${r.id}: ${r.branches_failing} failing`, r.branches_error ? `, ${r.branches_error} in error` : '',
          ` of ${r.branches_checked} branches`),
        r.error ? el('p', {class: 'error'}, r.error) : null,
        el('ul', {class: 'plain'}, items)));
    }
    box.dataset.rendered = '1';
  }

  async function matrixPage() {
    const form = document.getElementById('matrix-form');
    const params = new URLSearchParams(location.search);
    for (const n of ['dependency', 'indicator', 'repo', 'branch']) if (params.get(n)) form.elements[n].value = params.get(n);
    const box = document.getElementById('matrix');
    if (!params.get('dependency') && !params.get('indicator')) {
      summary.textContent = 'Name a dependency (as trawl deps names it) or an indicator to compare its versions across branches.';
      return;
    }
    let m;
    try {
      m = await api('/api/compliance/matrix', Object.fromEntries(params));
    } catch (err) { fail(err); return; }
    summary.classList.remove('error');
    const branches = [...new Set(m.repos.flatMap((r) => r.branches.map((b) => b.branch)))].sort();
    const used = m.repos.reduce((n, r) => n + r.branches.filter((b) => b.versions.length).length, 0);
    summary.textContent = `${m.kind} ${m.name}: found on ${used} of ${m.repos.reduce((n, r) => n + r.branches.length, 0)} branches.`;
    const rows = m.repos.map((r) => {
      const byName = Object.fromEntries(r.branches.map((b) => [b.branch, b]));
      const def = r.branches.find((b) => b.default);
      const base = def ? def.versions.join(', ') : null;
      return el('tr', {dataset: {repo: r.repo}}, el('th', {scope: 'row'}, r.repo), branches.map((name) => {
        const b = byName[name];
        if (!b) return el('td', {class: 'muted'}, '');
        const v = b.versions.join(', ') || '—';
        // A version that differs from the default branch's is marked.
        const shown = base !== null && !b.default && v !== (base || '—') ? el('mark', null, v) : el('span', null, v);
        return el('td', {dataset: {branch: name, version: b.versions.join(',')}, title: b.commit},
          shown, b.default ? el('span', {class: 'tag'}, 'default') : null, el('div', {class: 'muted'}, el('code', null, short(b.commit))));
      }));
    });
    box.replaceChildren(el('div', {class: 'scroll'}, el('table', {class: 'grid matrix'},
      el('thead', null, el('tr', null, el('th', {scope: 'col'}, 'Repository'), branches.map((b) => el('th', {scope: 'col'}, b)))),
      el('tbody', null, rows))));
    box.dataset.rendered = params.toString();
  }

  const load = page === 'compliance' ? compliancePage : matrixPage;
  const auth = document.getElementById('auth');
  if (auth) auth.addEventListener('submit', () => setTimeout(load, 0));
  load();
})();
