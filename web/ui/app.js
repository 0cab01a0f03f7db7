'use strict';
// trawl's UI. Every element is built with createElement and textContent:
// nothing that comes from the index is ever parsed as HTML, and the page's
// Content-Security-Policy forbids inline script and style anyway.

const $ = (id) => document.getElementById(id);

// h builds an element: h('a', {href, class, text, on: {click}}, ...children).
function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat()) if (c != null && c !== false) e.append(c);
  return e;
}

// Links to other hosts come from repository metadata: only http(s) passes.
const safeURL = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null);

const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many || one + 's'}`;

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

function when(s) {
  if (!s || s.startsWith('0001-')) return 'never';
  const d = new Date(s);
  const secs = Math.round((Date.now() - d) / 1000);
  let rel;
  if (secs < -60) rel = 'in ' + dur(-secs * 1e9).replace(/\.\d s$/, ' s');
  else if (secs < 60) rel = 'just now';
  else if (secs < 3600) rel = `${Math.round(secs / 60)} min ago`;
  else if (secs < 86400) rel = `${Math.round(secs / 3600)} h ago`;
  else rel = `${Math.round(secs / 86400)} days ago`;
  return h('time', {datetime: d.toISOString(), title: d.toLocaleString()}, rel);
}

function fileHref(repo, branch, path, q) {
  const p = new URLSearchParams({repo, branch, path});
  if (q) p.set('q', q);
  return '/file?' + p;
}

function searchHref(q) { return '/?' + new URLSearchParams({q}); }

// ---- API and token -------------------------------------------------------

const TOKEN_KEY = 'trawl.token';
const getToken = () => { try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; } };
let retry = null; // what to run again once a token is given

class APIError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function api(path, params, signal, method) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  const headers = {Accept: 'application/json'};
  const t = getToken();
  if (t) headers.Authorization = 'Bearer ' + t;
  const r = await fetch(u, {headers, signal, method: method || 'GET'});
  let body = null;
  try { body = await r.json(); } catch { /* not JSON: keep the status text */ }
  if (r.status === 401) $('auth').hidden = false;
  if (!r.ok) throw new APIError(r.status, (body && body.error) || r.statusText);
  return body;
}

function initAuth() {
  const form = $('auth');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    try { localStorage.setItem(TOKEN_KEY, $('token').value.trim()); } catch { /* private mode */ }
    $('token').value = '';
    form.hidden = true;
    if (retry) retry();
  });
}

function showError(el, err) {
  el.classList.add('error');
  el.textContent = err.status === 401 ? 'This server wants an API token (above).' : `Error: ${err.message}`;
}

// ---- highlighting ------------------------------------------------------------

const enc = new TextEncoder();
const dec = new TextDecoder();

// marked returns text with the byte ranges [start, end) wrapped in <mark>.
// The API counts UTF-8 bytes; JavaScript strings count UTF-16 units.
function marked(text, ranges) {
  const frag = document.createDocumentFragment();
  if (!ranges || ranges.length === 0) { frag.append(text); return frag; }
  const ascii = /^[\x00-\x7f]*$/.test(text);
  const buf = ascii ? null : enc.encode(text);
  const n = ascii ? text.length : buf.length;
  const slice = (a, b) => (ascii ? text.slice(a, b) : dec.decode(buf.subarray(a, b)));
  let pos = 0;
  for (const [s, e] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (s < pos || e > n) continue;
    if (s > pos) frag.append(slice(pos, s));
    frag.append(h('mark', null, slice(s, e)));
    pos = e;
  }
  if (pos < n) frag.append(slice(pos, n));
  return frag;
}

// termRe finds term as a whole, space-separated part of a query.
function termRe(term) { return new RegExp(`(^|\\s)${term.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?=\\s|$)`); }

// reEscape quotes RE2 metacharacters; a slash needs none in a field value.
function reEscape(s) { return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'); }
function quoteTerm(s) { return /[\s"()]/.test(s) ? '"' + s.replace(/[\\"]/g, '\\$&') + '"' : s; }

// ---- search page ---------------------------------------------------------

const PAGE_FILES = 100; // files per page; a page ends after the path that reaches it
// A pause this long ends a burst of typing; shorter sends a request per
// keystroke, longer is felt as lag (in-flight requests are cancelled anyway).
const DEBOUNCE_MS = 80;
const SHOWN_MATCHES = 8;
const SHOWN_FACETS = 8;
const SHOWN_VERSIONS = 3; // versions of a path shown before "show more"
const LONG_LINE = 400; // characters; longer lines are trimmed around the match

// FACETS name the server's facets (stats over the whole answer) and the
// query term each value adds.
const FACETS = [
  {name: 'Repository', key: 'repository', term: (v) => `repo:^${reEscape(v)}$`},
  {name: 'Branch', key: 'branch', term: (v) => `branch:^${reEscape(v)}$`},
  {name: 'Language', key: 'language', term: (v) => 'lang:' + quoteTerm(v.toLowerCase())},
  {name: 'Extension', key: 'extension', term: (v) => `file:${reEscape(v)}$`},
];

// lexQuery splits a query into terms as the server's parser does (DESIGN.md
// §3), enough to know whether the user is still typing a /regex/ or a
// "quote", and which terms are filters. Each term: {text, start, field,
// regex, value, neg}.
function lexQuery(src) {
  const terms = [];
  let i = 0;
  const space = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  // scan reads a /regex/ or "quote" from i; null when it is not closed.
  const scan = (close) => {
    let j = i + 1;
    let v = '';
    while (j < src.length) {
      const c = src[j];
      if (c === '\\' && j + 1 < src.length) {
        v += close === '/' && src[j + 1] === '/' ? '/' : (close === '"' ? src[j + 1] : src.slice(j, j + 2));
        j += 2;
        continue;
      }
      if (c === close) return {end: j + 1, value: v};
      v += c;
      j++;
    }
    return null;
  };
  while (i < src.length) {
    while (i < src.length && space(src[i])) i++;
    if (i >= src.length) break;
    const start = i;
    let neg = false;
    if (src[i] === '(' || src[i] === ')') { i++; continue; }
    if (src[i] === '-' && i + 1 < src.length && !space(src[i + 1]) && src[i + 1] !== ')') { neg = true; i++; }
    let field = '';
    const fm = /^(repo|branch|file|path|lang|case):/i.exec(src.slice(i));
    if (fm) { field = fm[1].toLowerCase(); i += fm[0].length; }
    const c = src[i];
    if (c === '/' || c === '"') {
      const r = scan(c);
      if (!r) return {terms, pending: c === '/' ? 'regex' : 'quote', at: i};
      terms.push({text: src.slice(start, r.end), start, field, regex: c === '/', quoted: c === '"', value: r.value, neg});
      i = r.end;
      continue;
    }
    let j = i;
    while (j < src.length && !space(src[j])) j++;
    const value = src.slice(i, j);
    if (!(value === 'or' && !field && !neg)) terms.push({text: src.slice(start, j), start, field, regex: false, value, neg});
    i = j;
  }
  return {terms, pending: null};
}

// caseSensitive says whether the query's content terms match case
// exactly: case:yes, or case:auto (the default) with an upper-case letter.
function caseSensitive(lex) {
  const c = lex.terms.find((t) => t.field === 'case');
  if (c) return c.value === 'yes';
  return lex.terms.some((t) => !t.field && /\p{Lu}/u.test(t.regex ? t.value.replace(/\\./g, '') : t.value));
}

// parseErrorAt turns the server's "parse error at N: msg" into the
// position as a string index (N counts UTF-8 bytes) and the message.
function parseErrorAt(text, msg) {
  const m = /^parse error at (\d+): ([\s\S]*)$/.exec(msg);
  if (!m) return null;
  const bytesBefore = enc.encode(text).subarray(0, Number(m[1]));
  return {at: dec.decode(bytesBefore).length, msg: m[2]};
}

function initSearch() {
  const q = $('q');
  const ctx = $('ctx');
  const results = $('results');
  const summary = $('summary');
  const more = $('more');
  const caseBtn = $('case-toggle');
  const regexBtn = $('regex-toggle');
  const params = new URLSearchParams(location.search);
  if (params.has('context')) ctx.value = params.get('context');

  let timer = 0;
  let ctrl = null;
  let keyAt = 0;
  let selected = -1;
  let shown = 0; // cards on the page
  let cursor = '';
  let current = ''; // the query the cards answer

  function syncURL(text) {
    const p = new URLSearchParams();
    if (text) p.set('q', text);
    if (ctx.value !== '2') p.set('context', ctx.value);
    const s = p.toString();
    history.replaceState(null, '', s ? '/?' + s : '/');
    document.title = text ? `${text} · trawl` : 'trawl code search';
  }

  function syncToggles() {
    const lex = lexQuery(q.value);
    caseBtn.setAttribute('aria-pressed', String(caseSensitive(lex)));
    regexBtn.setAttribute('aria-pressed', String(lex.terms.some((t) => !t.field && t.regex)));
  }

  function clear() {
    results.replaceChildren();
    $('facets').replaceChildren();
    more.hidden = true;
    shown = 0;
    cursor = '';
  }

  async function run() {
    const text = q.value;
    syncURL(text);
    syncToggles();
    if (ctrl) ctrl.abort();
    ctrl = null;
    summary.classList.remove('error', 'waiting');
    if (!text.trim()) {
      clear();
      summary.textContent = '';
      emptyPage(results);
      return;
    }
    // A /regex/ or "quote" still being typed would not parse: wait for its
    // end rather than flash an error; the answer shown stays.
    const lex = lexQuery(text);
    if (lex.pending) {
      summary.classList.add('waiting');
      summary.textContent = lex.pending === 'regex' ? 'Finish the /regex/ with a closing / to search.' : 'Close the "quote" to search.';
      return;
    }
    const mine = (ctrl = new AbortController());
    summary.classList.add('busy');
    try {
      const res = await api('/api/search', {q: text, group: 'path', limit: PAGE_FILES, context: ctx.value}, mine.signal);
      if (mine !== ctrl) return;
      clear();
      current = text;
      render(res, text, false);
    } catch (err) {
      if (err.name === 'AbortError') return;
      summary.classList.remove('busy');
      showQueryError(err, text);
      clear();
    }
  }
  retry = run;

  function showQueryError(err, text) {
    const pe = err.status === 400 && parseErrorAt(text, err.message);
    if (!pe) { showError(summary, err); return; }
    summary.classList.add('error');
    summary.replaceChildren(`Query error at character ${pe.at + 1}: ${pe.msg}`,
      h('code', {class: 'query-caret', 'aria-hidden': 'true'}, text.slice(0, pe.at), h('span', {class: 'caret'}, text.slice(pe.at, pe.at + 1) || ' '), text.slice(pe.at + 1)));
  }

  async function loadMore() {
    if (!cursor) return;
    more.disabled = true;
    try {
      const res = await api('/api/search', {q: current, group: 'path', limit: PAGE_FILES, context: ctx.value, cursor});
      render(res, current, true);
    } catch (err) {
      // The server keeps an answer for a while only: search again.
      if (err.status === 410) run(); else showError(summary, err);
    } finally {
      more.disabled = false;
    }
  }

  function render(res, text, append) {
    const st = res.stats;
    summary.classList.remove('busy');
    const plus = st.total_exact ? '' : '+';
    const count = (n, one, many) => `${n.toLocaleString()}${plus} ${n === 1 && !plus ? one : many || one + 's'}`;
    const shownPaths = st.offset + res.groups.length;
    summary.replaceChildren(
      count(st.total_files, 'file'), ' in ', count(st.total_paths, 'path'), ', ', count(st.total_matches, 'matching line'),
      h('span', {class: 'muted'}, ` · ${st.duration_ms.toFixed(1)} ms · ${plural(st.candidates, 'candidate')} read`));
    if (!st.total_exact) summary.append(h('span', {class: 'limit'}, ' · the search stopped at a limit: counts are lower bounds; narrow the query for exact ones'));
    if (!append) renderFacets(res.facets, text, plus);
    const cards = res.groups.map((g, i) => groupCard(g, res.files, shown + i, text));
    results.append(...cards);
    shown += cards.length;
    if (shown === 0) results.append(noMatchHint(text));
    cursor = res.cursor || '';
    more.hidden = !cursor;
    more.textContent = `Show more (${shownPaths.toLocaleString()} of ${st.total_paths.toLocaleString()}${plus} paths shown)`;
    if (!append) selected = -1;
    // Paint first, then stamp, so the stamp is when results were visible.
    requestAnimationFrame(() => setTimeout(() => {
      results.dataset.query = text;
      results.dataset.keyAt = String(keyAt);
      results.dataset.renderedAt = String(performance.now());
      results.dataset.cards = String(shown);
    }, 0));
  }

  function renderFacets(facets, text, plus) {
    const box = $('facets');
    box.replaceChildren();
    if (!facets) return;
    for (const facet of FACETS) {
      const sorted = facets[facet.key] || [];
      if (sorted.length === 0) continue;
      const list = h('ul', {class: 'facet-list'});
      sorted.forEach(({value: v, count: n}, i) => {
        const term = facet.term(v);
        const on = termRe(term).test(text);
        list.append(h('li', {hidden: i >= SHOWN_FACETS},
          h('button', {type: 'button', class: 'facet', 'aria-pressed': on ? 'true' : 'false', title: on ? `Remove ${term}` : `Add ${term}`,
            dataset: {term}, on: {click: () => toggleTerm(term)}},
          h('span', {class: 'facet-name'}, v), h('span', {class: 'count'}, n.toLocaleString() + plus))));
      });
      const group = h('section', {class: 'facet-group', 'aria-label': facet.name}, h('h2', null, facet.name), list);
      if (sorted.length > SHOWN_FACETS) {
        group.append(h('button', {type: 'button', class: 'linkish', on: {click: (ev) => {
          list.querySelectorAll('li[hidden]').forEach((li) => { li.hidden = false; });
          ev.currentTarget.remove();
        }}}, `show all ${sorted.length}`));
      }
      box.append(group);
    }
  }

  // setQuery puts text in the box and searches it: toggles, facets and
  // hints all write the query, so the URL stays the truth.
  function setQuery(text) {
    q.value = text.replace(/\s+/g, ' ').trim();
    run();
  }

  function toggleTerm(term) {
    const re = termRe(term);
    setQuery(re.test(q.value) ? q.value.replace(re, '$1') : `${q.value.trim()} ${term}`);
  }

  // toggleCase flips between exact case and ignoring case, writing the
  // case: term only when the default (auto) would not give what is asked.
  function toggleCase() {
    const lex = lexQuery(q.value);
    const c = lex.terms.find((t) => t.field === 'case');
    let text = c ? q.value.slice(0, c.start) + q.value.slice(c.start + c.text.length) : q.value;
    const want = !caseSensitive(lex);
    if (want !== caseSensitive(lexQuery(text))) text += want ? ' case:yes' : ' case:no';
    setQuery(text);
  }

  // toggleRegex makes the content terms /regexes/ as typed, or back into
  // literals.
  function toggleRegex() {
    const lex = lexQuery(q.value);
    if (lex.pending) return;
    const content = lex.terms.filter((t) => !t.field);
    const on = content.some((t) => t.regex);
    let text = q.value;
    for (const t of [...content].reverse()) {
      let repl;
      if (on && t.regex) repl = quoteTerm(t.value);
      else if (!on && !t.regex) repl = '/' + t.value.replace(/\//g, '\\/') + '/';
      else continue;
      const body = t.text.slice(t.neg ? 1 : 0);
      repl = (t.neg ? '-' : '') + repl;
      text = text.slice(0, t.start) + repl + text.slice(t.start + (t.neg ? 1 : 0) + body.length);
    }
    setQuery(text);
  }
  caseBtn.addEventListener('click', toggleCase);
  regexBtn.addEventListener('click', toggleRegex);

  // noMatchHint says why nothing may match and offers broader queries.
  function noMatchHint(text) {
    const lex = lexQuery(text);
    const tips = [];
    const link = (label, query) => h('a', {href: searchHref(query), class: 'hint-link', on: {click: (ev) => { ev.preventDefault(); setQuery(query); }}}, label);
    if (caseSensitive(lex)) {
      const c = lex.terms.find((t) => t.field === 'case');
      const without = c ? text.slice(0, c.start) + text.slice(c.start + c.text.length) : text;
      tips.push(h('li', null, 'The search is case-sensitive. ', link('Ignore case', without.trim() + ' case:no')));
    }
    const filters = lex.terms.filter((t) => t.field && t.field !== 'case');
    for (const f of filters) {
      tips.push(h('li', null, 'Filter ', h('code', null, f.text), ' is in force. ',
        link('Search without it', text.slice(0, f.start) + text.slice(f.start + f.text.length))));
    }
    const content = lex.terms.filter((t) => !t.field && !t.neg);
    if (content.length > 1) {
      tips.push(h('li', null, 'Every term must match in the same file. ', link('Match any of them', content.map((t) => t.text).join(' or '))));
    }
    if (content.length === 1 && !content[0].regex && content[0].value.length > 3) {
      const words = content[0].value.split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length > 2);
      if (words.length > 1) tips.push(h('li', null, 'A literal matches exactly. ', link(`Search ${words.join(' ')}`, text.replace(content[0].text, words.join(' ')))));
    }
    return h('div', {class: 'empty no-match'}, h('p', null, 'No files match.'), tips.length ? h('ul', {class: 'hints'}, tips) : null);
  }

  function select(i) {
    const cards = results.querySelectorAll('.file');
    if (cards.length === 0) return;
    i = Math.max(0, Math.min(cards.length - 1, i));
    if (selected >= 0 && cards[selected]) cards[selected].classList.remove('selected');
    selected = i;
    cards[i].classList.add('selected');
    cards[i].focus({preventScroll: true});
    cards[i].scrollIntoView({block: 'nearest'});
  }

  q.addEventListener('input', () => {
    keyAt = performance.now();
    syncToggles();
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    run();
  });
  ctx.addEventListener('change', run);
  more.addEventListener('click', loadMore);

  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t.matches('input, select, textarea')) {
      if (ev.key === 'Escape' && t === q) q.blur();
      if (ev.key === 'ArrowDown' && t === q) { ev.preventDefault(); select(0); }
      return;
    }
    if (ev.key === '/') { ev.preventDefault(); q.focus(); q.select(); }
    else if (ev.key === 'j') select(selected + 1);
    else if (ev.key === 'k') select(selected - 1);
    else if (ev.key === 'Enter' && selected >= 0 && !t.matches('a, button, summary')) {
      const a = results.querySelectorAll('.file')[selected].querySelector('a.open');
      if (a) location.href = a.href;
    }
  });

  syncToggles();
  if (q.value.trim()) run(); else { emptyPage(results); q.focus(); }
}

// emptyPage shows what the index holds and example queries (showExamples,
// from /api/examples).
async function emptyPage(box) {
  const about = h('p', {class: 'muted index-size'});
  const examples = h('div', {id: 'examples-slot'});
  box.replaceChildren(h('div', {class: 'home'}, about, examples));
  showExamples(); // fills #examples-slot from /api/examples
  try {
    const st = await api('/api/status');
    about.textContent = `Searching ${plural(st.files, 'file')} on ${plural(st.index.branches, 'branch', 'branches')} of ${plural(st.repos, 'repository', 'repositories')}.`;
  } catch { /* the box works without it */ }
}

// hunkLines merges matches and their context into numbered lines.
function hunkLines(matches) {
  const lines = new Map();
  for (const m of matches) {
    m.before.forEach((t, i) => { const n = m.line - m.before.length + i; if (!lines.has(n)) lines.set(n, {text: t}); });
    lines.set(m.line, {text: m.text, ranges: m.ranges, match: true});
    m.after.forEach((t, i) => { const n = m.line + 1 + i; if (!lines.has(n)) lines.set(n, {text: t}); });
  }
  return [...lines].sort((a, b) => a[0] - b[0]);
}

// lineText renders a line with its marks; a long (minified) line shows
// only the part around its first match, with a control to expand it.
function lineText(text, ranges) {
  if (text.length <= LONG_LINE) return marked(text, ranges);
  const buf = enc.encode(text);
  const first = ranges && ranges.length ? [...ranges].sort((a, b) => a[0] - b[0])[0] : null;
  let s = first ? Math.max(0, first[0] - 120) : 0;
  let e = Math.min(buf.length, first ? Math.max(first[1], s) + 240 : LONG_LINE);
  while (s > 0 && (buf[s] & 0xc0) === 0x80) s--;
  while (e < buf.length && (buf[e] & 0xc0) === 0x80) e++;
  const part = dec.decode(buf.subarray(s, e));
  const inside = (ranges || []).filter(([a, b]) => a >= s && b <= e).map(([a, b]) => [a - s, b - s]);
  const span = h('span', {class: 'trimmed'});
  const expand = h('button', {type: 'button', class: 'expand', title: 'Show the whole line', on: {click: (ev) => {
    ev.stopPropagation();
    span.replaceChildren(marked(text, ranges));
    span.classList.remove('trimmed');
  }}}, `⋯ ${bytes(buf.length)} line`);
  span.append(s > 0 ? '… ' : '', marked(part, inside), e < buf.length ? ' …' : '', ' ', expand);
  return span;
}

// renderMatches shows f's matching lines; skip holds line texts already
// shown for another version of the path, which are left out and counted.
function renderMatches(box, f, base, all, skip) {
  const fresh = skip ? f.matches.filter((m) => !skip.has(m.text)) : f.matches;
  const same = f.matches.length - fresh.length;
  const shown = all ? fresh : fresh.slice(0, SHOWN_MATCHES);
  box.replaceChildren();
  let prev = 0;
  let hunk = null;
  for (const [n, l] of hunkLines(shown)) {
    if (!hunk || n !== prev + 1) {
      hunk = h('div', {class: 'hunk'});
      box.append(hunk);
    }
    prev = n;
    hunk.append(h('div', {class: l.match ? 'line match' : 'line ctx'},
      h('a', {class: 'ln', href: `${base}#L${n}`, 'aria-label': `line ${n}`, tabindex: '-1'}, String(n)),
      h('code', null, lineText(l.text, l.ranges))));
  }
  if (same > 0) box.append(h('p', {class: 'same muted'}, fresh.length ? `and ${plural(same, 'matching line')} as above` : `the same ${plural(same, 'matching line')} as above`));
  const rest = fresh.length - shown.length;
  if (rest > 0) {
    box.append(h('button', {type: 'button', class: 'linkish', on: {click: () => renderMatches(box, f, base, true, skip)}},
      `show ${plural(rest, 'more matching line')}`));
  }
}

function branchTags(f, repoDefault, q) {
  return f.branches.map((b) => h('a', {class: 'branch' + (b.name === repoDefault ? ' default' : ''), href: fileHref(f.repo, b.name, f.path, q),
    title: `commit ${b.commit}` + (b.name === repoDefault ? ' (default branch)' : '')}, b.name));
}

// groupCard shows one path of one repository: its first version (the
// default branch's when it has one) in full, then the other versions with
// only the matching lines the ones above do not have.
function groupCard(g, files, i, q) {
  const versions = g.files.map((fi) => files[fi]);
  const f = versions[0];
  const first = f.branches[0] || {name: '', commit: ''};
  const def = g.default ? first.name : '';
  const href = fileHref(f.repo, first.name, f.path, q);
  const card = h('article', {class: 'file', tabindex: '-1', dataset: {index: i, versions: String(versions.length), branches: String(g.branches)},
    'aria-label': `${f.repo} ${f.path}`});
  const detail = versions.length > 1 ? `${plural(versions.length, 'version')} on ${plural(g.branches, 'branch', 'branches')}`
    : g.branches > 1 ? `on ${plural(g.branches, 'branch', 'branches')}` : '';
  const listId = `branches-${i}`;
  const list = h('div', {class: 'branch-list', hidden: true, id: listId},
    versions.map((v, k) => h('div', {class: 'version-branches'}, h('span', {class: 'muted'}, versions.length > 1 ? `version ${k + 1}: ` : ''), branchTags(v, def, q))));
  const toggle = detail ? h('button', {type: 'button', class: 'also', 'aria-expanded': 'false', 'aria-controls': listId,
    on: {click: () => { list.hidden = !list.hidden; toggle.setAttribute('aria-expanded', String(!list.hidden)); }}}, detail) : null;
  card.append(h('header', {class: 'file-title'},
    h('span', {class: 'repo'}, f.repo),
    h('a', {class: 'path open', href}, f.path),
    h('span', {class: 'tags'},
      h('span', {class: 'branch' + (def ? ' default' : ''), title: `commit ${first.commit}` + (def ? ' (default branch)' : '')}, first.name),
      toggle,
      g.generated ? h('span', {class: 'tag'}, 'generated') : null,
      g.vendored ? h('span', {class: 'tag'}, 'vendored') : null,
      f.language ? h('span', {class: 'lang'}, f.language) : null,
      safeURL(f.url) ? h('a', {class: 'permalink', href: f.url, rel: 'noopener noreferrer'}, 'permalink') : null)), list);
  const seen = new Set();
  const addVersion = (v, k) => {
    const b = v.branches[0] || {name: ''};
    const base = fileHref(v.repo, b.name, v.path, q);
    const box = h('div', {class: 'matches'});
    if (k > 0) {
      card.append(h('div', {class: 'version-head'}, h('a', {href: base}, `version ${k + 1}`), ' on ',
        h('span', {class: 'branch'}, b.name), v.branches.length > 1 ? ` and ${plural(v.branches.length - 1, 'other branch', 'other branches')}` : ''));
    }
    if (v.matches && v.matches.length) {
      renderMatches(box, v, base, false, k > 0 ? new Set(seen) : null);
      for (const m of v.matches) seen.add(m.text);
      card.append(box);
    }
  };
  const hasMatches = versions.some((v) => v.matches && v.matches.length);
  versions.slice(0, hasMatches ? SHOWN_VERSIONS : 1).forEach(addVersion);
  const rest = hasMatches ? versions.length - SHOWN_VERSIONS : 0;
  if (rest > 0) {
    const btn = h('button', {type: 'button', class: 'linkish more-versions', on: {click: () => {
      btn.remove();
      versions.slice(SHOWN_VERSIONS).forEach((v, k) => addVersion(v, k + SHOWN_VERSIONS));
    }}}, `show ${plural(rest, 'more version')}`);
    card.append(btn);
  }
  return card;
}

// ---- file page -----------------------------------------------------------

async function initFile() {
  const p = new URLSearchParams(location.search);
  const q = p.get('q') || '';
  $('q').value = q;
  const head = $('file-head');
  const body = $('file-body');
  const params = p.has('blob')
    ? {blob: p.get('blob'), q}
    : {repo: p.get('repo'), branch: p.get('branch'), path: p.get('path'), q};
  let f;
  try {
    f = await api('/api/file', params);
  } catch (err) {
    head.replaceChildren(h('p', {class: 'summary'}));
    showError(head.firstChild, err);
    retry = () => location.reload();
    return;
  }
  document.title = `${f.path || f.blob} · ${f.repo || 'blob'} · trawl`;

  const title = h('h1', {class: 'file-name'});
  if (f.repo) title.append(h('a', {class: 'repo', href: searchHref(`repo:^${reEscape(f.repo)}$`)}, f.repo), ' / ', h('span', {class: 'path'}, f.path));
  else title.append(h('span', {class: 'path'}, `blob ${f.blob}`));
  const meta = h('div', {class: 'file-meta'});
  if (f.branches && f.branches.length) {
    const sel = h('select', {id: 'branch', on: {change: () => {
      location.href = fileHref(f.repo, sel.value, f.path, q);
    }}}, f.branches.map((b) => h('option', {value: b.name, selected: b.name === f.branch},
      b.name + (b.blob === f.blob ? '' : ' (differs)') + (b.skip ? ' (not indexed)' : ''))));
    meta.append(h('label', {for: 'branch'}, 'Branch'), sel);
  }
  if (f.language) meta.append(h('span', {class: 'lang'}, f.language));
  meta.append(h('span', {class: 'muted'}, `${plural(f.lines, 'line')} · ${bytes(f.size)}`));
  if (f.commit) meta.append(h('span', {class: 'muted', title: f.commit}, `commit ${f.commit.slice(0, 10)}`));
  if (safeURL(f.url)) meta.append(h('a', {class: 'permalink', href: f.url, rel: 'noopener noreferrer'}, 'permalink'));
  if (q) meta.append(h('a', {href: searchHref(q)}, '← results'));
  meta.append(h('span', {class: 'muted keys'}, 'click a line number, shift-click for a range · ', h('kbd', null, 'y'), ' pins the link to this commit'));
  head.replaceChildren(title, meta);

  if (f.locations && f.locations.length) {
    head.append(h('details', {class: 'locations'}, h('summary', null, `at ${plural(f.locations.length, 'location')}`),
      h('ul', null, f.locations.map((l) => h('li', null, h('a', {href: fileHref(l.repo, l.branch, l.path, q)}, `${l.repo}@${l.branch}:${l.path}`))))));
  }
  if (f.skip) {
    body.replaceChildren(h('p', {class: 'summary error'}, `Not indexed: ${f.skip}.`));
    return;
  }

  const byLine = new Map(f.matches.map((m) => [m.line, m.ranges]));
  let text = f.text;
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const rows = text === '' && f.size === 0 ? [] : text.split('\n');
  const tbody = h('tbody');
  rows.forEach((line, i) => {
    const n = i + 1;
    const r = byLine.get(n);
    tbody.append(h('tr', {id: `L${n}`, class: r ? 'match' : null},
      h('td', {class: 'ln'}, h('a', {href: `#L${n}`, 'aria-label': `line ${n}`, dataset: {line: String(n)}}, String(n))),
      h('td', {class: 'src'}, h('code', null, lineText(line, r)))));
  });
  const nav = h('p', {class: 'match-nav', role: 'status'});
  body.replaceChildren(nav, h('table', {class: 'code'}, h('caption', {class: 'sr-only'}, f.path || f.blob),
    h('colgroup', null, h('col', {class: 'ln-col'}), h('col')), tbody));

  const hits = [...tbody.querySelectorAll('tr.match')];
  let at = -1;
  const clearCurrent = () => tbody.querySelectorAll('tr.current').forEach((tr) => tr.classList.remove('current'));
  function go(i) {
    if (hits.length === 0) return;
    at = (i + hits.length) % hits.length;
    clearCurrent();
    hits[at].classList.add('current');
    hits[at].scrollIntoView({block: 'center'});
    nav.textContent = `match ${at + 1} of ${hits.length} (j/k)`;
  }
  if (q) nav.textContent = hits.length ? plural(hits.length, 'matching line') + ' (j/k to move)' : 'No lines match here.';

  // Line anchors: #L10 or #L10-L20, set by clicking a line number
  // (shift-click extends), shown below the sticky header.
  let anchor = 0;
  const range = () => {
    const m = /^#L(\d+)(?:-L?(\d+))?$/.exec(location.hash);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    return [Math.min(a, b), Math.min(Math.max(a, b), rows.length)];
  };
  // Each forge writes a line's link its own way (#L10, #10, &line=10):
  // the API gives the shape. Ranges are written GitHub's way (#L10-L20)
  // where the line part is #L{line}; elsewhere the link names the first.
  const permalink = meta.querySelector('a.permalink');
  const fileURL = permalink ? permalink.href : '';
  const lineURL = f.line_url && safeURL(f.line_url.replace('{line}', '1')) ? f.line_url : '';
  function lineLink(r) {
    if (!r || !lineURL) return fileURL;
    if (r[0] !== r[1] && lineURL.endsWith('#L{line}')) return lineURL.replace('{line}', `${r[0]}-L${r[1]}`);
    return lineURL.replace('{line}', String(r[0]));
  }
  function showRange(scroll) {
    const r = range();
    clearCurrent();
    if (permalink) permalink.href = lineLink(r);
    if (!r || !$(`L${r[0]}`)) return false;
    for (let n = r[0]; n <= r[1]; n++) $(`L${n}`).classList.add('current');
    if (scroll) $(`L${r[0]}`).scrollIntoView({block: r[0] === r[1] ? 'center' : 'start'});
    body.dataset.range = r.join('-');
    return true;
  }
  tbody.addEventListener('click', (ev) => {
    const a = ev.target.closest('td.ln a');
    if (!a) return;
    ev.preventDefault();
    const n = Number(a.dataset.line);
    const hash = ev.shiftKey && anchor ? `#L${Math.min(anchor, n)}-L${Math.max(anchor, n)}` : `#L${n}`;
    if (!ev.shiftKey || !anchor) anchor = n;
    history.replaceState(null, '', location.pathname + location.search + hash);
    showRange(false);
  });
  window.addEventListener('hashchange', () => showRange(true));

  // y pins the URL to the commit shown, as GitHub's y does, so a shared
  // link says which commit it meant.
  function pin() {
    if (!f.commit) return;
    const u = new URL(location.href);
    u.searchParams.set('commit', f.commit);
    history.replaceState(null, '', u);
    nav.textContent = `Link pinned to commit ${f.commit.slice(0, 10)}.`;
  }
  const pinned = p.get('commit');
  if (pinned && f.commit && pinned !== f.commit) {
    head.append(h('p', {class: 'summary moved'}, `This link was made at commit ${pinned.slice(0, 10)}; ${f.branch} is now at ${f.commit.slice(0, 10)}, shown here. `,
      safeURL(f.url) ? h('a', {href: f.url.replace(f.commit, pinned), rel: 'noopener noreferrer'}, `see ${pinned.slice(0, 10)} on the forge`) : null));
  }

  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.matches('input, select, textarea')) {
      if (ev.key === 'Escape') ev.target.blur();
      return;
    }
    if (ev.key === 'j') go(at + 1);
    else if (ev.key === 'k') go(at - 1);
    else if (ev.key === 'y') pin();
    else if (ev.key === '/') { ev.preventDefault(); $('q').focus(); $('q').select(); }
  });
  const r0 = range();
  if (r0) anchor = r0[0];
  if (!showRange(true) && hits.length) go(0);
  body.dataset.renderedAt = String(performance.now());
}

// ---- status page ---------------------------------------------------------

// Each section asks for its own data and shows its own error, so one slow
// or failing call never hides the others.

// dur renders nanoseconds (Go's time.Duration in JSON) in human units.
function dur(ns) {
  const ms = ns / 1e6;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// countdown renders the time left until t ("in 4 min 12 s"), refreshed
// every second while it is on the page.
function countdown(t) {
  const el = h('time', {datetime: new Date(t).toISOString(), title: new Date(t).toLocaleString(), class: 'countdown'});
  const tick = () => {
    if (!el.isConnected && el.dataset.started) { clearInterval(timer); return; }
    el.dataset.started = '1';
    const left = Math.round((new Date(t) - Date.now()) / 1000);
    el.textContent = left <= 0 ? 'due now' : 'in ' + dur(left * 1e9).replace(/\.\d s$/, ' s');
  };
  const timer = setInterval(tick, 1000);
  tick();
  return el;
}

const SUMMARY_FIELDS = [
  ['repos', 'Repositories seen'], ['repos_failed', 'Repositories failed'], ['branches', 'Branches seen'],
  ['branches_changed', 'Branches changed'], ['branches_deleted', 'Branches deleted'], ['files_written', 'Files written'],
  ['files_deleted', 'Files deleted'], ['blobs_written', 'New contents'], ['bytes_indexed', 'New bytes', bytes],
  ['skipped', 'Files skipped'], ['blobs_collected', 'Contents collected'], ['dependencies', 'Dependency records'],
  ['duration_ns', 'Took', dur],
];

function section(id, title) {
  const box = $(id);
  const body = h('div', {class: 'section-body'}, h('p', {class: 'muted busy'}, 'Loading…'));
  box.replaceChildren(h('h2', null, title), body);
  return body;
}

async function statusSection() {
  const body = section('status-index', 'Index and crawler');
  let st;
  try { st = await api('/api/status'); } catch (err) { body.replaceChildren(h('p', {class: 'summary'})); showError(body.firstChild, err); return null; }
  const ix = st.index;
  const dl = (pairs) => h('dl', {class: 'kv stats'}, pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
  const parts = [dl([
    ['Repositories', st.repos.toLocaleString()],
    ['Branches', ix.branches.toLocaleString()],
    ['Files on branches', st.files.toLocaleString() + (st.uncounted_branches ? ` (+ ${plural(st.uncounted_branches, 'branch', 'branches')} not counted yet)` : '')],
    ['Size of those files', bytes(st.bytes)],
    ['Unique contents', ix.blobs.toLocaleString()],
    ['On disk', bytes(ix.disk_bytes)],
    ['Last branch crawled', when(st.last_crawl)],
  ])];
  const c = st.crawl;
  if (c) {
    const rows = [['State', c.running ? h('strong', null, 'crawling now') : 'idle']];
    if (c.last_start) rows.push(['Last crawl started', when(c.last_start)]);
    if (c.last_end && !c.running) rows.push(['Last crawl took', dur((new Date(c.last_end) - new Date(c.last_start)) * 1e6)]);
    if (c.next_crawl && !c.running) rows.push(['Next crawl', countdown(c.next_crawl)]);
    if (c.last_error) rows.push(['Last error', h('span', {class: 'error-text'}, c.last_error)]);
    parts.push(h('h3', null, 'Crawler'), dl(rows));
    const sum = c.last_summary;
    if (sum) {
      parts.push(h('details', {class: 'last-summary'}, h('summary', null, 'What the last crawl did'),
        dl(SUMMARY_FIELDS.filter(([k]) => sum[k] !== undefined).map(([k, label, fmt]) => [label, fmt ? fmt(sum[k]) : Number(sum[k]).toLocaleString()])),
        (sum.manifest_errors || []).length ? h('p', {class: 'muted'}, `${plural(sum.manifest_errors.length, 'manifest')} did not parse (their branches are indexed all the same).`) : null));
    }
  }
  body.replaceChildren(...parts);
  body.dataset.loaded = '1';
  return st;
}

async function reposSection() {
  const body = section('status-repos', 'Repositories');
  let res;
  try { res = await api('/api/repos'); } catch (err) { body.replaceChildren(h('p', {class: 'summary'})); showError(body.firstChild, err); return; }
  const repos = res.repos;
  const failed = repos.filter((r) => r.error);
  body.previousSibling.textContent = `Repositories (${repos.length.toLocaleString()})`;
  const parts = [];
  if (failed.length) parts.push(h('p', {class: 'summary error'}, `${plural(failed.length, 'repository', 'repositories')} failed in the last crawl.`));
  const filter = h('input', {type: 'search', class: 'filter', placeholder: 'Filter repositories', 'aria-label': 'Filter repositories'});
  parts.push(filter);
  const tbody = h('tbody', null, repos.map((r) => {
    const retryBtn = r.error ? h('button', {type: 'button', class: 'retry', on: {click: async (ev) => {
      const b = ev.currentTarget;
      b.disabled = true;
      try { await api('/api/crawl', {repo: r.name}, null, 'POST'); b.textContent = 'queued'; } catch (err) { b.textContent = err.status === 404 ? 'no crawler here' : `failed: ${err.message}`; }
    }}}, 'Retry') : null;
    return h('tr', {class: r.error ? 'failed' : null, dataset: {repo: r.name}},
      h('td', null, h('a', {href: searchHref(`repo:^${reEscape(r.name)}$`)}, r.name),
        r.archived ? h('span', {class: 'tag'}, 'archived') : null, r.fork ? h('span', {class: 'tag'}, 'fork') : null,
        r.error ? h('div', {class: 'error-text'}, r.error, ' ', retryBtn) : null),
      h('td', null, r.branches.length === 0 ? h('span', {class: 'muted'}, 'none indexed') :
        h('details', null, h('summary', null, plural(r.branches.length, 'branch', 'branches')),
          h('ul', {class: 'plain'}, r.branches.map((b) => h('li', null,
            h('span', {class: 'branch'}, b.name), b.default ? h('span', {class: 'tag'}, 'default') : null,
            ` ${b.commit.slice(0, 10)} · `, b.counted ? `${plural(b.files, 'file')}, ${bytes(b.bytes)}` : 'not counted yet',
            b.skipped ? ` · ${b.skipped.toLocaleString()} skipped` : '', ' · ', when(b.crawled_at)))))),
      h('td', {class: 'num'}, r.files.toLocaleString()),
      h('td', {class: 'num'}, bytes(r.bytes)),
      h('td', {class: 'num'}, r.skipped ? r.skipped.toLocaleString() : '—'),
      h('td', null, when(r.last_crawl)));
  }));
  filter.addEventListener('input', () => {
    const f = filter.value.toLowerCase();
    for (const tr of tbody.rows) tr.hidden = f !== '' && !tr.dataset.repo.toLowerCase().includes(f);
  });
  parts.push(h('div', {class: 'scroll'}, h('table', {class: 'grid repos'},
    h('thead', null, h('tr', null, ['Repository', 'Branches', 'Files', 'Size', 'Skipped', 'Last crawl'].map((c) => h('th', {scope: 'col'}, c)))),
    tbody)));
  body.replaceChildren(...parts);
  body.dataset.loaded = '1';
}

// skippedSection lists skipped files with their totals by reason; the
// totals come from the crawl's counts (statusP), the list from
// /api/skipped; reason buttons and a text box filter the list.
async function skippedSection(statusP) {
  const body = section('status-skipped', 'Skipped files');
  const totals = h('div', {class: 'reasons', role: 'group', 'aria-label': 'Skipped files by reason'});
  const filter = h('input', {type: 'search', class: 'filter', placeholder: 'Filter by path or repository', 'aria-label': 'Filter skipped files'});
  const note = h('p', {class: 'muted'});
  const tbody = h('tbody');
  let reason = '';
  const apply = () => {
    const f = filter.value.toLowerCase();
    let shown = 0;
    for (const tr of tbody.rows) {
      tr.hidden = (reason && tr.dataset.reason !== reason) || (f && !tr.dataset.text.includes(f));
      if (!tr.hidden) shown++;
    }
    for (const b of totals.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.reason === reason));
    body.dataset.shown = String(shown);
  };
  filter.addEventListener('input', apply);
  statusP.then((st) => {
    if (!st) return;
    const entries = Object.entries(st.skipped).sort((a, b) => b[1] - a[1]);
    const total = entries.reduce((n, [, v]) => n + v, 0);
    const btn = (r, label, n) => h('button', {type: 'button', class: 'reason', dataset: {reason: r}, 'aria-pressed': 'false',
      on: {click: () => { reason = r; apply(); }}}, label, ' ', h('span', {class: 'count'}, n.toLocaleString()));
    totals.replaceChildren(btn('', 'all', total), ...entries.map(([r, n]) => btn(r, r, n)));
    totals.dataset.total = String(total);
    apply();
  });
  let res;
  try { res = await api('/api/skipped', {limit: 1000}); } catch (err) { body.replaceChildren(h('p', {class: 'summary'})); showError(body.firstChild, err); return; }
  if (res.skipped.length === 0) {
    body.replaceChildren(h('p', {class: 'muted'}, 'Every file that matched the patterns was indexed.'));
    body.dataset.loaded = '1';
    return;
  }
  for (const s of res.skipped) {
    tbody.append(h('tr', {dataset: {reason: s.skip, text: `${s.repo} ${s.path}`.toLowerCase()}},
      h('td', null, s.repo), h('td', null, h('code', null, s.path)), h('td', null, s.skip),
      h('td', {class: 'num'}, bytes(s.size)),
      h('td', {title: s.branches.join(', ')}, s.branches.length > 3 ? `${s.branches.slice(0, 3).join(', ')} +${s.branches.length - 3}` : s.branches.join(', '))));
  }
  note.textContent = `${plural(res.skipped.length, 'file')} listed, ${plural(res.locations, 'copy', 'copies')} on all branches.` +
    (res.limit_hit ? ' More exist: GET /api/skipped?limit=0 or trawl skipped lists them all.' : '');
  body.replaceChildren(totals, filter, note, h('div', {class: 'scroll'}, h('table', {class: 'grid'},
    h('thead', null, h('tr', null, ['Repository', 'Path', 'Reason', 'Size', 'Branches'].map((c) => h('th', {scope: 'col'}, c)))),
    tbody)));
  apply();
  body.dataset.loaded = '1';
}

function initStatus() {
  retry = initStatus;
  $('summary').hidden = true; // each section says its own state
  const st = statusSection();
  reposSection();
  skippedSection(st);
}

// ---- dependencies page -----------------------------------------------------

const DEP_FIELDS = ['name', 'version', 'repo', 'branch'];
const DEP_ROWS = 1000; // the table shows this many records; the CSV has all
const DEP_BARS = 60;

// versionOrder sorts versions newest first, numbers compared as numbers.
const versionOrder = (a, b) => b.localeCompare(a, 'en', {numeric: true});

async function initDeps() {
  const form = $('deps-form');
  const summary = $('summary');
  const box = $('deps');
  const p = new URLSearchParams(location.search);
  const params = {};
  for (const k of DEP_FIELDS) {
    form.elements[k].value = p.get(k) || '';
    if (p.get(k)) params[k] = p.get(k);
  }
  form.elements.undecided.checked = p.get('undecided') === '1';
  if (form.elements.undecided.checked) params.undecided = '1';
  // Empty fields stay out of the URL; a page restored by Back gets them back.
  form.addEventListener('submit', () => {
    for (const el of form.elements) if (el.name && !el.value) el.disabled = true;
  });
  window.addEventListener('pageshow', () => { for (const el of form.elements) el.disabled = false; });
  suggestNames(form.elements.name);
  retry = initDeps;
  if (!params.name && !params.repo && !params.branch) {
    form.elements.name.focus();
    summary.textContent = 'Name a dependency (part of a name is enough), or a repository or branch to list what it uses.';
    return;
  }
  document.title = `${params.name || 'dependencies'} · trawl`;
  // The matrix of the same dependency, one click away.
  if (params.name) $('deps-matrix').href = '/matrix?' + new URLSearchParams({dependency: params.name, ...(params.repo && {repo: params.repo}), ...(params.branch && {branch: params.branch})});
  summary.classList.remove('error');
  summary.classList.add('busy');
  let sum, list;
  const reposP = api('/api/repos').catch(() => ({repos: []})); // only marks default branches
  try {
    [sum, list] = await Promise.all([
      api('/api/deps', {...params, summary: '1'}),
      api('/api/deps', {...params, limit: DEP_ROWS}),
    ]);
  } catch (err) {
    summary.classList.remove('busy');
    showDepsError(err, form);
    return;
  }
  const defaults = new Map((await reposP).repos.map((r) => [r.name, r.default_branch]));
  summary.classList.remove('busy');
  const recs = list.dependencies;
  const csv = '/api/deps?' + new URLSearchParams({...params, format: 'csv'});
  summary.replaceChildren(plural(sum.records, 'record'), ' in ',
    plural(sum.summary.length, 'version'),
    ' · ', h('a', {id: 'deps-csv', href: csv, download: 'dependencies.csv', on: {click: (ev) => download(ev, csv)}}, 'Download CSV'));
  if (sum.limit_hit) summary.append(h('span', {class: 'limit'}, ' · counted the first records only'));

  const names = new Set(recs.map((d) => d.name));
  const cols = ['Repository', 'Branch', 'File', ...(names.size > 1 ? ['Dependency'] : []), 'Version', 'Resolved', 'Source', 'Scope'];
  const dash = () => h('span', {class: 'muted'}, '—');
  const shownVersion = (d) => d.resolved_version || d.version;
  const tbody = h('tbody', null, recs.map((d) => h('tr', {dataset: {version: shownVersion(d)}},
    h('td', null, d.repo),
    h('td', null, h('span', {class: 'branch' + (defaults.get(d.repo) === d.branch ? ' default' : '')}, d.branch),
      defaults.get(d.repo) === d.branch ? h('span', {class: 'tag'}, 'default') : null),
    h('td', null, h('a', {href: fileHref(d.repo, d.branch, d.path) + `#L${d.line}`}, h('code', null, `${d.path}:${d.line}`))),
    names.size > 1 ? h('td', {title: d.purl}, h('code', null, d.name)) : null,
    h('td', null, d.version ? h('code', null, d.version) : dash()),
    h('td', null, d.resolved_version ? h('code', null, d.resolved_version) : dash()),
    h('td', null, d.version_source || dash()),
    h('td', null, d.scope || dash(), d.direct ? null : h('span', {class: 'tag'}, 'transitive')))));
  const table = h('table', {class: 'grid deps'},
    h('caption', {class: 'sr-only'}, 'Dependency records'),
    h('thead', null, h('tr', null, cols.map((c) => h('th', {scope: 'col'}, c)))), tbody);
  const filterNote = h('p', {class: 'muted filter-note', hidden: true});
  // Clicking a version keeps the table to its records; clicking it again
  // shows every record.
  let only = null;
  const pick = (version) => {
    only = only === version ? null : version;
    for (const tr of tbody.rows) tr.hidden = only !== null && tr.dataset.version !== only;
    for (const el of $('histogram').querySelectorAll('[data-version]')) el.setAttribute('aria-pressed', String(el.dataset.version === only));
    filterNote.hidden = only === null;
    filterNote.replaceChildren(`Showing version ${only || ''} only · `, h('button', {type: 'button', class: 'linkish', on: {click: () => pick(only)}}, 'show all'));
    box.dataset.only = only || '';
  };
  const repos = new Set(sum.summary.flatMap((v) => v.repo_names || []));
  $('histogram').replaceChildren(...(repos.size === 1 ? versionTable(sum.summary, recs, defaults, pick) : histogram(sum.summary, pick)));
  const parts = [h('h2', null, 'Where'), filterNote];
  if (recs.length === 0) {
    parts.push(h('p', {class: 'empty'}, 'No dependency matches.'));
    if (params.name) parts.push(await nameSuggestions(params.name));
  } else parts.push(h('div', {class: 'scroll'}, table));
  if (list.limit_hit) parts.push(h('p', {class: 'muted'}, `The first ${plural(recs.length, 'record')} are shown; the CSV holds every one.`));
  $('deps-table').replaceChildren(...parts);
  // Keys sorted, as url.Values.Encode sorts them, for the browser test.
  const shown = new URLSearchParams(params);
  shown.sort();
  box.dataset.rendered = shown.toString();
}

// showDepsError points at the faulty place of a version range, as the
// server names it ("at character N").
function showDepsError(err, form) {
  const summary = $('summary');
  showError(summary, err);
  const m = /parameter (version|name)\b.*at character (\d+): ([\s\S]*)$/.exec(err.message);
  if (!m) return;
  const input = form.elements[m[1]];
  const at = Number(m[2]) - 1;
  input.setAttribute('aria-invalid', 'true');
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'), {once: true});
  const v = input.value;
  summary.replaceChildren(`The ${m[1] === 'version' ? 'version range' : 'name'} is wrong at character ${at + 1}: ${m[3]}`,
    h('code', {class: 'query-caret', 'aria-hidden': 'true'}, v.slice(0, at), h('span', {class: 'caret'}, v.slice(at, at + 1) || ' '), v.slice(at + 1)));
  input.focus();
  input.setSelectionRange(at, at + 1);
}

// nameSuggestions offers the names that contain what was typed.
async function nameSuggestions(name) {
  let res;
  try { res = await api('/api/deps/names', {q: name}); } catch { return ''; }
  if (res.names.length === 0) return h('p', {class: 'muted'}, `No dependency name contains “${name}”.`);
  const link = (n) => h('a', {href: '/deps?' + new URLSearchParams({name: n.name}), class: 'suggestion'}, n.name);
  return h('div', {class: 'suggestions'}, h('p', null, `No dependency is named exactly “${name}”. Names containing it:`),
    h('ul', {class: 'plain'}, res.names.map((n) => h('li', null, link(n), h('span', {class: 'muted'}, ` ${n.ecosystem} · ${plural(n.repos, 'repo')} · ${plural(n.branches, 'branch', 'branches')}`)))),
    res.total > res.names.length ? h('p', {class: 'muted'}, `and ${plural(res.total - res.names.length, 'more name')}`) : null);
}

// suggestNames fills a datalist with names containing what is typed.
function suggestNames(input) {
  const list = h('datalist', {id: 'dep-names'});
  input.after(list);
  input.setAttribute('list', 'dep-names');
  let timer = 0;
  let ctrl = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const v = input.value.trim();
    if (v.length < 2 || v.startsWith('pkg:')) return;
    timer = setTimeout(async () => {
      if (ctrl) ctrl.abort();
      ctrl = new AbortController();
      try {
        const res = await api('/api/deps/names', {q: v}, ctrl.signal);
        list.replaceChildren(...res.names.map((n) => h('option', {value: n.name}, `${n.ecosystem} · ${plural(n.repos, 'repo')}`)));
      } catch { /* suggestions are a help, not a need */ }
    }, 150);
  });
}

// repoList names up to three repositories, then how many more.
function repoList(names) {
  if (!names || names.length === 0) return '';
  return names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
}

// histogram draws one bar per version, as long as the number of branches
// using it, naming its repositories; a click keeps the table to that
// version. The width is set through the CSSOM, which the page's policy
// allows where a style attribute would be blocked.
function histogram(versions, pick) {
  if (versions.length === 0) return [];
  const oneName = new Set(versions.map((v) => v.ecosystem + ' ' + v.name)).size === 1;
  const sorted = [...versions].sort((a, b) => (oneName ? 0 : a.name.localeCompare(b.name)) || versionOrder(a.version, b.version));
  const shown = sorted.slice(0, DEP_BARS);
  const max = Math.max(...shown.map((v) => v.branches));
  const out = [h('h2', null, oneName ? `Versions of ${versions[0].name}` : 'Versions')];
  const list = h('ol', {class: 'bars', 'aria-label': 'Branches per version'});
  for (const v of shown) {
    const bar = h('span', {class: 'bar'});
    bar.style.width = `${Math.max(1, (100 * v.branches) / max)}%`;
    const label = v.version || '(no version)';
    list.append(h('li', {class: 'bar-row', dataset: {version: v.version, branches: String(v.branches), repos: String(v.repos)},
      role: 'button', tabindex: '0', 'aria-pressed': 'false', title: `Show only ${label}: ${(v.repo_names || []).join(', ')}`,
      on: {click: () => pick(v.version), keydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(v.version); } }}},
      h('span', {class: 'bar-label', title: oneName ? label : `${v.name} ${label}`}, oneName ? label : `${v.name} ${label}`),
      h('span', {class: 'bar-track'}, bar),
      h('span', {class: 'bar-count'}, `${plural(v.repos, 'repo')} · ${plural(v.branches, 'branch', 'branches')}`),
      h('span', {class: 'bar-repos'}, repoList(v.repo_names))));
  }
  out.push(list);
  if (sorted.length > shown.length) out.push(h('p', {class: 'muted'}, `and ${plural(sorted.length - shown.length, 'more version')}: see the CSV.`));
  return out;
}

// versionTable replaces the bars for one repository, where every bar would
// say "1 repo": each version with the branches using it, the default
// branch marked.
function versionTable(versions, recs, defaults, pick) {
  const branches = new Map();
  for (const d of recs) {
    const v = d.resolved_version || d.version;
    if (!branches.has(v)) branches.set(v, new Set());
    branches.get(v).add(d.branch);
  }
  const repo = versions[0].repo_names[0];
  const def = defaults.get(repo);
  const sorted = [...versions].sort((a, b) => a.name.localeCompare(b.name) || versionOrder(a.version, b.version));
  const oneName = new Set(versions.map((v) => v.name)).size === 1;
  return [h('h2', null, `Versions in ${repo}`), h('div', {class: 'scroll'}, h('table', {class: 'grid versions'},
    h('thead', null, h('tr', null, [...(oneName ? [] : ['Dependency']), 'Version', 'Branches'].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', null, sorted.map((v) => h('tr', {dataset: {version: v.version}, 'aria-pressed': 'false'},
      oneName ? null : h('td', null, h('code', null, v.name)),
      h('td', null, h('button', {type: 'button', class: 'linkish', title: 'Show only this version', on: {click: () => pick(v.version)}}, v.version || '(no version)')),
      h('td', null, [...(branches.get(v.version) || [])].sort((a, b) => (b === def) - (a === def) || a.localeCompare(b)).map((b) =>
        h('span', {class: 'branch' + (b === def ? ' default' : ''), title: b === def ? 'default branch' : null}, b))))))))];
}

// download fetches the CSV with the token when one is set: a plain link
// cannot carry the Authorization header.
async function download(ev, href) {
  const t = getToken();
  if (!t) return;
  ev.preventDefault();
  try {
    const r = await fetch(href, {headers: {Authorization: 'Bearer ' + t}});
    if (!r.ok) throw new APIError(r.status, r.statusText);
    const url = URL.createObjectURL(await r.blob());
    const a = h('a', {href: url, download: 'dependencies.csv'});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    showError($('summary'), err);
  }
}

// ---- example queries on the empty search page (GET /api/examples) ----------

// showExamples offers queries computed from what the index holds. The page
// works without them, so a failure shows nothing.
async function showExamples() {
  const results = $('results');
  if (!results || $('q').value.trim()) return;
  let res;
  try { res = await api('/api/examples'); } catch { return; }
  if ($('q').value.trim() || !res || !res.examples || res.examples.length === 0) return;
  ($('examples-slot') || results).replaceChildren(h('section', {id: 'examples', class: 'examples', 'aria-label': 'Example queries'},
    h('p', {class: 'muted', text: 'Questions this index can answer:'}),
    h('ul', null, res.examples.map((ex) => h('li', {dataset: {kind: ex.kind}},
      h('a', {href: searchHref(ex.query)}, h('code', {text: ex.query})), ' ', h('span', {class: 'muted', text: ex.why}))))));
}

// ---- start ----------------------------------------------------------------

// PAGES maps each page (body[data-page]) to what starts it; a new page
// adds one line here.
const PAGES = {
  search: initSearch,
  file: initFile,
  status: initStatus,
  deps: initDeps,
};

// ----------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  initAuth();
  const page = document.body.dataset.page;
  if (PAGES[page]) PAGES[page]();
  if (page !== 'search') {
    document.addEventListener('keydown', (ev) => {
      if (page !== 'file' && ev.key === '/' && !ev.target.matches('input, select, textarea')) { ev.preventDefault(); $('q').focus(); }
    });
  }
});
