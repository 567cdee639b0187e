// Services: agora-services' apps (its Marathon API, proxied by the master at /services/v2/),
// with their instances running / healthy / staged against the target, resources,
// deployments and a status, listed under a header per group (from /v2/groups; a header
// folds its apps away and scales the group). Fields the API does not return show as "–".
import {services} from '../api.js';
import {h, fmtNumber, fmtMb} from '../dom.js';
import {setParams} from '../router.js';
import {frame, filterInput} from './frame.js';
import {DEPLOYMENTS_HREF, lockingDeployments, showLocked} from './deployments.js';

// The hash route of an app's page ("/group/web" -> "#/services/apps/%2Fgroup%2Fweb").
export const appHref = (id, suffix = '') => `#/services/apps/${encodeURIComponent(id)}${suffix}`;
export const appLink = (id) => h('a', {href: appHref(id), class: 'app-link', 'data-app': id}, id);

// A number the API may not return: "–" when missing.
export const maybe = (value) => (value === undefined || value === null ? '–' : fmtNumber(value));

// Marathon UI's status of an app: DEPLOYING while a deployment runs, SUSPENDED at 0
// instances, DELAYED while its launches back off, WAITING while short of tasks, else RUNNING.
export function appStatus(app, queued) {
  const running = app.tasksRunning || 0;
  if ((app.deployments || []).length) return 'DEPLOYING';
  if (app.instances === 0 && running === 0) return 'SUSPENDED';
  if (queued && queued.delay && !queued.delay.overdue) return 'DELAYED';
  if (running < app.instances) return 'WAITING';
  return 'RUNNING';
}

export function statusBadge(status) {
  const kind = {RUNNING: 'good', DEPLOYING: 'warn', WAITING: 'warn', DELAYED: 'bad',
    SUSPENDED: 'neutral'}[status] || 'neutral';
  return h('span', {class: `badge ${kind}`, 'data-status': status}, status);
}

// "running / target" with healthy and staged when there are any.
export function instancesCell(app) {
  return h('span', {class: 'instances'},
    h('span', {class: 'running', title: 'running / target'}, `${maybe(app.tasksRunning)} / ${maybe(app.instances)}`),
    app.tasksHealthy ? h('span', {class: 'muted'}, ` · ${app.tasksHealthy} healthy`) : '',
    app.tasksUnhealthy ? h('span', {class: 'bad-text'}, ` · ${app.tasksUnhealthy} unhealthy`) : '',
    app.tasksStaged ? h('span', {class: 'muted'}, ` · ${app.tasksStaged} staged`) : '');
}

// The app's queue entry by id, from /v2/queue.
export async function queuedApps() {
  const reply = await services.queue();
  return new Map((reply.queue || []).map((q) => [q.app && q.app.id, q]));
}

// The group an app belongs to: its id without the last segment ("/a/b/web" -> "/a/b").
export const groupOf = (appId) => appId.replace(/\/[^/]*$/, '') || '/';

// Every group id of a /v2/groups tree, depth first.
function groupIds(group, out = []) {
  if (!group || !group.id) return out;
  out.push(group.id);
  for (const child of group.groups || []) groupIds(child, out);
  return out;
}

const COLUMNS = (queue) => [
  {title: 'id', cell: (a) => appLink(a.id)},
  {title: 'status', cell: (a) => statusBadge(appStatus(a, queue.get(a.id)))},
  {title: 'instances', cell: instancesCell},
  {title: 'healthy', cell: (a) => maybe(a.tasksHealthy)},
  {title: 'staged', cell: (a) => maybe(a.tasksStaged)},
  {title: 'cpus', cell: (a) => maybe(a.cpus)},
  {title: 'mem', cell: (a) => (a.mem === undefined ? '–' : fmtMb(a.mem))},
  {title: 'deployments', cell: (a) => (a.deployments
    ? (a.deployments.length ? h('a', {href: DEPLOYMENTS_HREF}, String(a.deployments.length)) : '0') : '–')},
  {title: 'command', cell: (a) => h('code', {}, a.cmd || (a.args || []).join(' ') || '–')},
];

export function mount(root, {params, refreshNow}) {
  const filters = {search: params.get('search') || ''};
  const collapsed = new Set();  // Group ids whose apps are folded away.
  const message = h('div', {class: 'notice', id: 'group-result', hidden: true});
  const list = h('div', {});
  const page = frame(root, 'Services',
    filterInput('search', filters.search, 'app id or command', (value) => {
      filters.search = value;
      setParams({...filters});
      refreshNow();
    }),
    h('a', {href: '#/services/new', class: 'button primary', id: 'create-app'}, 'Create app'),
    h('a', {href: DEPLOYMENTS_HREF, class: 'button', id: 'deployments-link'}, 'Deployments'));
  page.show(message, list);

  async function scaleGroup(groupId, factor, force = false) {
    const what = `Scale ${groupId} by ${factor}`;
    message.hidden = false;
    message.className = 'notice';
    message.textContent = `${what}…`;
    try {
      const reply = await services.scaleGroup(groupId, factor, force);
      message.textContent = `${what}: done${reply && reply.deploymentId ? ` (deployment ${reply.deploymentId})` : ''}`;
    } catch (error) {
      if (lockingDeployments(error)) {
        showLocked(message, what, error, () => scaleGroup(groupId, factor, true));
      } else {
        message.className = 'notice error';
        message.textContent = `${what} failed: ${error.message}`;
      }
    }
    refreshNow();
  }

  function askScale(groupId) {
    const answer = prompt(`Scale every app in ${groupId} by what factor? (2 doubles the instances, 0.5 halves them)`, '2');
    if (answer === null) return;
    const factor = Number(answer);
    if (!Number.isFinite(factor) || factor < 0 || answer.trim() === '') {
      message.hidden = false;
      message.className = 'notice error';
      message.textContent = `'${answer}' is not a factor (0 or more)`;
      return;
    }
    scaleGroup(groupId, factor);
  }

  function groupRow(groupId, apps, width) {
    const folded = collapsed.has(groupId);
    return h('tr', {class: 'group-row', 'data-group': groupId}, h('td', {colspan: width},
      h('button', {type: 'button', class: 'button small toggle-group', 'aria-expanded': String(!folded),
        onclick: () => {
          if (folded) collapsed.delete(groupId); else collapsed.add(groupId);
          refreshNow();
        }}, folded ? '▸' : '▾'),
      ' ', h('strong', {}, groupId === '/' ? '/ (root)' : groupId),
      h('span', {class: 'muted'}, ` · ${apps.length} app${apps.length === 1 ? '' : 's'}`), ' ',
      h('button', {type: 'button', class: 'button small scale-group', 'data-group': groupId,
        onclick: () => askScale(groupId)}, 'Scale group')));
  }

  return {
    async refresh() {
      const [reply, queue, tree] = await Promise.all([services.apps(), queuedApps(),
        services.groups().catch(() => null)]);
      const search = filters.search.toLowerCase();
      const apps = (reply.apps || []).filter((a) => !search ||
        a.id.toLowerCase().includes(search) || String(a.cmd || '').toLowerCase().includes(search));
      // Groups with matching apps; without a search, empty groups too (not the root).
      const byGroup = new Map();
      if (!search) for (const id of groupIds(tree)) if (id !== '/') byGroup.set(id, []);
      for (const app of apps) {
        const group = groupOf(app.id);
        if (!byGroup.has(group)) byGroup.set(group, []);
        byGroup.get(group).push(app);
      }
      if (!byGroup.size) {
        list.replaceChildren(h('p', {class: 'muted empty', 'data-empty': 'apps'},
          reply.apps && reply.apps.length ? 'No apps match' : 'No apps yet'));
        return;
      }
      const columns = COLUMNS(queue);
      const rows = [];
      for (const groupId of [...byGroup.keys()].sort()) {
        const groupApps = byGroup.get(groupId).sort((a, b) => a.id.localeCompare(b.id));
        rows.push(groupRow(groupId, groupApps, columns.length));
        if (collapsed.has(groupId)) continue;
        for (const app of groupApps) {
          rows.push(h('tr', {'data-app': app.id}, columns.map((c) => h('td', {}, c.cell(app)))));
        }
      }
      list.replaceChildren(h('table', {class: 'grid', id: 'apps'},
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.title)))), h('tbody', {}, rows)));
    },
    showError: page.showError,
  };
}
