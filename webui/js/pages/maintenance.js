// Maintenance: the schedule's windows (/maintenance/schedule) and the machines' status
// (/maintenance/status: draining machines with the frameworks' answers, down machines).
import {api} from '../api.js';
import {h, link, table, fmtTime, fmtNumber} from '../dom.js';
import {frame} from './frame.js';

const machine = (m) => m.hostname || m.ip || JSON.stringify(m);
const seconds = (t) => (t && t.nanoseconds !== undefined ? Number(t.nanoseconds) / 1e9 : null);

export function mount(root) {
  const page = frame(root, 'Maintenance');
  return {
    async refresh() {
      const [schedule, status] = await Promise.all([api.maintenanceSchedule(), api.maintenanceStatus()]);
      page.show(
        h('h2', {}, 'Schedule'),
        table([
          {title: 'machines', cell: (w) => (w.machine_ids || []).map(machine).join(', ')},
          {title: 'begins', cell: (w) => fmtTime(seconds((w.unavailability || {}).start))},
          {title: 'duration', cell: (w) => {
            const d = seconds((w.unavailability || {}).duration);
            return d === null ? 'open-ended' : `${fmtNumber(d / 3600, 2)} h`;
          }},
        ], schedule.windows || [], {empty: 'No maintenance scheduled', id: 'maintenance-windows'}),
        h('h2', {}, 'Draining machines'),
        table([
          {title: 'machine', cell: (m) => machine(m.id)},
          {title: 'frameworks answered', cell: (m) => (m.statuses || []).map((s) =>
            h('div', {}, link.framework(s.framework_id.value), `: ${s.status}`))},
        ], status.draining_machines || [], {empty: 'None', id: 'draining-machines'}),
        h('h2', {}, 'Down machines'),
        table([{title: 'machine', cell: machine}], status.down_machines || [],
          {empty: 'None', id: 'down-machines'}));
    },
    showError: page.showError,
  };
}
