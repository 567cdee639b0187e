// The master's HTTP API, as the UI uses it. Everything the UI shows comes from these
// endpoints (the same ones curl and the CLI use); nothing here fetches the whole /state.

export class ApiError extends Error {
  // `body`: the server's JSON error body when it sent one (Marathon's 422 has `details`).
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// GET `path` as JSON; errors carry the server's `{"message"}` when it sent one.
export function getJson(path, {signal} = {}) {
  return requestJson('GET', path, undefined, {signal});
}

// `method path` with `body` (sent as JSON when given) -> the JSON answer (null when empty).
// Errors carry the server's `{"message"}` and its whole body.
export async function requestJson(method, path, body, {signal} = {}) {
  let response;
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    response = await fetch(path, {method, signal, headers,
      body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `the master did not answer (${error.message})`);
  }
  const text = await response.text();
  let reply = null;
  try {
    reply = text ? JSON.parse(text) : null;
  } catch (error) {
    if (response.ok) throw new ApiError(response.status, `bad JSON from ${path}`);
  }
  if (!response.ok) {
    const message = reply && reply.message ? reply.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, reply);
  }
  return reply;
}

// "?a=1&b=2" from an object, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const agentPath = (agentId, path) => `/agents/${encodeURIComponent(agentId)}/${path}`;

export const api = {
  overview: () => getJson('/overview'),
  tasks: (params) => getJson(`/tasks${query(params)}`),
  agents: (params) => getJson(`/slaves${query(params)}`),
  frameworks: (params) => getJson(`/frameworks${query(params)}`),
  offers: (params) => getJson(`/offers${query(params)}`),
  roles: () => getJson('/roles'),
  maintenanceSchedule: () => getJson('/maintenance/schedule'),
  maintenanceStatus: () => getJson('/maintenance/status'),
  // Forwarded by the master to the agent's own endpoints.
  agentState: (agentId) => getJson(agentPath(agentId, 'state')),
  agentStatistics: (agentId) => getJson(agentPath(agentId, 'monitor/statistics')),
  browse: (agentId, path) => getJson(agentPath(agentId, `files/browse${query({path})}`)),
  read: (agentId, path, offset, length) =>
    getJson(agentPath(agentId, `files/read${query({path, offset, length})}`)),
};

// agora-services' Marathon API (frameworks/services/), proxied by the master at /services/v2/
// (its `--services_url`). App ids are paths ("/group/web"): their segments are encoded one
// by one, the slashes kept.
const idPath = (id) => String(id).replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
const appPath = (id) => `/services/v2/apps/${idPath(id)}`;
const groupPath = (id) => `/services/v2/groups/${idPath(id)}`;
// Changes to an app locked by a deployment answer 409 unless forced; `force` repeats them
// with `?force=true` (the new deployment supersedes the old ones).
const forced = (force) => (force ? '?force=true' : '');

export const services = {
  config: () => getJson('/services/config'),
  info: () => getJson('/services/v2/info'),
  apps: () => getJson('/services/v2/apps?embed=apps.tasks'),
  app: (id) => getJson(appPath(id)),
  versions: (id) => getJson(`${appPath(id)}/versions`),
  version: (id, version) => getJson(`${appPath(id)}/versions/${encodeURIComponent(version)}`),
  queue: () => getJson('/services/v2/queue'),
  create: (definition) => requestJson('POST', '/services/v2/apps', definition),
  update: (id, definition, force) => requestJson('PUT', `${appPath(id)}${forced(force)}`, definition),
  scale: (id, instances, force) => requestJson('PUT', `${appPath(id)}${forced(force)}`, {instances}),
  restart: (id, force) => requestJson('POST', `${appPath(id)}/restart${forced(force)}`),
  destroy: (id, force) => requestJson('DELETE', `${appPath(id)}${forced(force)}`),
  killTask: (id, taskId, scale, force) => requestJson('DELETE',
    `${appPath(id)}/tasks/${encodeURIComponent(taskId)}${query({scale: scale ? 'true' : '', force: force ? 'true' : ''})}`),
  deployments: () => getJson('/services/v2/deployments'),
  // Without force: a rollback (a new deployment back to the previous definitions);
  // with force: the deployment is dropped where it stands.
  cancelDeployment: (id, force) =>
    requestJson('DELETE', `/services/v2/deployments/${encodeURIComponent(id)}${forced(force)}`),
  groups: () => getJson('/services/v2/groups'),
  scaleGroup: (id, factor, force) => requestJson('PUT', `${groupPath(id)}${forced(force)}`, {scaleBy: factor}),
};
