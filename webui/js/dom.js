// Small DOM and formatting helpers shared by the pages. No framework: pages build their
// content with `h()` and replace it on each refresh.

// h('a', {href: '#/x', class: 'y'}, 'text', child, [more children]) -> HTMLElement.
// Attributes starting with "on" are event listeners; null/false children are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'value') {
      el.value = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

// Replaces the children of `el` with `children`.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// Links to the pages of entities (hash routes; ids are URI-encoded).
export const link = {
  agent: (id, text) => h('a', {href: `#/agents/${encodeURIComponent(id)}`}, text || id),
  framework: (id, text) => h('a', {href: `#/frameworks/${encodeURIComponent(id)}`}, text || id),
  task: (frameworkId, taskId, text) =>
    h('a', {href: `#/tasks/${encodeURIComponent(frameworkId)}/${encodeURIComponent(taskId)}`},
      text || taskId),
  role: (name) => h('a', {href: `#/roles?role=${encodeURIComponent(name)}`}, name),
};

export function fmtNumber(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  const text = value.toFixed(digits);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

// Megabytes as the largest unit that keeps the number above 1.
export function fmtMb(mb) {
  if (mb === undefined || mb === null) return '–';
  if (mb >= 1024 * 1024) return `${fmtNumber(mb / 1024 / 1024, 1)} TB`;
  if (mb >= 1024) return `${fmtNumber(mb / 1024, 1)} GB`;
  return `${fmtNumber(mb, 0)} MB`;
}

export function fmtBytes(bytes) {
  if (bytes === undefined || bytes === null) return '–';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${fmtNumber(bytes / 1024, 1)} KB`;
  return fmtMb(bytes / 1024 / 1024);
}

// One resource kind of a Mesos-shaped resources object ({cpus: 1, mem: 128, ...}).
export function fmtResource(name, value) {
  return name === 'mem' || name === 'disk' ? fmtMb(value || 0) : fmtNumber(value || 0);
}

// "used / total" for cpus, mem, disk (and gpus when there are any).
export function fmtUsage(used, total, name) {
  return `${fmtResource(name, (used || {})[name])} / ${fmtResource(name, (total || {})[name])}`;
}

// A short summary of a resources object: "cpus 1, mem 128 MB, disk 1 GB".
export function fmtResources(resources) {
  if (!resources) return '–';
  const parts = [];
  for (const name of ['cpus', 'gpus', 'mem', 'disk']) {
    if (resources[name]) parts.push(`${name} ${fmtResource(name, resources[name])}`);
  }
  if (resources.ports) parts.push(`ports ${resources.ports}`);
  return parts.length ? parts.join(', ') : '–';
}

// Seconds since the epoch -> local date and time.
export function fmtTime(seconds) {
  if (!seconds) return '–';
  return new Date(seconds * 1000).toLocaleString();
}

export function fmtAttributes(attributes) {
  if (!attributes || typeof attributes !== 'object') return '';
  return Object.entries(attributes).map(([k, v]) => `${k}:${v}`).join(' ');
}

// A colored badge for a task, agent or framework state.
export function stateBadge(state) {
  const s = String(state || '');
  let kind = 'neutral';
  if (/RUNNING|REGISTERED|CONNECTED|FINISHED|^UP$/.test(s)) kind = 'good';
  if (/STAGING|STARTING|KILLING|RECOVERED|DRAINING|DISCONNECTED|UNREACHABLE/.test(s)) kind = 'warn';
  if (/FAILED|LOST|ERROR|KILLED|GONE|DROPPED|DOWN/.test(s)) kind = 'bad';
  return h('span', {class: `badge ${kind}`}, s.replace(/^TASK_/, ''));
}

// A table from column definitions [{title, cell: row -> content}] and rows.
export function table(columns, rows, {empty = 'Nothing to show', id} = {}) {
  if (!rows.length) return h('p', {class: 'muted empty', 'data-empty': id || ''}, empty);
  return h('table', {class: 'grid', id},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.title)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', {}, c.cell(row)))))));
}

// "previous / next" links for a page of `total` items, as hash routes.
export function pager(total, offset, limit, hrefFor) {
  const last = Math.min(offset + limit, total);
  return h('div', {class: 'pager'},
    h('span', {class: 'muted'}, total ? `${offset + 1}–${last} of ${total}` : '0 of 0'),
    offset > 0 ? h('a', {href: hrefFor(Math.max(0, offset - limit)), class: 'prev'}, '‹ previous') : null,
    last < total ? h('a', {href: hrefFor(offset + limit), class: 'next'}, 'next ›') : null);
}

export const ACTIVE_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING',
  'TASK_UNREACHABLE', 'TASK_UNKNOWN'];
export const COMPLETED_STATES = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR',
  'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR'];
