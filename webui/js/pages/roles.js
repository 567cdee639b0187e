// Roles (the master's /roles): weight, quota, allocation, and why a role's frameworks get
// no offers right now.
import {api} from '../api.js';
import {h, link, table, fmtResources, fmtNumber} from '../dom.js';
import {frame} from './frame.js';

export function mount(root, {params}) {
  const selected = params.get('role');
  const page = frame(root, 'Roles');
  return {
    async refresh() {
      const reply = await api.roles();
      const roles = reply.roles.filter((r) => !selected || r.name === selected);
      page.show(
        selected ? h('p', {}, `Role ${selected} — `, h('a', {href: '#/roles'}, 'all roles')) : '',
        table([
          {title: 'role', cell: (r) => h('span', {'data-role': r.name}, r.name)},
          {title: 'weight', cell: (r) => fmtNumber(r.weight)},
          {title: 'frameworks', cell: (r) => r.frameworks.map((id) => [link.framework(id), ' '])},
          {title: 'allocated', cell: (r) => fmtResources(r.allocated)},
          {title: 'offered', cell: (r) => fmtResources(r.offered)},
          {title: 'reserved', cell: (r) => fmtResources(r.reserved)},
          {title: 'quota guarantee', cell: (r) => fmtResources(r.quota.guarantee)},
          {title: 'quota limit', cell: (r) => fmtResources(r.quota.limit)},
          {title: 'why pending', cell: (r) => r.why_pending.map((p) =>
            h('div', {}, link.framework(p.framework_id), `: ${p.reason}`))},
        ], roles, {empty: 'No roles yet (a role appears when a framework, weight, quota or reservation names it)', id: 'roles'}));
    },
    showError: page.showError,
  };
}
