// One task: its state and status history (reason, message), a browser of its sandbox and a
// live tail of stdout / stderr (or of any file picked in the browser).
import {api} from '../api.js';
import {h, link, table, stateBadge, fmtResources, fmtTime, fmtBytes, replace} from '../dom.js';
import {LogTail} from '../logtail.js';
import {setParams} from '../router.js';
import {frame} from './frame.js';

export function mount(root, {segments, params, refreshNow}) {
  const [, frameworkId, taskId] = segments;
  const page = frame(root, `Task ${taskId}`);
  const facts = h('div', {});
  const history = h('div', {});
  const files = h('div', {class: 'files'});
  const tailTabs = h('div', {class: 'tabs'});
  const tailBox = h('div', {});
  page.show(facts, h('h2', {}, 'Status history'), history,
    h('h2', {}, 'Logs'), tailTabs, tailBox, h('h2', {}, 'Sandbox'), files);
  let sandbox = null;  // {agentId, directory}
  let browsePath = params.get('path') || '';  // Relative to the sandbox.
  let file = params.get('file') || 'stdout';
  let tail = null;

  function openTail() {
    if (!sandbox) return;
    tail?.stop();
    tail = new LogTail(sandbox.agentId, `${sandbox.directory}/${file}`);
    replace(tailBox, tail.element);
    replace(tailTabs, ['stdout', 'stderr'].map((name) => h('a', {
      href: '#', class: name === file ? 'tab active' : 'tab', 'data-file': name,
      onclick: (event) => { event.preventDefault(); pick(name); },
    }, name)), file !== 'stdout' && file !== 'stderr' ? h('span', {class: 'tab active'}, file) : '');
  }

  function pick(name) {
    file = name;
    setParams({path: browsePath, file});
    openTail();
  }

  async function findSandbox(task) {
    const state = await api.agentState(task.slave_id);
    for (const list of ['frameworks', 'completed_frameworks']) {
      for (const fw of state[list] || []) {
        if (fw.id !== frameworkId) continue;
        for (const executors of ['executors', 'completed_executors']) {
          for (const executor of fw[executors] || []) {
            const runs = executor.id === taskId || [...(executor.tasks || []),
              ...(executor.completed_tasks || [])].some((t) => t.id === taskId);
            if (runs && executor.directory) return {agentId: task.slave_id, directory: executor.directory};
          }
        }
      }
    }
    return null;
  }

  async function showFiles() {
    const path = browsePath ? `${sandbox.directory}/${browsePath}` : sandbox.directory;
    const entries = await api.browse(sandbox.agentId, path);
    const relative = (p) => p.slice(sandbox.directory.length + 1);
    const up = browsePath ? browsePath.split('/').slice(0, -1).join('/') : null;
    replace(files,
      h('div', {class: 'muted'}, h('code', {}, path)),
      up !== null ? h('a', {href: '#', class: 'up', onclick: (e) => { e.preventDefault(); browse(up); }}, '‹ up') : '',
      table([
        {title: 'name', cell: (e) => {
          const name = e.path.split('/').pop();
          const isDir = e.mode.startsWith('d');
          return h('a', {href: '#', class: isDir ? 'dir' : 'file', 'data-name': name, onclick: (event) => {
            event.preventDefault();
            if (isDir) browse(relative(e.path)); else pick(relative(e.path));
          }}, isDir ? `${name}/` : name);
        }},
        {title: 'mode', cell: (e) => h('code', {}, e.mode)},
        {title: 'size', cell: (e) => fmtBytes(e.size)},
        {title: 'modified', cell: (e) => fmtTime(e.mtime)},
      ], entries, {empty: 'Empty directory', id: 'sandbox-files'}));
  }

  function browse(path) {
    browsePath = path;
    setParams({path: browsePath, file});
    refreshNow();
  }

  return {
    async refresh() {
      const reply = await api.tasks({framework_id: frameworkId, task_id: taskId, limit: 1});
      const task = reply.tasks[0];
      if (!task) throw new Error(`The master knows no task '${taskId}' of framework '${frameworkId}'.`);
      const statuses = task.statuses || [];
      const last = statuses[statuses.length - 1] || {};
      replace(facts, h('dl', {class: 'facts'},
        h('dt', {}, 'state'), h('dd', {id: 'task-state'}, stateBadge(task.state)),
        h('dt', {}, 'name'), h('dd', {}, task.name || '–'),
        h('dt', {}, 'framework'), h('dd', {}, link.framework(task.framework_id)),
        h('dt', {}, 'agent'), h('dd', {}, link.agent(task.slave_id)),
        h('dt', {}, 'role'), h('dd', {}, task.role || '–'),
        h('dt', {}, 'resources'), h('dd', {}, fmtResources(task.resources)),
        h('dt', {}, 'reason'), h('dd', {}, last.reason && last.reason !== 'REASON_UNKNOWN' ? last.reason : '–'),
        h('dt', {}, 'message'), h('dd', {}, last.message || '–')));
      replace(history, table([
        {title: 'time', cell: (s) => fmtTime(s.timestamp)},
        {title: 'state', cell: (s) => stateBadge(s.state)},
        {title: 'source', cell: (s) => (s.source || '').replace(/^SOURCE_/, '')},
        {title: 'reason', cell: (s) => (s.reason === 'REASON_UNKNOWN' ? '' : s.reason || '')},
        {title: 'message', cell: (s) => s.message || ''},
        {title: 'exit code', cell: (s) => s.exit_code ?? ''},
      ], statuses, {empty: 'No status yet', id: 'status-history'}));
      if (!sandbox) {
        sandbox = await findSandbox(task);
        if (!sandbox) {
          replace(tailBox, h('p', {class: 'muted'}, 'The agent has no sandbox for this task (yet).'));
          return;
        }
        openTail();
      }
      await showFiles();
    },
    showError: page.showError,
    destroy() { tail?.stop(); },
  };
}
