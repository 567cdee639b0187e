// Services: agora-services' apps (its Marathon API, proxied by the master at /services/v2/),
// with their instances running / healthy / staged against the target, resources,
// deployments and a status. Fields the API does not return (yet) show as "–".
import {services} from '../api.js';
import {h, table, fmtNumber, fmtMb} from '../dom.js';
import {setParams} from '../router.js';
import {frame, filterInput} from './frame.js';

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

export function mount(root, {params, refreshNow}) {
  const filters = {search: params.get('search') || ''};
  const page = frame(root, 'Services',
    filterInput('search', filters.search, 'app id or command', (value) => {
      filters.search = value;
      setParams({...filters});
      refreshNow();
    }),
    h('a', {href: '#/services/new', class: 'button primary', id: 'create-app'}, 'Create app'));
  return {
    async refresh() {
      const [reply, queue] = await Promise.all([services.apps(), queuedApps()]);
      const search = filters.search.toLowerCase();
      const apps = (reply.apps || []).filter((a) => !search ||
        a.id.toLowerCase().includes(search) || String(a.cmd || '').toLowerCase().includes(search));
      page.show(table([
        {title: 'id', cell: (a) => appLink(a.id)},
        {title: 'status', cell: (a) => statusBadge(appStatus(a, queue.get(a.id)))},
        {title: 'instances', cell: instancesCell},
        {title: 'healthy', cell: (a) => maybe(a.tasksHealthy)},
        {title: 'staged', cell: (a) => maybe(a.tasksStaged)},
        {title: 'cpus', cell: (a) => maybe(a.cpus)},
        {title: 'mem', cell: (a) => (a.mem === undefined ? '–' : fmtMb(a.mem))},
        {title: 'deployments', cell: (a) => (a.deployments ? String(a.deployments.length) : '–')},
        {title: 'command', cell: (a) => h('code', {}, a.cmd || (a.args || []).join(' ') || '–')},
      ], apps, {empty: reply.apps && reply.apps.length ? 'No apps match' : 'No apps yet', id: 'apps'}));
    },
    showError: page.showError,
  };
}
