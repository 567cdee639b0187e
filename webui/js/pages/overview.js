// Overview: resources (total, used, offered, idle), agents, frameworks and tasks by state,
// and small charts of allocation over the last minutes (kept in the browser).
import {api} from '../api.js';
import {h, fmtResource, fmtNumber, table, stateBadge} from '../dom.js';
import {samples, sampleNow} from '../history.js';
import {frame} from './frame.js';

const KINDS = ['cpus', 'mem', 'disk', 'gpus'];

export function mount(root) {
  const page = frame(root, 'Overview');
  return {
    async refresh() {
      const [overview, tasks] = await Promise.all([sampleNow(), api.tasks({limit: 0})]);
      page.show(
        h('section', {class: 'cards'},
          card('Agents', overview.agents.REGISTERED, `${overview.agents.UNREACHABLE} unreachable, ` +
            `${overview.agents.RECOVERED} recovering, ${overview.agents.draining} draining`, '#/agents'),
          card('Frameworks', overview.frameworks.connected,
            `${overview.frameworks.disconnected} disconnected, ${overview.frameworks.completed} completed`,
            '#/frameworks'),
          card('Tasks', tasks.total, 'active and completed', '#/tasks'),
          card('Offers', overview.outstanding_offers, 'outstanding', '#/offers')),
        h('h2', {}, 'Resources'),
        resourcesTable(overview.resources),
        h('h2', {}, 'Allocation over the last minutes'),
        h('div', {class: 'charts'}, ['cpus', 'mem', 'disk'].map(chart)),
        h('h2', {}, 'Tasks by state'),
        statesTable(tasks.states));
    },
    showError: page.showError,
  };
}

function card(title, value, detail, href) {
  return h('a', {class: 'card', href},
    h('div', {class: 'card-title'}, title),
    h('div', {class: 'card-value', 'data-card': title.toLowerCase()}, fmtNumber(value)),
    h('div', {class: 'muted'}, detail));
}

function resourcesTable(resources) {
  const rows = ['total', 'used', 'offered', 'idle'];
  return h('table', {class: 'grid', id: 'resources'},
    h('thead', {}, h('tr', {}, h('th', {}, ''), KINDS.map((k) => h('th', {}, k)))),
    h('tbody', {}, rows.map((row) => h('tr', {'data-row': row}, h('th', {}, row),
      KINDS.map((k) => h('td', {}, fmtResource(k, resources[k][row])))))));
}

function statesTable(states) {
  const entries = Object.entries(states || {}).sort();
  return table([
    {title: 'state', cell: ([state]) => stateBadge(state)},
    {title: 'tasks', cell: ([state, count]) =>
      h('a', {href: `#/tasks?state=${state}`}, String(count))},
  ], entries, {empty: 'No tasks yet', id: 'task-states'});
}

// Used and offered share of the total, as two polylines in a small SVG.
function chart(kind) {
  const width = 300;
  const height = 80;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  const points = samples.slice(-150);
  const start = points.length ? points[0].time : 0;
  const span = Math.max(1, (points.length ? points[points.length - 1].time : 0) - start);
  for (const [series, cls] of [['used', 'used'], ['offered', 'offered']]) {
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('class', cls);
    line.setAttribute('points', points.map((p) => {
      const r = p.overview.resources[kind];
      const share = r.total > 0 ? r[series] / r.total : 0;
      return `${((p.time - start) / span) * width},${height - share * (height - 4) - 2}`;
    }).join(' '));
    svg.appendChild(line);
  }
  const last = points.length ? points[points.length - 1].overview.resources[kind] : null;
  const pct = (v) => (last && last.total > 0 ? `${fmtNumber((100 * v) / last.total, 0)}%` : '–');
  return h('figure', {class: 'chart-box', 'data-chart': kind},
    h('figcaption', {}, kind, ' ',
      h('span', {class: 'legend used'}, `used ${last ? pct(last.used) : '–'}`), ' ',
      h('span', {class: 'legend offered'}, `offered ${last ? pct(last.offered) : '–'}`)),
    svg);
}
