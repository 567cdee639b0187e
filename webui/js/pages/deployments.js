// Deployments (#/services/deployments): agora-services' deployments in progress, each with
// the apps it affects, its current step and actions; Rollback (DELETE: a new deployment back
// to the previous definitions) and Force cancel (DELETE ?force=true: dropped as it stands).
// Also the notice the app pages show when a change is refused because a deployment locks
// the app (409), with a "Force" button that repeats it with ?force=true.
import {services} from '../api.js';
import {h, table} from '../dom.js';
import {frame} from './frame.js';
import {appLink} from './services.js';

export const DEPLOYMENTS_HREF = '#/services/deployments';

// "ScaleApplication" -> "SCALE" (Marathon's action names, as the banner shows them).
export const actionLabel = (action) =>
  String(action || '').replace(/Application$/, '').replace(/Pod$/, ' pod').toUpperCase() || '–';

// The deployment ids of a 409 "App is locked" answer, or null when `error` is not one.
export function lockingDeployments(error) {
  if (!error || error.status !== 409 || !error.body || !Array.isArray(error.body.deployments)) return null;
  return error.body.deployments.map((d) => d.id).filter(Boolean);
}

// Fills `box` with what came of a refused change: the 409 message, the deployments that lock
// the app (linking to the Deployments page), and a Force button calling `force()`.
export function showLocked(box, what, error, force) {
  const ids = lockingDeployments(error) || [];
  box.hidden = false;
  box.className = 'notice error locked';
  box.replaceChildren(
    h('div', {}, `${what} refused: ${error.message}`),
    h('div', {class: 'locking'}, 'Locked by ', ids.length ? ids.map((id, i) => [i ? ', ' : '',
      h('a', {href: DEPLOYMENTS_HREF, class: 'deployment-id'}, h('code', {}, id))]) : 'a deployment', '. '),
    h('button', {type: 'button', class: 'button danger', id: 'force-action', onclick: force},
      `Force: ${what.toLowerCase()} anyway`));
}

function stepText(d) {
  return d.totalSteps ? `${d.currentStep || 0} of ${d.totalSteps}` : '–';
}

function actionsCell(d) {
  const actions = d.currentActions || [];
  if (!actions.length) return '–';
  return actions.map((a, i) => [i ? h('br', {}) : '', h('span', {class: 'badge warn'}, actionLabel(a.action)),
    ' ', a.app ? appLink(a.app) : '']);
}

export function mount(root, {refreshNow}) {
  const page = frame(root, 'Deployments',
    h('a', {href: '#/services', class: 'button'}, '‹ Services'));
  const message = h('div', {class: 'notice', id: 'deployment-result', hidden: true});
  const list = h('div', {});
  page.show(message, list);

  async function cancel(d, force) {
    const question = force
      ? `Drop deployment ${d.id} where it stands? Its apps keep their new definitions and are not rolled back.`
      : `Roll back deployment ${d.id}? Its apps return to their previous definitions (a new deployment).`;
    if (!confirm(question)) return;
    const what = force ? `Force cancel ${d.id}` : `Rollback ${d.id}`;
    message.hidden = false;
    message.className = 'notice';
    message.textContent = `${what}…`;
    try {
      const reply = await services.cancelDeployment(d.id, force);
      message.textContent = `${what}: done${reply && reply.deploymentId ? ` (rollback deployment ${reply.deploymentId})` : ''}`;
    } catch (error) {
      message.className = 'notice error';
      message.textContent = `${what} failed: ${error.message}`;
    }
    refreshNow();
  }

  return {
    async refresh() {
      const deployments = await services.deployments();
      list.replaceChildren(table([
        {title: 'id', cell: (d) => h('code', {class: 'deployment', 'data-deployment': d.id}, d.id)},
        {title: 'started', cell: (d) => h('code', {}, d.version || '–')},
        {title: 'affected apps', cell: (d) => h('span', {class: 'affected'},
          (d.affectedApps || []).map((id, i) => [i ? ', ' : '', appLink(id)]))},
        {title: 'step', cell: stepText},
        {title: 'current actions', cell: actionsCell},
        {title: '', cell: (d) => [
          h('button', {type: 'button', class: 'button small rollback', 'data-deployment': d.id,
            onclick: () => cancel(d, false)}, 'Rollback'), ' ',
          h('button', {type: 'button', class: 'button small danger force-cancel', 'data-deployment': d.id,
            onclick: () => cancel(d, true)}, 'Force cancel')]},
      ], deployments || [], {empty: 'No deployment in progress', id: 'deployments'}));
    },
    showError: page.showError,
  };
}
