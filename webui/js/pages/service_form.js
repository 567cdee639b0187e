// Create an app (#/services/new) or edit one (#/services/apps/ID/edit): a form of the usual
// fields (with the first health check and the upgrade strategy) and a raw JSON tab holding
// the whole definition. The definition goes to agora-services as it is (POST /v2/apps, or
// PUT /v2/apps/ID); its 422 answer's `details[{path, errors}]` are shown next to the fields
// they name, and the rest in a summary. A save refused because a deployment locks the app
// (409) offers to save anyway (?force=true).
import {services} from '../api.js';
import {h, replace} from '../dom.js';
import {frame} from './frame.js';
import {appHref} from './services.js';
import {lockingDeployments, showLocked} from './deployments.js';

// What the API returns about an app but does not take in its definition.
const READ_ONLY = ['version', 'versionInfo', 'tasks', 'tasksRunning', 'tasksStaged', 'tasksHealthy',
  'tasksUnhealthy', 'deployments', 'lastTaskFailure', 'taskStats', 'readinessCheckResults'];

// "KEY=VALUE" lines <-> {KEY: VALUE}.
const pairsToText = (object) => Object.entries(object || {}).map(([k, v]) => `${k}=${v}`).join('\n');
function textToPairs(text) {
  const out = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq < 0) out[line] = ''; else out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

// A number field: its number, or the text itself when it is not one (agora-services then
// says "error.expected.jsnumber" next to the field), or undefined when empty.
function numberOrText(text) {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

// The first health check of a definition, or undefined.
const firstCheck = (d) => (Array.isArray(d.healthChecks) ? d.healthChecks[0] : undefined);

// A field of the first health check: `key` of `healthChecks[0]`, a number unless `text`.
// Written only when the form names a protocol (the protocol field, first, adds the check).
function checkField(key, label, {text = false, placeholder = ''} = {}) {
  return {name: `hc-${key}`, label, path: `/healthChecks(0)/${key}`, section: 'health', placeholder,
    kind: text ? undefined : 'number',
    get: (d) => { const c = firstCheck(d); return c && c[key] !== undefined && c[key] !== null ? String(c[key]) : ''; },
    set: (d, v) => {
      const c = firstCheck(d);
      if (!c) return;
      const value = text ? v.trim() : numberOrText(v);
      if (value === undefined || value === '') delete c[key]; else c[key] = value;
    }};
}

const PROTOCOLS = ['HTTP', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_TCP'];

// A fraction of the upgrade strategy (0 to 1); empty leaves it to agora-services' default.
function strategyField(key, label) {
  return {name: `us-${key}`, label, path: `/upgradeStrategy/${key}`, section: 'upgrade', kind: 'number',
    placeholder: '1',
    get: (d) => { const u = d.upgradeStrategy; return u && u[key] !== undefined && u[key] !== null ? String(u[key]) : ''; },
    set: (d, v) => {
      const value = numberOrText(v);
      const u = {...(d.upgradeStrategy && typeof d.upgradeStrategy === 'object' ? d.upgradeStrategy : {})};
      if (value === undefined) delete u[key]; else u[key] = value;
      if (Object.keys(u).length) d.upgradeStrategy = u; else delete d.upgradeStrategy;
    }};
}

// The form's fields: name, label, the JSON path their errors come back under (and `paths`,
// more of them), input kind, section, and how they read from and write into a definition.
const FIELDS = [
  {name: 'id', label: 'id', path: '/id', placeholder: '/group/web',
    get: (d) => d.id || '', set: (d, v) => { d.id = v.trim(); }},
  {name: 'cmd', label: 'command', path: '/cmd', paths: ['/args'], placeholder: 'sleep 1000',
    get: (d) => d.cmd || '', set: (d, v) => {
      if (v.trim()) { d.cmd = v; delete d.args; } else { delete d.cmd; }
    }},
  ...['cpus', 'mem', 'disk', 'instances'].map((name) => ({
    name, label: name === 'mem' || name === 'disk' ? `${name} (MB)` : name, path: `/${name}`, kind: 'number',
    get: (d) => (d[name] === undefined || d[name] === null ? '' : String(d[name])),
    set: (d, v) => { const n = numberOrText(v); if (n === undefined) delete d[name]; else d[name] = n; },
  })),
  {name: 'image', label: 'container image (empty: none)', path: '/container', placeholder: 'busybox',
    get: (d) => (d.container && d.container.docker && d.container.docker.image) || '',
    set: (d, v) => {
      if (!v.trim()) { delete d.container; return; }
      d.container = {...(d.container || {}), type: (d.container && d.container.type) || 'DOCKER'};
      d.container.docker = {...(d.container.docker || {}), image: v.trim()};
    }},
  {name: 'ports', label: 'ports (comma separated; 0: any)', path: '/portDefinitions',
    get: (d) => (d.portDefinitions || []).map((p) => p.port).join(', '),
    set: (d, v) => {
      const ports = v.split(',').map((p) => p.trim()).filter(Boolean);
      d.portDefinitions = ports.map((p, i) => ({...((d.portDefinitions || [])[i] || {}), port: numberOrText(p)}));
    }},
  {name: 'env', label: 'environment (KEY=VALUE lines)', path: '/env', kind: 'lines',
    get: (d) => pairsToText(d.env), set: (d, v) => { d.env = textToPairs(v); }},
  {name: 'labels', label: 'labels (KEY=VALUE lines)', path: '/labels', kind: 'lines',
    get: (d) => pairsToText(d.labels), set: (d, v) => { d.labels = textToPairs(v); }},
  {name: 'constraints', label: 'constraints (field:OPERATOR[:value] lines)', path: '/constraints', kind: 'lines',
    placeholder: 'hostname:UNIQUE',
    get: (d) => (d.constraints || []).map((c) => (Array.isArray(c) ? c.join(':') : JSON.stringify(c))).join('\n'),
    set: (d, v) => {
      d.constraints = v.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
        const [field, operator, ...rest] = l.split(':');
        return rest.length ? [field, operator, rest.join(':')] : [field, operator].filter((x) => x !== undefined);
      });
    }},
  // The first health check; errors about the others (or the list) land on its protocol.
  {name: 'hc-protocol', label: 'protocol', path: '/healthChecks(0)/protocol', section: 'health', kind: 'select',
    paths: ['/healthChecks', '/healthChecks(0)'],
    options: [['', 'none'], ...PROTOCOLS.map((p) => [p, p])],
    get: (d) => { const c = firstCheck(d); return c ? c.protocol || 'HTTP' : ''; },
    set: (d, v) => {
      const rest = Array.isArray(d.healthChecks) ? d.healthChecks.slice(1) : [];
      if (!v) {
        if (rest.length) d.healthChecks = rest; else if (Array.isArray(d.healthChecks)) d.healthChecks = [];
        return;
      }
      d.healthChecks = [{...(firstCheck(d) || {}), protocol: v}, ...rest];
    }},
  checkField('path', 'path (HTTP)', {text: true, placeholder: '/health'}),
  checkField('portIndex', 'port index', {placeholder: '0'}),
  {name: 'hc-command', label: 'command (COMMAND)', path: '/healthChecks(0)/command', section: 'health',
    placeholder: 'test -f /tmp/ok',
    get: (d) => { const c = firstCheck(d); return (c && c.command && c.command.value) || ''; },
    set: (d, v) => {
      const c = firstCheck(d);
      if (!c) return;
      if (v.trim()) c.command = {...(c.command || {}), value: v.trim()}; else delete c.command;
    }},
  checkField('intervalSeconds', 'interval (s)', {placeholder: '60'}),
  checkField('timeoutSeconds', 'timeout (s)', {placeholder: '20'}),
  checkField('gracePeriodSeconds', 'grace period (s)', {placeholder: '300'}),
  checkField('maxConsecutiveFailures', 'max consecutive failures', {placeholder: '3'}),
  checkField('delaySeconds', 'delay (s)', {placeholder: '15'}),
  strategyField('minimumHealthCapacity', 'minimum health capacity (0–1)'),
  strategyField('maximumOverCapacity', 'maximum over capacity (0–1)'),
];

const SECTIONS = [['app', null], ['health', 'Health check'], ['upgrade', 'Upgrade strategy']];

// The field a 422 path belongs to ("/cpus", "/env/KEY", "/constraints(0)",
// "/healthChecks(0)/command/value"), or undefined: the field with the longest path that is
// the error's path or a prefix of it.
export function fieldOf(path) {
  let best;
  let length = -1;
  for (const f of FIELDS) {
    for (const p of [f.path, ...(f.paths || [])]) {
      const matches = path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}(`);
      if (matches && p.length > length) {
        best = f;
        length = p.length;
      }
    }
  }
  return best;
}

export function mount(root, {segments}) {
  const editing = segments.length === 4;
  const appId = editing ? segments[2] : null;
  if (!editing && segments[1] !== 'new') {
    const page = frame(root, 'Services');
    page.showError(new Error(`No page at '${location.hash}'.`));
    return {async refresh() {}, showError: page.showError};
  }
  const page = frame(root, editing ? `Edit ${appId}` : 'Create app');
  let base = {};  // The definition being edited; the form writes its fields into a copy.
  let loaded = !editing;
  let mode = 'form';
  const inputs = {};
  const errors = {};
  const summary = h('div', {class: 'error', id: 'form-errors', hidden: true});
  const json = h('textarea', {name: 'json', id: 'app-json', class: 'json', rows: 24, spellcheck: 'false'});
  const fieldBox = (f) => {
    const attrs = {name: f.name, id: `input-${f.name}`, placeholder: f.placeholder || ''};
    if (f.kind === 'lines') {
      inputs[f.name] = h('textarea', {...attrs, rows: 3});
    } else if (f.kind === 'select') {
      inputs[f.name] = h('select', {name: f.name, id: `input-${f.name}`},
        f.options.map(([value, label]) => h('option', {value}, label)));
    } else {
      inputs[f.name] = h('input', {...attrs, type: 'text', inputmode: f.kind === 'number' ? 'decimal' : undefined,
        readonly: editing && f.name === 'id'});
    }
    errors[f.name] = h('div', {class: 'field-error', 'data-field': f.name, hidden: true});
    return h('div', {class: 'field', id: `field-${f.name}`},
      h('label', {for: `input-${f.name}`}, f.label), inputs[f.name], errors[f.name]);
  };
  const formPane = h('div', {id: 'form-pane'}, SECTIONS.map(([section, title]) => [
    title ? h('h3', {class: 'form-section'}, title) : '',
    h('div', {class: 'form-grid', 'data-section': section},
      FIELDS.filter((f) => (f.section || 'app') === section).map(fieldBox))]));
  const jsonPane = h('div', {id: 'json-pane', hidden: true}, json);
  const tab = (name, label) => h('a', {href: '#', class: 'tab', 'data-tab': name,
    onclick: (event) => { event.preventDefault(); switchTo(name); }}, label);
  const tabs = h('div', {class: 'tabs'}, tab('form', 'Form'), tab('json', 'JSON'));
  const submit = h('button', {type: 'submit', class: 'button primary', id: 'submit-app'},
    editing ? 'Save' : 'Create');
  const form = h('form', {class: 'app-form', id: 'app-form', onsubmit: (event) => {
    event.preventDefault();
    save();
  }}, tabs, summary, formPane, jsonPane, h('div', {class: 'actions'}, submit,
    h('a', {href: editing ? appHref(appId) : '#/services', class: 'button'}, 'Cancel')));
  page.show(form);

  function fill(definition) {
    for (const f of FIELDS) inputs[f.name].value = f.get(definition);
  }

  function fromForm() {
    const definition = structuredClone(base);
    for (const f of FIELDS) f.set(definition, inputs[f.name].value);
    return definition;
  }

  function clearErrors() {
    summary.hidden = true;
    summary.className = 'error';
    replace(summary);
    for (const f of FIELDS) {
      errors[f.name].hidden = true;
      inputs[f.name].classList.remove('invalid');
    }
  }

  function showErrors(message, details) {
    clearErrors();
    const rest = [];
    for (const d of details) {
      const f = mode === 'form' ? fieldOf(d.path) : undefined;
      const text = (d.errors || []).join('; ');
      if (!f) {
        rest.push(h('li', {}, h('code', {}, d.path), ` ${text}`));
        continue;
      }
      errors[f.name].hidden = false;
      errors[f.name].append(h('div', {}, d.path === f.path ? text : `${d.path}: ${text}`));
      inputs[f.name].classList.add('invalid');
    }
    if (rest.length || !details.length) {
      summary.hidden = false;
      replace(summary, h('div', {}, message), rest.length ? h('ul', {}, rest) : '');
    }
  }

  // Form -> JSON keeps what the form does not show; JSON -> form needs valid JSON.
  // The JSON tab's definition, or null (and the reason shown) when it is not a JSON object.
  function fromJson() {
    let definition;
    try {
      definition = JSON.parse(json.value);
    } catch (error) {
      showErrors(`The JSON does not parse: ${error.message}`, []);
      return null;
    }
    if (!definition || typeof definition !== 'object' || Array.isArray(definition)) {
      showErrors('The JSON must be an object (an app definition).', []);
      return null;
    }
    return definition;
  }

  function switchTo(next) {
    if (next === mode) return;
    if (next === 'json') {
      json.value = JSON.stringify(fromForm(), null, 2);
    } else {
      const definition = fromJson();
      if (!definition) return;
      fill(base = definition);
    }
    clearErrors();
    mode = next;
    formPane.hidden = mode !== 'form';
    jsonPane.hidden = mode !== 'json';
    for (const t of tabs.children) t.classList.toggle('active', t.dataset.tab === mode);
  }

  async function save(force = false) {
    const definition = mode === 'form' ? fromForm() : fromJson();
    if (!definition) return;
    submit.disabled = true;
    try {
      const reply = editing ? await services.update(appId, definition, force) : await services.create(definition);
      location.hash = appHref((reply && reply.id) || definition.id || appId);
    } catch (error) {
      if (editing && !force && lockingDeployments(error)) {
        clearErrors();
        showLocked(summary, 'Save', error, () => save(true));
        return;
      }
      const details = error.body && Array.isArray(error.body.details) ? error.body.details : [];
      showErrors(error.message, details);
    } finally {
      submit.disabled = false;
    }
  }

  for (const t of tabs.children) t.classList.toggle('active', t.dataset.tab === mode);
  if (!editing) fill(base = {cpus: 0.1, mem: 32, instances: 1});
  return {
    async refresh() {
      if (loaded) return;  // Read once: refreshes must not overwrite what is being typed.
      const reply = await services.app(appId);
      base = {...reply.app};
      for (const key of READ_ONLY) delete base[key];
      fill(base);
      loaded = true;
    },
    showError: page.showError,
  };
}
