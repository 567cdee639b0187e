// Hash routes: every page has a URL that can be shared and reloaded, filters included
// (#/tasks?state=TASK_RUNNING&search=web).

// "#/tasks/fw/t1?state=X" -> {segments: ['tasks', 'fw', 't1'], params: URLSearchParams}
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, '');
  const [path, search] = text.split('?', 2);
  const segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  return {segments, params: new URLSearchParams(search || '')};
}

// Sets the current route's query parameters (filters, page) in the URL without a new
// history entry per keystroke and without re-rendering: the page refreshes itself.
export function setParams(params) {
  const {segments} = parseHash(location.hash);
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const path = segments.map(encodeURIComponent).join('/');
  const text = search.toString();
  history.replaceState(null, '', `#/${path}${text ? `?${text}` : ''}`);
}

