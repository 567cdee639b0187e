// A live tail of a sandbox file (like `tail -f`, or Mesos' pailer): reads the end of the
// file through the agent's /files/read (forwarded by the master), then polls for what was
// appended since the last offset and adds it to the view, following the end unless the
// operator scrolled up.
import {api} from './api.js';
import {h} from './dom.js';

const POLL_MS = 500;
const CHUNK = 64 * 1024;
const KEEP_CHARS = 512 * 1024;  // Older output is dropped from the view.

export class LogTail {
  constructor(agentId, path) {
    this.agentId = agentId;
    this.path = path;
    this.offset = null;  // Next byte to read; null until the file's end is known.
    this.stopped = false;
    this.timer = null;
    this.pre = h('pre', {class: 'log', 'data-path': path});
    this.note = h('div', {class: 'muted log-note'}, `Following ${path}`);
    this.element = h('div', {class: 'log-box'}, this.note, this.pre);
    this.poll();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async poll() {
    if (this.stopped) return;
    let more = false;
    try {
      if (this.offset === null) {
        const end = await api.read(this.agentId, this.path, -1);
        this.offset = Math.max(0, end.offset - CHUNK);
      }
      const chunk = await api.read(this.agentId, this.path, this.offset, CHUNK);
      if (this.stopped) return;
      if (chunk.data.length > 0) {
        this.append(chunk.data);
        // `data` may be longer than the bytes read (lossy UTF-8); the offset is in bytes.
        this.offset = chunk.offset + new TextEncoder().encode(chunk.data).length;
        more = chunk.data.length >= CHUNK;
      }
      this.note.textContent = `Following ${this.path} (${this.offset} bytes)`;
      this.note.classList.remove('bad');
    } catch (error) {
      // The file may not exist yet (a task still starting), or the agent is away: retry.
      this.note.textContent = `${this.path}: ${error.message} (retrying)`;
      this.note.classList.add('bad');
    }
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), more ? 0 : POLL_MS);
  }

  append(text) {
    const atEnd = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 4;
    let content = this.pre.textContent + text;
    if (content.length > KEEP_CHARS) content = content.slice(content.length - KEEP_CHARS);
    this.pre.textContent = content;
    if (atEnd) this.pre.scrollTop = this.pre.scrollHeight;
  }
}
