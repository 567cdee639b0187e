// A real cluster for the browser test: agora-master, agora-agent and agora-services (the
// Marathon-compatible framework, proxied by the master: --services_url) processes on
// loopback, free ports, a fresh temporary directory. Every wait is on a condition with a deadline
// that fails with what did not happen.
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Polls `condition` (async, truthy when done) every 100 ms until `seconds` pass.
export async function waitFor(condition, seconds, what) {
  const deadline = Date.now() + seconds * 1000;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const result = await condition();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));  // Polling a condition, not a fixed wait.
  }
  throw new Error(`timed out after ${seconds}s waiting until ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

export class Cluster {
  constructor(binDir) {
    this.binDir = binDir;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-webui-'));
    this.processes = [];
  }

  spawn(name, argv) {
    const log = fs.openSync(path.join(this.dir, `${name}.log`), 'a');
    const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', log, log]});
    child.name = name;
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
    this.processes.push(child);
    return child;
  }

  async start(agents) {
    this.masterPort = await freePort();
    this.master = `127.0.0.1:${this.masterPort}`;
    this.url = `http://${this.master}`;
    const servicesPort = await freePort();
    this.servicesUrl = `http://127.0.0.1:${servicesPort}`;
    // No --webui_dir: a master run from the build tree finds the source tree's webui/.
    this.spawn('master', [path.join(this.binDir, 'agora-master'), '--ip=127.0.0.1',
      `--port=${this.masterPort}`, `--work_dir=${this.dir}/master`, '--agent_ping_timeout=0.5secs',
      '--max_agent_ping_timeouts=4', '--framework_heartbeat_interval=0.5secs',
      '--allocation_interval=0.25secs', `--services_url=${this.servicesUrl}`]);
    await waitFor(() => this.get('/health'), 30, 'the master answers /health');
    this.spawn('services', [path.join(this.binDir, 'agora-services'), `--master=${this.master}`,
      '--http_address=127.0.0.1', `--http_port=${servicesPort}`, `--work_dir=${this.dir}/services`]);
    await waitFor(async () => (await this.get('/services/v2/info')).frameworkId, 30,
      'agora-services answers through the master and has registered its framework');
    for (let i = 1; i <= agents; ++i) {
      const port = await freePort();
      this.spawn(`agent${i}`, [path.join(this.binDir, 'agora-agent'), `--master=${this.master}`,
        '--ip=127.0.0.1', `--port=${port}`, `--work_dir=${this.dir}/agent${i}`,
        `--resources=cpus:2;mem:1024;disk:2048;ports:[${31000 + i * 100}-${31099 + i * 100}]`,
        `--attributes=rack:r${i}`]);
    }
    await waitFor(async () => (await this.get('/slaves')).total === agents, 60,
      `${agents} agents are registered`);
  }

  // A busybox OCI image built offline (umoci + Debian's busybox-static, as
  // tests/support/test_image.cpp does) and imported into every agent's image store as
  // "busybox", so container tasks need no registry.
  importBusybox(agents) {
    const layout = path.join(this.dir, 'busybox-layout');
    const bundle = path.join(this.dir, 'busybox-bundle');
    const image = `${layout}:busybox`;
    const run = (argv) => execFileSync(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe']});
    for (const tool of ['/usr/bin/umoci', '/bin/busybox']) {
      if (!fs.existsSync(tool)) {
        throw new Error(`${tool} is missing (scripts/install-deps installs umoci and busybox-static)`);
      }
    }
    run(['umoci', 'init', '--layout', layout]);
    run(['umoci', 'new', '--image', image]);
    run(['umoci', 'unpack', '--image', image, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    for (const dir of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) {
      fs.mkdirSync(path.join(rootfs, dir), {recursive: true});
    }
    fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
    fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of ['sh', 'echo', 'sleep', 'cat', 'true']) {
      fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    }
    run(['umoci', 'repack', '--image', image, bundle]);
    run(['umoci', 'config', '--image', image, '--config.cmd=/bin/sh']);
    for (let i = 1; i <= agents; ++i) {
      run([path.join(this.binDir, 'agora'), 'image', 'import', layout, '--name', 'busybox',
        '--work_dir', `${this.dir}/agent${i}`]);
    }
  }

  async get(pathAndQuery) {
    const response = await fetch(this.url + pathAndQuery);
    if (!response.ok) throw new Error(`GET ${pathAndQuery}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  // `agora run` with the CLI: a framework of its own launching one task.
  run(name, command, image) {
    return this.spawn(`run-${name}`, [path.join(this.binDir, 'agora'), `--master=${this.master}`,
      'run', '--name', name, '--cpus', '0.1', '--mem', '32', ...(image ? ['--image', image] : []),
      '--', 'sh', '-c', command]);
  }

  async task(name) {
    const reply = await this.get(`/tasks?name=${encodeURIComponent(name)}&limit=10`);
    return reply.tasks.find((t) => t.name === name);
  }

  async stop(keepLogs) {
    for (const child of this.processes.filter((c) => c.name.startsWith('run-') ||
      c.name === 'services').reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    await Promise.race([Promise.all(this.processes.map((c) => c.exited)),
      new Promise((r) => setTimeout(r, 3000))]);
    for (const child of this.processes.reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    await Promise.race([Promise.all(this.processes.map((c) => c.exited)),
      new Promise((r) => setTimeout(r, 10000))]);
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.cleanUp();
    if (!keepLogs) {
      fs.rmSync(this.dir, {recursive: true, force: true});
    } else {
      console.error(`logs kept in ${this.dir}`);
    }
  }

  // Executors and their tasks run in their own sessions (they survive agent restarts), and
  // containers outlive their executors when no agent is left to destroy them: end every
  // process working in this cluster's directory (by pid), remove its runc containers and
  // unmount its container root filesystems, so nothing runs on after the test.
  cleanUp() {
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      if (Number(pid) === process.pid) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        let cwd = '';
        try {
          cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
        } catch (error) {
          // Not ours to read, or gone.
        }
        if (cmdline.includes(this.dir) || cwd.startsWith(this.dir)) {
          process.kill(Number(pid), 'SIGKILL');
        }
      } catch (error) {
        // Gone meanwhile.
      }
    }
    for (const entry of fs.readdirSync(this.dir)) {
      const root = path.join(this.dir, entry, 'runc');
      if (!entry.startsWith('agent') || !fs.existsSync(root)) continue;
      try {
        const ids = execFileSync('runc', ['--root', root, 'list', '-q'], {encoding: 'utf8'});
        for (const id of ids.split('\n').filter(Boolean)) {
          execFileSync('runc', ['--root', root, 'delete', '--force', id], {stdio: 'ignore'});
        }
      } catch (error) {
        console.error(`cleanup: runc in ${root}: ${error.message}`);
      }
    }
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n')
      .map((line) => line.split(' ')[1]).filter((m) => m && m.startsWith(this.dir));
    for (const mount of mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', mount], {stdio: 'ignore'});
      } catch (error) {
        console.error(`cleanup: umount ${mount}: ${error.message}`);
      }
    }
  }
}
