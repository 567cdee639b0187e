// The master's HTTP API, as the UI uses it. Everything the UI shows comes from these
// endpoints (the same ones curl and the CLI use); nothing here fetches the whole /state.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// GET `path` as JSON; errors carry the server's `{"message"}` when it sent one.
export async function getJson(path, {signal} = {}) {
  let response;
  try {
    response = await fetch(path, {signal, headers: {Accept: 'application/json'}});
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `the master did not answer (${error.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (error) {
    if (response.ok) throw new ApiError(response.status, `bad JSON from ${path}`);
  }
  if (!response.ok) {
    const message = body && body.message ? body.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body;
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
