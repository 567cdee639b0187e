// One app of agora-services: its configuration, instances and status, the actions (edit,
// scale, restart, suspend, destroy), its tasks (host, ports, state, health; linking to the
// master's task page and its logs; kill, kill and scale), its deployments, its last task
// failure and its versions.
import {services} from '../api.js';
import {h, link, table, replace, stateBadge, fmtMb} from '../dom.js';
import {frame} from './frame.js';
import {appHref, appStatus, statusBadge, instancesCell, queuedApps, maybe} from './services.js';

// The framework id agora-services registered with (tasks link to the master's pages by it).
let frameworkIdPromise = null;
function frameworkId() {
  frameworkIdPromise ??= services.info().then((info) => info.frameworkId || null)
    .catch((error) => { frameworkIdPromise = null; throw error; });
  return frameworkIdPromise;
}

// Marathon's times are ISO strings; agora-services' `stagedAt` is seconds since the epoch.
function isoTime(value) {
  if (value === undefined || value === null || value === '') return '–';
  const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

function health(task) {
  const results = task.healthCheckResults;
  if (!Array.isArray(results) || !results.length) return h('span', {class: 'muted'}, '–');
  const alive = results.every((r) => r.alive);
  return h('span', {class: `badge ${alive ? 'good' : 'bad'}`}, alive ? 'healthy' : 'unhealthy');
}

function constraintsText(constraints) {
  if (!Array.isArray(constraints) || !constraints.length) return '–';
  return constraints.map((c) => (Array.isArray(c) ? c.join(':') : JSON.stringify(c))).join(', ');
}

function envText(env) {
  const entries = Object.entries(env || {});
  return entries.length ? entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '–';
}

export function mount(root, {segments, refreshNow}) {
  const appId = segments[2];
  const page = frame(root, `App ${appId}`);
  const message = h('div', {class: 'notice', id: 'action-result', hidden: true});
  const actions = h('div', {class: 'actions'});
  const summary = h('div', {});
  const tasks = h('div', {});
  const deployments = h('div', {});
  const failure = h('div', {});
  const versions = h('div', {});
  const versionView = h('pre', {class: 'json', id: 'version-json', hidden: true});
  page.show(actions, message, summary,
    h('h2', {}, 'Tasks'), tasks,
    h('h2', {}, 'Deployments'), deployments,
    h('h2', {}, 'Last task failure'), failure,
    h('h2', {}, 'Versions'), versions, versionView);
  let current = null;  // The app as last read.
  let gone = false;

  // Runs an action, shows what came of it, and refreshes the page.
  async function act(what, fn) {
    message.hidden = false;
    message.className = 'notice';
    message.textContent = `${what}…`;
    try {
      const reply = await fn();
      message.textContent = `${what}: done${reply && reply.deploymentId ? ` (deployment ${reply.deploymentId})` : ''}`;
    } catch (error) {
      message.className = 'notice error';
      message.textContent = `${what} failed: ${error.message}`;
    }
    refreshNow();
  }

  const button = (label, id, onclick, kind = '') =>
    h('button', {type: 'button', id, class: `button ${kind}`, onclick}, label);
  replace(actions,
    h('a', {href: appHref(appId, '/edit'), class: 'button', id: 'edit-app'}, 'Edit'),
    button('Scale', 'scale-app', () => {
      const answer = prompt(`Scale ${appId} to how many instances?`, String(current ? current.instances : 1));
      if (answer === null) return;
      const instances = Number(answer);
      if (!Number.isInteger(instances) || instances < 0) {
        message.hidden = false;
        message.className = 'notice error';
        message.textContent = `'${answer}' is not a number of instances (0 or more)`;
        return;
      }
      act(`Scale to ${instances}`, () => services.scale(appId, instances));
    }),
    button('Restart', 'restart-app', () => act('Restart', () => services.restart(appId))),
    button('Suspend', 'suspend-app', () => act('Suspend', () => services.scale(appId, 0))),
    button('Destroy', 'destroy-app', async () => {
      if (!confirm(`Destroy ${appId} and kill its tasks?`)) return;
      try {
        await services.destroy(appId);
        gone = true;
        location.hash = '#/services';
      } catch (error) {
        message.hidden = false;
        message.className = 'notice error';
        message.textContent = `Destroy failed: ${error.message}`;
      }
    }, 'danger'));

  async function showVersion(version) {
    const definition = await services.version(appId, version);
    versionView.hidden = false;
    versionView.textContent = `${version}\n${JSON.stringify(definition, null, 2)}`;
  }

  function renderSummary(app, queued, fw) {
    const docker = app.container && app.container.docker;
    replace(summary, h('dl', {class: 'facts', id: 'app-facts'},
      h('dt', {}, 'status'), h('dd', {id: 'app-status'}, statusBadge(appStatus(app, queued))),
      h('dt', {}, 'instances'), h('dd', {}, instancesCell(app)),
      h('dt', {}, 'command'), h('dd', {}, h('code', {}, app.cmd || (app.args || []).join(' ') || '–')),
      docker ? [h('dt', {}, 'image'), h('dd', {}, h('code', {}, docker.image || '–'))] : '',
      h('dt', {}, 'resources'), h('dd', {}, `cpus ${maybe(app.cpus)}, mem ${fmtMb(app.mem)}, disk ${fmtMb(app.disk || 0)}`),
      h('dt', {}, 'environment'), h('dd', {}, h('code', {}, envText(app.env))),
      h('dt', {}, 'labels'), h('dd', {}, h('code', {}, envText(app.labels))),
      h('dt', {}, 'constraints'), h('dd', {}, h('code', {}, constraintsText(app.constraints))),
      h('dt', {}, 'ports'), h('dd', {}, (app.portDefinitions || []).map((p) => p.port).join(', ') || '–'),
      h('dt', {}, 'health checks'), h('dd', {}, (app.healthChecks || []).length
        ? app.healthChecks.map((c) => `${c.protocol || 'HTTP'} ${c.path || ''}`).join(', ') : '–'),
      h('dt', {}, 'version'), h('dd', {}, h('code', {}, app.version || '–')),
      h('dt', {}, 'config changed'), h('dd', {}, isoTime(app.versionInfo && app.versionInfo.lastConfigChangeAt)),
      queued ? [h('dt', {}, 'queue'), h('dd', {}, `${queued.count} to launch` +
        (queued.delay && !queued.delay.overdue ? `, delayed ${Math.ceil(queued.delay.timeLeftSeconds)} s` : ''))] : '',
      h('dt', {}, 'framework'), h('dd', {}, fw ? link.framework(fw) : '–')));
  }

  function renderTasks(app, fw) {
    const taskLink = (t) => (fw ? link.task(fw, t.id) : h('code', {}, t.id));
    replace(tasks, table([
      {title: 'task', cell: taskLink},
      {title: 'state', cell: (t) => stateBadge(t.state)},
      {title: 'health', cell: health},
      {title: 'host', cell: (t) => (t.slaveId ? link.agent(t.slaveId, t.host || t.slaveId) : t.host || '–')},
      {title: 'ports', cell: (t) => (t.ports || []).join(', ') || '–'},
      {title: 'staged', cell: (t) => isoTime(t.stagedAt)},
      {title: 'version', cell: (t) => h('code', {}, t.version || '–')},
      {title: 'logs', cell: (t) => (fw ? [
        h('a', {href: `#/tasks/${encodeURIComponent(fw)}/${encodeURIComponent(t.id)}?file=stdout`}, 'stdout'), ' ',
        h('a', {href: `#/tasks/${encodeURIComponent(fw)}/${encodeURIComponent(t.id)}?file=stderr`}, 'stderr')] : '–')},
      {title: '', cell: (t) => [
        h('button', {type: 'button', class: 'button small kill-task', 'data-task': t.id,
          onclick: () => act(`Kill ${t.id}`, () => services.killTask(appId, t.id, false))}, 'Kill'), ' ',
        h('button', {type: 'button', class: 'button small kill-scale-task', 'data-task': t.id,
          onclick: () => act(`Kill ${t.id} and scale down`, () => services.killTask(appId, t.id, true))},
        'Kill & scale')]},
    ], app.tasks || [], {empty: 'No tasks', id: 'app-tasks'}));
  }

  function renderDeployments(app) {
    if (!Array.isArray(app.deployments)) {
      replace(deployments, h('p', {class: 'muted'}, 'agora-services does not report deployments.'));
      return;
    }
    replace(deployments, table([
      {title: 'id', cell: (d) => h('code', {}, d.id || '–')},
      {title: 'step', cell: (d) => (d.currentStep && d.totalSteps ? `${d.currentStep} / ${d.totalSteps}` : '–')},
      {title: 'actions', cell: (d) => (d.currentActions || []).map((a) => a.action).join(', ') || '–'},
      {title: 'started', cell: (d) => isoTime(d.version)},
    ], app.deployments, {empty: 'No deployment in progress', id: 'app-deployments'}));
  }

  function renderFailure(app, fw) {
    const f = app.lastTaskFailure;
    if (!f) {
      replace(failure, h('p', {class: 'muted', id: 'last-failure'}, 'None'));
      return;
    }
    replace(failure, h('dl', {class: 'facts', id: 'last-failure'},
      h('dt', {}, 'task'), h('dd', {}, fw && f.taskId ? link.task(fw, f.taskId) : f.taskId || '–'),
      h('dt', {}, 'state'), h('dd', {}, stateBadge(f.state)),
      h('dt', {}, 'message'), h('dd', {}, f.message || '–'),
      h('dt', {}, 'host'), h('dd', {}, f.slaveId ? link.agent(f.slaveId, f.host || f.slaveId) : f.host || '–'),
      h('dt', {}, 'time'), h('dd', {}, isoTime(f.timestamp)),
      h('dt', {}, 'version'), h('dd', {}, h('code', {}, f.version || '–'))));
  }

  function renderVersions(list, app) {
    replace(versions, table([
      {title: 'version', cell: (v) => h('a', {href: '#', class: 'version', onclick: (event) => {
        event.preventDefault();
        showVersion(v).catch((error) => page.showError(error));
      }}, v)},
      {title: '', cell: (v) => (v === app.version ? h('span', {class: 'badge good'}, 'current') : '')},
    ], list, {empty: 'No versions', id: 'app-versions'}));
  }

  return {
    async refresh() {
      if (gone) return;
      const [reply, queue, list, fw] = await Promise.all([services.app(appId), queuedApps(),
        services.versions(appId).then((v) => v.versions || []).catch(() => []),
        frameworkId().catch(() => null)]);
      const app = reply.app;
      current = app;
      page.heading.textContent = `App ${app.id}`;
      renderSummary(app, queue.get(app.id), fw);
      renderTasks(app, fw);
      renderDeployments(app);
      renderFailure(app, fw);
      renderVersions(list, app);
    },
    showError: page.showError,
  };
}
