// One app of agora-services: its configuration, instances and status, the actions (edit,
// scale, restart, suspend, destroy; when a deployment locks the app, the 409 and a Force),
// a banner while it deploys, its tasks (host, ports, state, health; linking to the master's
// task page and its logs; kill, kill and scale), its deployments (from /v2/deployments), its
// last task failure and its versions.
import {services} from '../api.js';
import {h, link, table, replace, stateBadge, fmtMb, fmtNumber} from '../dom.js';
import {frame} from './frame.js';
import {appHref, appLink, appStatus, statusBadge, instancesCell, queuedApps, maybe} from './services.js';
import {DEPLOYMENTS_HREF, actionLabel, lockingDeployments, showLocked} from './deployments.js';

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

// A task's health from its `healthCheckResults`: healthy (every check alive), unhealthy,
// or none (no check, or no result yet).
function health(task) {
  const results = task.healthCheckResults;
  if (!Array.isArray(results) || !results.length) return h('span', {class: 'muted', 'data-health': 'none'}, 'none');
  const alive = results.every((r) => r.alive);
  return h('span', {class: `badge ${alive ? 'good' : 'bad'}`, 'data-health': alive ? 'healthy' : 'unhealthy'},
    alive ? 'healthy' : 'unhealthy');
}

// "HTTP /health on port index 0, every 10 s (timeout 5 s, grace 300 s, 3 failures)".
function healthCheckText(c) {
  const protocol = c.protocol || 'HTTP';
  const target = /HTTP/.test(protocol) ? `${c.path || '/'} on port index ${c.portIndex ?? 0}`
    : /TCP/.test(protocol) ? `port index ${c.portIndex ?? 0}`
      : (c.command && c.command.value) || '';
  const timing = [c.timeoutSeconds !== undefined ? `timeout ${c.timeoutSeconds} s` : '',
    c.gracePeriodSeconds !== undefined ? `grace ${c.gracePeriodSeconds} s` : '',
    c.maxConsecutiveFailures !== undefined ? `${c.maxConsecutiveFailures} failures` : '']
    .filter(Boolean).join(', ');
  return `${protocol} ${target}${c.intervalSeconds !== undefined ? `, every ${c.intervalSeconds} s` : ''}` +
    (timing ? ` (${timing})` : '');
}

const percent = (fraction) => (typeof fraction === 'number' ? `${fmtNumber(fraction * 100, 0)} %` : '–');

function upgradeText(strategy) {
  if (!strategy) return '–';
  return `minimum health capacity ${percent(strategy.minimumHealthCapacity)}, ` +
    `maximum over capacity ${percent(strategy.maximumOverCapacity)}`;
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
  const banner = h('div', {class: 'notice deploying', id: 'deploying-banner', hidden: true});
  const message = h('div', {class: 'notice', id: 'action-result', hidden: true});
  const actions = h('div', {class: 'actions'});
  const summary = h('div', {});
  const tasks = h('div', {});
  const deployments = h('div', {});
  const failure = h('div', {});
  const versions = h('div', {});
  const versionView = h('pre', {class: 'json', id: 'version-json', hidden: true});
  page.show(banner, actions, message, summary,
    h('h2', {}, 'Tasks'), tasks,
    h('h2', {}, 'Deployments'), deployments,
    h('h2', {}, 'Last task failure'), failure,
    h('h2', {}, 'Versions'), versions, versionView);
  let current = null;  // The app as last read.
  let gone = false;

  // Runs an action (`fn(force)`), shows what came of it, and refreshes the page. When a
  // deployment locks the app, shows the 409 and offers to repeat it with ?force=true.
  async function act(what, fn, force = false) {
    message.hidden = false;
    message.className = 'notice';
    message.textContent = `${what}${force ? ' (forced)' : ''}…`;
    try {
      const reply = await fn(force);
      message.textContent = `${what}${force ? ' (forced)' : ''}: done` +
        `${reply && reply.deploymentId ? ` (deployment ${reply.deploymentId})` : ''}`;
    } catch (error) {
      if (!force && lockingDeployments(error)) {
        showLocked(message, what, error, () => act(what, fn, true));
      } else {
        message.className = 'notice error';
        message.textContent = `${what} failed: ${error.message}`;
      }
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
      act(`Scale to ${instances}`, (force) => services.scale(appId, instances, force));
    }),
    button('Restart', 'restart-app', () => act('Restart', (force) => services.restart(appId, force))),
    button('Suspend', 'suspend-app', () => act('Suspend', (force) => services.scale(appId, 0, force))),
    button('Destroy', 'destroy-app', () => {
      if (!confirm(`Destroy ${appId} and kill its tasks?`)) return;
      destroy(false);
    }, 'danger'));

  async function destroy(force) {
    try {
      await services.destroy(appId, force);
      gone = true;
      location.hash = '#/services';
    } catch (error) {
      if (!force && lockingDeployments(error)) {
        showLocked(message, 'Destroy', error, () => destroy(true));
      } else {
        message.hidden = false;
        message.className = 'notice error';
        message.textContent = `Destroy failed: ${error.message}`;
      }
    }
  }

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
      h('dt', {}, 'health'), h('dd', {id: 'app-health'}, `${maybe(app.tasksHealthy)} healthy, `,
        h('span', {class: app.tasksUnhealthy ? 'bad-text' : ''}, `${maybe(app.tasksUnhealthy)} unhealthy`)),
      h('dt', {}, 'health checks'), h('dd', {id: 'app-health-checks'}, (app.healthChecks || []).length
        ? app.healthChecks.map((c, i) => [i ? h('br', {}) : '', healthCheckText(c)]) : 'none'),
      h('dt', {}, 'upgrade strategy'), h('dd', {id: 'app-upgrade'}, upgradeText(app.upgradeStrategy)),
      h('dt', {}, 'dependencies'), h('dd', {id: 'app-dependencies'}, (app.dependencies || []).length
        ? app.dependencies.map((d, i) => [i ? ', ' : '', appLink(d)]) : 'none'),
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
          onclick: () => act(`Kill ${t.id}`, (force) => services.killTask(appId, t.id, false, force))}, 'Kill'), ' ',
        h('button', {type: 'button', class: 'button small kill-scale-task', 'data-task': t.id,
          onclick: () => act(`Kill ${t.id} and scale down`, (force) => services.killTask(appId, t.id, true, force))},
        'Kill & scale')]},
    ], app.tasks || [], {empty: 'No tasks', id: 'app-tasks'}));
  }

  // The app's deployments ({id} in its JSON) with their plans from /v2/deployments.
  function renderDeployments(app, plans) {
    if (!Array.isArray(app.deployments)) {
      banner.hidden = true;
      replace(deployments, h('p', {class: 'muted'}, 'agora-services does not report deployments.'));
      return;
    }
    const list = app.deployments.map((d) => ({...(plans.get(d.id) || {}), ...d}));
    const ownAction = (d) => (d.currentActions || []).find((a) => a.app === app.id) || (d.currentActions || [])[0];
    banner.hidden = !list.length;
    if (list.length) {
      const d = list[0];
      const action = ownAction(d);
      replace(banner, h('strong', {}, d.totalSteps
        ? `Deploying (step ${d.currentStep} of ${d.totalSteps}${action ? `: ${actionLabel(action.action)}` : ''})`
        : 'Deploying'),
      list.length > 1 ? ` and ${list.length - 1} more` : '', ' · ',
      h('a', {href: DEPLOYMENTS_HREF, id: 'deploying-link'}, 'see the deployments'));
    }
    replace(deployments, table([
      {title: 'id', cell: (d) => h('a', {href: DEPLOYMENTS_HREF}, h('code', {}, d.id || '–'))},
      {title: 'step', cell: (d) => (d.currentStep && d.totalSteps ? `${d.currentStep} / ${d.totalSteps}` : '–')},
      {title: 'actions', cell: (d) => (d.currentActions || []).map((a) => `${actionLabel(a.action)} ${a.app}`).join(', ') || '–'},
      {title: 'started', cell: (d) => isoTime(d.version)},
    ], list, {empty: 'No deployment in progress', id: 'app-deployments'}));
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
      // Plans only while the app deploys (an agora-services without /v2/deployments: none).
      const plans = new Map();
      if ((app.deployments || []).length) {
        for (const d of await services.deployments().catch(() => [])) plans.set(d.id, d);
      }
      page.heading.textContent = `App ${app.id}`;
      renderSummary(app, queue.get(app.id), fw);
      renderTasks(app, fw);
      renderDeployments(app, plans);
      renderFailure(app, fw);
      renderVersions(list, app);
    },
    showError: page.showError,
  };
}
