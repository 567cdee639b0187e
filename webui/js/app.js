// The web UI's entry point: hash routes (every page has a URL that can be shared and
// reloaded: #/agents/ID, #/tasks?state=TASK_RUNNING, ...), and a refresh loop that asks the
// current page to update itself every couple of seconds (polling; one request at a time).
import {h, replace} from './dom.js';
import {startSampling} from './history.js';
import {parseHash} from './router.js';
import * as overview from './pages/overview.js';
import * as agents from './pages/agents.js';
import * as agent from './pages/agent.js';
import * as frameworks from './pages/frameworks.js';
import * as framework from './pages/framework.js';
import * as tasks from './pages/tasks.js';
import * as task from './pages/task.js';
import * as offers from './pages/offers.js';
import * as roles from './pages/roles.js';
import * as maintenance from './pages/maintenance.js';
import * as servicesPage from './pages/services.js';
import * as service from './pages/service.js';
import * as serviceForm from './pages/service_form.js';
import * as deployments from './pages/deployments.js';
import {services} from './api.js';

const REFRESH_MS = 2000;

// [segments length, first segment, page, nav entry, second segment (when it decides)]
const ROUTES = [
  [0, '', overview, 'overview'],
  [1, 'agents', agents, 'agents'],
  [2, 'agents', agent, 'agents'],
  [1, 'frameworks', frameworks, 'frameworks'],
  [2, 'frameworks', framework, 'frameworks'],
  [1, 'tasks', tasks, 'tasks'],
  [3, 'tasks', task, 'tasks'],
  [1, 'offers', offers, 'offers'],
  [1, 'roles', roles, 'roles'],
  [1, 'maintenance', maintenance, 'maintenance'],
  [1, 'services', servicesPage, 'services'],  // #/services
  [2, 'services', deployments, 'services', 'deployments'],  // #/services/deployments
  [2, 'services', serviceForm, 'services'],  // #/services/new
  [3, 'services', service, 'services'],  // #/services/apps/ID
  [4, 'services', serviceForm, 'services'],  // #/services/apps/ID/edit
];

let current = null;  // {page instance, timer, generation}
let generation = 0;

function showStatus(error) {
  const status = document.getElementById('status');
  if (error) {
    status.textContent = `error: ${error.message}`;
    status.className = 'status bad';
  } else {
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.className = 'status';
  }
}

async function refreshLoop(mine) {
  if (!current || current.generation !== mine) return;
  clearTimeout(current.timer);
  if (current.running) {
    current.again = true;  // One refresh at a time; another right after this one.
    return;
  }
  current.running = true;
  try {
    await current.instance.refresh();
    if (current && current.generation === mine) {
      showStatus(null);
      const error = document.querySelector('#main .page > .error');
      if (error) error.hidden = true;
    }
  } catch (error) {
    if (error.name === 'AbortError') return;
    if (current && current.generation === mine) {
      showStatus(error);
      current.instance.showError?.(error);
    }
  }
  if (current && current.generation === mine) {
    current.running = false;
    const delay = current.again ? 0 : REFRESH_MS;
    current.again = false;
    current.timer = setTimeout(() => refreshLoop(mine), delay);
  }
}

function route() {
  const {segments, params} = parseHash(location.hash);
  const found = ROUTES.find(([length, first, , , second]) =>
    length === segments.length && (length === 0 || first === segments[0]) &&
    (second === undefined || second === segments[1]));
  if (current) {
    clearTimeout(current.timer);
    current.instance.destroy?.();
  }
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', !!found && a.dataset.page === found[3]);
  }
  if (!found) {
    current = null;
    replace(main, h('div', {class: 'error'}, `No page at '${location.hash}'.`),
      h('p', {}, h('a', {href: '#/'}, 'Back to the overview')));
    return;
  }
  const root = h('div', {class: 'page', 'data-page': found[3]});
  replace(main, root);
  const mine = ++generation;
  const refreshNow = () => refreshLoop(mine);
  const instance = found[2].mount(root, {segments, params, refreshNow});
  current = {instance, timer: null, generation: mine, running: false, again: false};
  refreshLoop(mine);
}

// The Services menu entry shows only when the master proxies agora-services
// (its --services_url); the pages themselves answer either way.
async function showServicesEntry() {
  try {
    const config = await services.config();
    document.getElementById('nav-services').hidden = !config.enabled;
  } catch (error) {
    // An older master without /services/config: no Services pages.
  }
}

window.addEventListener('hashchange', route);
startSampling();
showServicesEntry();
route();
