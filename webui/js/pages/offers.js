// Outstanding offers: a page of the master's /offers, by framework or agent.
import {api} from '../api.js';
import {h, link, table, pager, fmtResources} from '../dom.js';
import {setParams} from '../router.js';
import {frame, filterInput} from './frame.js';

const LIMIT = 50;

export function mount(root, {params, refreshNow}) {
  const filters = {framework_id: params.get('framework_id') || '', agent_id: params.get('agent_id') || ''};
  let offset = Number(params.get('offset')) || 0;
  const update = (key) => (value) => {
    filters[key] = value;
    offset = 0;
    setParams({...filters});
    refreshNow();
  };
  const page = frame(root, 'Offers',
    filterInput('framework_id', filters.framework_id, 'framework id', update('framework_id')),
    filterInput('agent_id', filters.agent_id, 'agent id', update('agent_id')));
  return {
    async refresh() {
      const reply = await api.offers({...filters, limit: LIMIT, offset});
      page.show(table([
        {title: 'offer', cell: (o) => h('code', {}, o.id)},
        {title: 'framework', cell: (o) => link.framework(o.framework_id)},
        {title: 'agent', cell: (o) => link.agent(o.slave_id, o.hostname || o.slave_id)},
        {title: 'role', cell: (o) => link.role(o.role)},
        {title: 'resources', cell: (o) => fmtResources(o.resources)},
      ], reply.offers, {empty: 'No outstanding offers', id: 'offers'}),
      pager(reply.total, offset, LIMIT, (o) => `#/offers?${new URLSearchParams({...filters, offset: o})}`));
    },
    showError: page.showError,
  };
}
