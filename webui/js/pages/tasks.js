// Tasks, active and completed: a page of the master's /tasks, filtered on the master by
// state, framework, agent, name and free-text search. The filters live in the URL.
import {api} from '../api.js';
import {h, link, table, pager, stateBadge, fmtResources, fmtTime, ACTIVE_STATES,
  COMPLETED_STATES} from '../dom.js';
import {setParams} from '../router.js';
import {frame, filterInput, filterSelect} from './frame.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const FILTERS = ['state', 'framework_id', 'agent_id', 'name', 'search'];

// The `state` filter: a group ("active", "completed") or one TASK_* state.
function statesFor(value) {
  if (value === 'active') return ACTIVE_STATES.join(',');
  if (value === 'completed') return COMPLETED_STATES.join(',');
  return value;
}

export function mount(root, {params, refreshNow}) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) || '']));
  let offset = Number(params.get('offset')) || 0;
  // The page size may be set in the URL (`limit=`), kept while paging.
  const limit = Math.min(MAX_LIMIT, Number(params.get('limit')) || DEFAULT_LIMIT);
  const pageParams = () => (limit === DEFAULT_LIMIT ? {...filters} : {...filters, limit});
  const update = (key) => (value) => {
    filters[key] = value;
    offset = 0;
    setParams(pageParams());
    refreshNow();
  };
  const stateOptions = [['', 'any'], ['active', 'active'], ['completed', 'completed'],
    ...[...ACTIVE_STATES, ...COMPLETED_STATES].map((s) => [s, s.replace(/^TASK_/, '')])];
  const page = frame(root, 'Tasks',
    filterSelect('state', filters.state, stateOptions, update('state')),
    filterInput('framework_id', filters.framework_id, 'framework id', update('framework_id')),
    filterInput('agent_id', filters.agent_id, 'agent id', update('agent_id')),
    filterInput('name', filters.name, 'name contains', update('name')),
    filterInput('search', filters.search, 'id, name, state…', update('search')));
  return {
    async refresh() {
      const reply = await api.tasks({...filters, state: statesFor(filters.state), limit,
        offset, order: 'des'});
      page.show(
        h('p', {class: 'counts'}, Object.entries(reply.states).sort().map(([state, count]) =>
          h('span', {class: 'count'}, stateBadge(state), ` ${count} `))),
        tasksTable(reply.tasks, 'tasks'),
        pager(reply.total, offset, limit,
          (o) => `#/tasks?${new URLSearchParams({...pageParams(), offset: o})}`));
    },
    showError: page.showError,
  };
}

export function lastStatus(task) {
  const statuses = task.statuses || [];
  return statuses.length ? statuses[statuses.length - 1] : null;
}

export function tasksTable(tasks, id) {
  return table([
    {title: 'id', cell: (t) => link.task(t.framework_id, t.id)},
    {title: 'name', cell: (t) => t.name},
    {title: 'state', cell: (t) => stateBadge(t.state)},
    {title: 'framework', cell: (t) => link.framework(t.framework_id)},
    {title: 'agent', cell: (t) => link.agent(t.slave_id)},
    {title: 'resources', cell: (t) => fmtResources(t.resources)},
    {title: 'updated', cell: (t) => fmtTime((lastStatus(t) || {}).timestamp)},
  ], tasks, {empty: 'No tasks match', id});
}
