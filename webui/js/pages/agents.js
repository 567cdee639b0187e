// Agents: one page of the master's /slaves at a time, filtered on the master.
import {api} from '../api.js';
import {h, link, table, pager, stateBadge, fmtUsage, fmtAttributes, fmtBytes} from '../dom.js';
import {setParams} from '../router.js';
import {frame, filterInput, filterSelect} from './frame.js';

const LIMIT = 50;

export function mount(root, {params, refreshNow}) {
  const filters = {search: params.get('search') || '', state: params.get('state') || ''};
  let offset = Number(params.get('offset')) || 0;
  const update = (key) => (value) => {
    filters[key] = value;
    offset = 0;
    setParams({...filters});
    refreshNow();
  };
  const page = frame(root, 'Agents',
    filterInput('search', filters.search, 'hostname, id or attribute', update('search')),
    filterSelect('state', filters.state, [['', 'any'], ['REGISTERED', 'registered'],
      ['UNREACHABLE', 'unreachable'], ['RECOVERED', 'recovered']], update('state')));
  return {
    async refresh() {
      const reply = await api.agents({...filters, limit: LIMIT, offset});
      page.show(agentsTable(reply.slaves),
        pager(reply.total, offset, LIMIT, (o) => hrefWith(filters, o)));
    },
    showError: page.showError,
  };
}

function hrefWith(filters, offset) {
  const search = new URLSearchParams({...filters, offset});
  return `#/agents?${search}`;
}

export function agentsTable(agents) {
  return table([
    {title: 'hostname', cell: (a) => link.agent(a.id, a.hostname)},
    {title: 'id', cell: (a) => h('code', {}, a.id)},
    {title: 'attributes', cell: (a) => fmtAttributes(a.attributes)},
    {title: 'state', cell: (a) => [stateBadge(a.state), a.deactivated ? ' deactivated' : '',
      a.drain_info ? ` ${a.drain_info.state}` : '']},
    {title: 'tasks', cell: (a) => h('a', {href: `#/tasks?agent_id=${encodeURIComponent(a.id)}`},
      String(a.task_count ?? ''))},
    {title: 'cpus', cell: (a) => fmtUsage(a.used_resources, a.resources, 'cpus')},
    {title: 'mem', cell: (a) => fmtUsage(a.used_resources, a.resources, 'mem')},
    {title: 'disk', cell: (a) => fmtUsage(a.used_resources, a.resources, 'disk')},
    // What the agent's containers use (from its heartbeats), not what they were given.
    {title: 'containers: memory in use', cell: (a) => {
      const usage = a.container_usage;
      return usage && usage.containers ? `${fmtBytes(usage.mem_rss_bytes)} in ${usage.containers}` : '–';
    }},
  ], agents, {empty: 'No agents match', id: 'agents'});
}
