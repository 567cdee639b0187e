// One framework: its summary (roles, connection, resources, offers, why it gets no
// offers) and a page of its tasks.
import {api} from '../api.js';
import {h, link, table, stateBadge, fmtResources, fmtTime, pager} from '../dom.js';
import {frame} from './frame.js';
import {tasksTable} from './tasks.js';

const LIMIT = 50;

export function mount(root, {segments, params}) {
  const frameworkId = segments[1];
  const offset = Number(params.get('offset')) || 0;
  const page = frame(root, `Framework ${frameworkId}`);
  return {
    async refresh() {
      const [reply, tasks] = await Promise.all([
        api.frameworks({framework_id: frameworkId}),
        api.tasks({framework_id: frameworkId, limit: LIMIT, offset, order: 'des'})]);
      const f = reply.frameworks[0];
      const completed = reply.completed_frameworks[0];
      if (!f && !completed) throw new Error(`The master knows no framework '${frameworkId}'.`);
      page.heading.textContent = `Framework ${(f || completed).name}`;
      page.show(
        f ? h('dl', {class: 'facts'},
          h('dt', {}, 'id'), h('dd', {}, h('code', {}, f.id)),
          h('dt', {}, 'state'), h('dd', {}, stateBadge(f.state),
            f.suppressed ? ' (offers suppressed)' : ''),
          h('dt', {}, 'user'), h('dd', {}, f.user || '–'),
          h('dt', {}, 'roles'), h('dd', {}, f.roles.map((r) => [link.role(r), ' '])),
          h('dt', {}, 'failover timeout'), h('dd', {}, `${f.failover_timeout} s`),
          h('dt', {}, 'registered'), h('dd', {}, fmtTime(f.registered_time)),
          h('dt', {}, 'used'), h('dd', {}, fmtResources(f.used_resources)),
          h('dt', {}, 'offered'), h('dd', {}, fmtResources(f.offered_resources)),
          h('dt', {}, 'offers'), h('dd', {}, f.pending_reason || '–'))
          : h('p', {class: 'muted'}, 'This framework has completed.'),
        f ? table([
          {title: 'offer', cell: (o) => h('code', {}, o.id)},
          {title: 'agent', cell: (o) => link.agent(o.slave_id)},
          {title: 'role', cell: (o) => o.role},
          {title: 'resources', cell: (o) => fmtResources(o.resources)},
        ], f.offers || [], {empty: 'No outstanding offers', id: 'framework-offers'}) : '',
        h('h2', {}, `Tasks (${tasks.total})`),
        tasksTable(tasks.tasks, 'framework-tasks'),
        pager(tasks.total, offset, LIMIT, (o) => `#/frameworks/${encodeURIComponent(frameworkId)}?offset=${o}`));
    },
    showError: page.showError,
  };
}
