// Frameworks: a page of the master's /frameworks summaries (no task lists).
import {api} from '../api.js';
import {h, link, table, pager, stateBadge, fmtResources, fmtTime} from '../dom.js';
import {setParams} from '../router.js';
import {frame, filterInput} from './frame.js';

const LIMIT = 50;

export function mount(root, {params, refreshNow}) {
  const filters = {search: params.get('search') || ''};
  let offset = Number(params.get('offset')) || 0;
  const page = frame(root, 'Frameworks',
    filterInput('search', filters.search, 'id, name, user or role', (value) => {
      filters.search = value;
      offset = 0;
      setParams({...filters});
      refreshNow();
    }));
  return {
    async refresh() {
      const reply = await api.frameworks({...filters, limit: LIMIT, offset});
      page.show(
        frameworksTable(reply.frameworks),
        pager(reply.total, offset, LIMIT, (o) => `#/frameworks?${new URLSearchParams({...filters, offset: o})}`),
        h('h2', {}, 'Completed frameworks'),
        table([
          {title: 'id', cell: (f) => h('code', {}, f.id)},
          {title: 'name', cell: (f) => f.name},
          {title: 'user', cell: (f) => f.user},
          {title: 'completed tasks', cell: (f) =>
            h('a', {href: `#/tasks?framework_id=${encodeURIComponent(f.id)}`}, String(f.completed_task_count))},
        ], reply.completed_frameworks, {empty: 'None', id: 'completed-frameworks'}));
    },
    showError: page.showError,
  };
}

export function frameworksTable(frameworks) {
  return table([
    {title: 'name', cell: (f) => link.framework(f.id, f.name)},
    {title: 'id', cell: (f) => h('code', {}, f.id)},
    {title: 'roles', cell: (f) => f.roles.map((r) => [link.role(r), ' '])},
    {title: 'state', cell: (f) => [stateBadge(f.state), f.suppressed ? ' suppressed' : '']},
    {title: 'tasks', cell: (f) =>
      h('a', {href: `#/tasks?framework_id=${encodeURIComponent(f.id)}&state=active`}, String(f.task_count))},
    {title: 'used', cell: (f) => fmtResources(f.used_resources)},
    {title: 'offers', cell: (f) =>
      h('a', {href: `#/offers?framework_id=${encodeURIComponent(f.id)}`}, String(f.offer_count))},
    {title: 'offered', cell: (f) => fmtResources(f.offered_resources)},
    {title: 'registered', cell: (f) => fmtTime(f.registered_time)},
  ], frameworks, {empty: 'No frameworks match', id: 'frameworks'});
}
