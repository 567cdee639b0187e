// One agent: its resources, its active tasks (a page of /tasks filtered by agent) and live
// per-container usage from the agent's /monitor/statistics (forwarded by the master).
import {api} from '../api.js';
import {h, link, table, stateBadge, fmtResources, fmtAttributes, fmtTime, fmtNumber, fmtBytes,
  ACTIVE_STATES} from '../dom.js';
import {frame} from './frame.js';
import {tasksTable} from './tasks.js';

export function mount(root, {segments}) {
  const agentId = segments[1];
  const page = frame(root, `Agent ${agentId}`);
  let previous = new Map();  // executor id -> statistics of the last poll (for CPU rates)
  return {
    async refresh() {
      const reply = await api.agents({slave_id: agentId});
      const agent = reply.slaves[0];
      if (!agent) throw new Error(`The master knows no agent '${agentId}'.`);
      page.heading.textContent = `Agent ${agent.hostname}`;
      const [tasks, usage] = await Promise.all([
        api.tasks({agent_id: agentId, state: ACTIVE_STATES.join(','), limit: 100}),
        agent.state === 'REGISTERED' ? api.agentStatistics(agentId).catch((e) => e) : null,
      ]);
      page.show(
        h('dl', {class: 'facts'},
          h('dt', {}, 'id'), h('dd', {}, h('code', {}, agent.id)),
          h('dt', {}, 'state'), h('dd', {}, stateBadge(agent.state),
            agent.deactivated ? ' deactivated' : '', agent.drain_info ? ` ${agent.drain_info.state}` : ''),
          h('dt', {}, 'address'), h('dd', {}, agent.http_address),
          h('dt', {}, 'attributes'), h('dd', {}, fmtAttributes(agent.attributes) || '–'),
          h('dt', {}, 'registered'), h('dd', {}, fmtTime(agent.registered_time)),
          h('dt', {}, 'total'), h('dd', {}, fmtResources(agent.resources)),
          h('dt', {}, 'used'), h('dd', {}, fmtResources(agent.used_resources)),
          h('dt', {}, 'offered'), h('dd', {}, fmtResources(agent.offered_resources))),
        h('h2', {}, `Active tasks (${tasks.total})`),
        h('p', {}, h('a', {href: `#/tasks?agent_id=${encodeURIComponent(agentId)}`},
          'All tasks of this agent, completed ones included')),
        tasksTable(tasks.tasks, 'agent-tasks'),
        h('h2', {}, 'Container usage'),
        usageView(usage));
    },
    showError: page.showError,
  };

  function usageView(usage) {
    if (usage === null) return h('p', {class: 'muted'}, 'The agent is not connected.');
    if (usage instanceof Error) return h('div', {class: 'error'}, `Usage unavailable: ${usage.message}`);
    const rows = usage.map((entry) => {
      const s = entry.statistics || {};
      const before = previous.get(entry.executor_id);
      let cpuRate = null;
      const cpuTime = (x) => (x.cpus_user_time_secs || 0) + (x.cpus_system_time_secs || 0);
      if (before && s.cpus_user_time_secs !== undefined && s.timestamp > before.timestamp) {
        cpuRate = (cpuTime(s) - cpuTime(before)) / (s.timestamp - before.timestamp);
      }
      return {entry, s, cpuRate};
    });
    previous = new Map(usage.map((e) => [e.executor_id, e.statistics || {}]));
    return table([
      {title: 'task', cell: (r) => link.task(r.entry.framework_id, r.entry.executor_id)},
      {title: 'name', cell: (r) => r.entry.executor_name},
      {title: 'container', cell: (r) => r.s.container_id ? h('code', {}, r.s.container_id) : 'none (posix)'},
      {title: 'cpus used / limit', cell: (r) =>
        `${r.cpuRate === null ? '–' : fmtNumber(r.cpuRate, 3)} / ${fmtNumber(r.s.cpus_limit)}`},
      {title: 'memory rss / limit', cell: (r) =>
        `${fmtBytes(r.s.mem_rss_bytes)} / ${fmtBytes(r.s.mem_limit_bytes)}`},
    ], rows, {empty: 'No running containers', id: 'usage'});
  }
}
