// The web UI end to end, in headless Chromium (Debian's, never a downloaded one) driven by
// playwright-core, against a real master, two agents and agora-services started here. Three
// tasks run through the CLI: one printing a line every 0.2 s, one that finishes, one that fails.
//
// Asserts: every page loads without console errors and shows the real agents, frameworks
// and tasks; filters narrow the lists on the master; a reload of a page's URL shows the
// same page; the task page's log tail shows lines written after it opened; the sandbox
// browser lists the task's files; the Services pages create (form; a bad definition shows
// its field errors), edit, scale, kill, restart, suspend and destroy an app of
// agora-services, which reaches RUNNING; a crashing app shows its last task failure,
// linking to the task's stderr; the Deployments page lists a deployment that cannot finish
// and rolls it back; a scale of the app it locks shows the 409 and Force supersedes it; the
// list shows apps under a header per group, which scales and folds; an app with a health
// check made in the form shows its task healthy.
// Screenshots of each page go to --screenshots.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {Cluster, waitFor} from './cluster.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=', 2)));
const require = createRequire(path.join(args['deps-dir'], 'package.json'));
const {chromium} = require('playwright-core');
const TIMEOUT_MS = 20000;

const results = [];
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({name, ok: true});
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({name, ok: false});
    console.log(`FAIL ${name}: ${error.stack || error.message}`);
  }
}

// Console errors and uncaught exceptions of the page since the last check.
function watchErrors(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Polls cut short by navigating away are not errors.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') {
      errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    }
  });
  return () => errors.splice(0);
}

async function screenshot(page, name) {
  fs.mkdirSync(args.screenshots, {recursive: true});
  await page.screenshot({path: path.join(args.screenshots, `${name}.png`), fullPage: true});
}

const rowsOf = (page, tableId) => page.locator(`table#${tableId} tbody tr`);

async function main() {
  const cluster = new Cluster(args['bin-dir']);
  let browser = null;
  let finished = false;
  try {
    await cluster.start(2);
    cluster.importBusybox(2);
    // A container task that burns some CPU: its cgroup usage shows on the agent page.
    cluster.run('worker', 'while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; ' +
      'echo worked; sleep 0.1; done', 'busybox');
    cluster.run('ticker', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done');
    cluster.run('hello', 'echo hello from agora');
    cluster.run('failing', 'echo about to fail >&2; exit 3');
    const ticker = await waitFor(async () => {
      const t = await cluster.task('ticker');
      return t && t.state === 'TASK_RUNNING' && t;
    }, 60, 'the ticker task is running');
    await waitFor(async () => (await cluster.task('hello'))?.state === 'TASK_FINISHED', 60,
      'the hello task finished');
    await waitFor(async () => (await cluster.task('failing'))?.state === 'TASK_FAILED', 60,
      'the failing task failed');
    const worker = await waitFor(async () => {
      const t = await cluster.task('worker');
      return t && t.state === 'TASK_RUNNING' && t;
    }, 60, 'the worker container task is running');
    const agents = (await cluster.get('/slaves')).slaves;

    browser = await chromium.launch({executablePath: args.chromium, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
    const context = await browser.newContext({viewport: {width: 1400, height: 900}});
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const takeErrors = watchErrors(page);
    const noErrors = () => assert.deepEqual(takeErrors(), [], 'the page logged errors');
    const open = async (hash) => {
      await page.goto(`${cluster.url}/${hash}`);
      await page.locator('#status:not(:empty)').waitFor();
    };
    // Reloads the page's URL and checks the same page comes back.
    const reloadShows = async (check) => {
      const url = page.url();
      await page.reload();
      assert.equal(page.url(), url);
      await check();
    };

    await step('overview shows the cluster resources, counts and tasks by state', async () => {
      await open('');
      const totals = page.locator('#resources tr[data-row="total"] td');
      await waitFor(async () => (await totals.first().textContent()) === '4', 10, 'total cpus is 4');
      await page.locator('[data-card="agents"]', {hasText: '2'}).waitFor();
      // Exact counts: two running (ticker, worker), one finished, one failed, nothing else.
      const expected = {TASK_RUNNING: '2', TASK_FINISHED: '1', TASK_FAILED: '1'};
      for (const [state, count] of Object.entries(expected)) {
        await page.locator(`#task-states a[href="#/tasks?state=${state}"]`, {hasText: count}).waitFor();
      }
      const listed = await page.locator('#task-states a').allTextContents();
      assert.deepEqual(listed.filter((n) => n !== '0'), ['1', '1', '2'], 'counts by state');
      // The allocation chart grows as the browser samples /overview.
      const used = page.locator('[data-chart="cpus"] polyline.used');
      await waitFor(async () => ((await used.getAttribute('points')) || '').split(' ').length >= 3,
        15, 'the cpus chart has three samples');
      await screenshot(page, 'overview');
      await reloadShows(() => page.locator('#resources').waitFor());
      noErrors();
    });

    await step('agents list shows both agents and filters on the master', async () => {
      await open('#/agents');
      await waitFor(async () => (await rowsOf(page, 'agents').count()) === 2, 10, 'two agent rows');
      for (const agent of agents) await page.locator(`table#agents a[href="#/agents/${agent.id}"]`).waitFor();
      await page.locator('table#agents', {hasText: 'rack:r1'}).waitFor();
      // The container's memory, from the agent's heartbeats.
      await page.locator('table#agents tbody tr', {hasText: /\d[\d.]* [KMG]?B in 1/}).waitFor();
      await screenshot(page, 'agents');
      await page.fill('input[name="search"]', 'rack:r2');
      await waitFor(async () => (await rowsOf(page, 'agents').count()) === 1, 10, 'one agent row');
      await page.locator('table#agents', {hasText: 'rack:r2'}).waitFor();
      assert.match(page.url(), /search=rack%3Ar2/);
      await reloadShows(async () => {
        assert.equal(await page.inputValue('input[name="search"]'), 'rack:r2');
        await waitFor(async () => (await rowsOf(page, 'agents').count()) === 1, 10, 'one agent row after reload');
      });
      noErrors();
    });

    await step('agent page shows its tasks and their usage rows', async () => {
      await open(`#/agents/${ticker.slave_id}`);
      await page.locator('table#agent-tasks', {hasText: 'ticker'}).waitFor();
      await page.locator('table#usage', {hasText: 'ticker'}).waitFor();
      await screenshot(page, 'agent');
      await reloadShows(() => page.locator('table#usage', {hasText: 'ticker'}).waitFor());
      noErrors();
    });

    await step('agent page shows a container\'s live CPU and memory usage', async () => {
      await open(`#/agents/${worker.slave_id}`);
      const row = page.locator('table#usage tbody tr', {hasText: 'worker'});
      await row.locator('td code').waitFor();  // The container id.
      // Two polls give a CPU rate; the memory is the cgroup's.
      await waitFor(async () => /^\d/.test(await row.locator('td').nth(3).textContent()), 15,
        'a CPU rate for the container');
      assert.match(await row.locator('td').nth(4).textContent(), /^\d[\d.]* [KMG]?B \//);
      await screenshot(page, 'agent-container');
      noErrors();
    });

    await step('frameworks list and framework page show the running framework', async () => {
      await open('#/frameworks');
      const link = page.locator(`table#frameworks a[href="#/frameworks/${ticker.framework_id}"]`);
      await link.first().waitFor();
      await screenshot(page, 'frameworks');
      await link.first().click();
      await page.waitForURL(`**/#/frameworks/${ticker.framework_id}`);
      await page.locator('table#framework-tasks', {hasText: 'ticker'}).waitFor();
      await page.locator('dl.facts', {hasText: 'CONNECTED'}).waitFor();
      await screenshot(page, 'framework');
      await reloadShows(() => page.locator('table#framework-tasks', {hasText: 'ticker'}).waitFor());
      noErrors();
    });

    await step('tasks list shows active and completed tasks; filters work and survive a reload', async () => {
      await open('#/tasks');
      await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 4, 10, 'four task rows');
      const counts = (await page.locator('p.counts').textContent()).replace(/\s+/g, ' ').trim();
      assert.equal(counts, 'FAILED 1 FINISHED 1 RUNNING 2', 'the counts by state');
      await screenshot(page, 'tasks');
      await page.selectOption('select[name="state"]', 'TASK_RUNNING');
      await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 2, 10, 'two running tasks');
      await page.locator('table#tasks', {hasText: 'ticker'}).waitFor();
      // Live: a task launched while the page is open shows up without a reload.
      cluster.run('latecomer', 'sleep 60');
      await page.locator('table#tasks', {hasText: 'latecomer'}).waitFor();
      await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 3, 30, 'three running tasks');
      await page.selectOption('select[name="state"]', 'completed');
      await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 2, 10, 'two completed tasks');
      await page.fill('input[name="name"]', 'hel');
      await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 1, 10, 'one task named hel*');
      await page.locator('table#tasks', {hasText: 'hello'}).waitFor();
      await reloadShows(async () => {
        assert.equal(await page.inputValue('select[name="state"]'), 'completed');
        assert.equal(await page.inputValue('input[name="name"]'), 'hel');
        await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 1, 10, 'one row after reload');
      });
      await open(`#/tasks?agent_id=${encodeURIComponent(ticker.slave_id)}&search=tick`);
      await waitFor(async () => (await rowsOf(page, 'tasks').count()) === 1, 10, 'one task by agent and search');
      // Pages of two: "next" and "previous" walk the five tasks, and each page reloads.
      const ids = () => page.locator('table#tasks tbody td:first-child').allTextContents();
      await open('#/tasks?limit=2');
      await page.locator('.pager', {hasText: '1–2 of 5'}).waitFor();
      const firstPage = await ids();
      await page.click('.pager a.next');
      await page.locator('.pager', {hasText: '3–4 of 5'}).waitFor();
      const secondPage = await ids();
      assert.equal(secondPage.length, 2);
      assert.ok(secondPage.every((id) => !firstPage.includes(id)), 'the pages overlap');
      await reloadShows(() => page.locator('.pager', {hasText: '3–4 of 5'}).waitFor());
      await page.click('.pager a.prev');
      await page.locator('.pager', {hasText: '1–2 of 5'}).waitFor();
      await open('#/tasks?search=no-such-task');
      await page.locator('[data-empty="tasks"]').waitFor();
      noErrors();
    });

    await step('task page tails the log as it grows and browses the sandbox', async () => {
      await open(`#/tasks/${ticker.framework_id}/${ticker.id}`);
      await page.locator('table#status-history', {hasText: 'RUNNING'}).waitFor();
      const log = page.locator('pre.log');
      const lastTick = async () => {
        const numbers = [...(await log.textContent()).matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
        return numbers.length ? Math.max(...numbers) : -1;
      };
      const first = await waitFor(async () => (await lastTick()) >= 0 && lastTick(), 15, 'the log shows a tick');
      // Written by the task after the page read the file: the tail follows it.
      await waitFor(async () => (await lastTick()) >= first + 5, 15, `the log shows tick ${first + 5}`);
      await page.locator('table#sandbox-files a[data-name="stdout"]').waitFor();
      await page.locator('table#sandbox-files a[data-name="stderr"]').waitFor();
      await screenshot(page, 'task');
      await page.click('table#sandbox-files a[data-name="executor.log"]');
      await page.locator('pre.log[data-path$="/executor.log"]').waitFor();
      await page.click('.tabs a[data-file="stderr"]');
      await page.locator('pre.log[data-path$="/stderr"]').waitFor();
      assert.match(page.url(), /file=stderr/);
      await reloadShows(() => page.locator('pre.log[data-path$="/stderr"]').waitFor());
      noErrors();
    });

    await step('a failed task shows its state, reason and stderr', async () => {
      const failing = await cluster.task('failing');
      await open(`#/tasks/${failing.framework_id}/${failing.id}?file=stderr`);
      await page.locator('#task-state', {hasText: 'FAILED'}).waitFor();
      await page.locator('pre.log', {hasText: 'about to fail'}).waitFor();
      await screenshot(page, 'task-failed');
      noErrors();
    });

    await step('offers page lists outstanding offers from the master', async () => {
      await open('#/offers');
      await page.locator('table#offers, [data-empty="offers"]').first().waitFor();
      await screenshot(page, 'offers');
      await reloadShows(() => page.locator('table#offers, [data-empty="offers"]').first().waitFor());
      noErrors();
    });

    await step('roles page shows the frameworks\' role with its allocation', async () => {
      await open('#/roles');
      await page.locator('table#roles [data-role="*"]').waitFor();
      await page.locator('table#roles', {hasText: ticker.framework_id}).waitFor();
      await screenshot(page, 'roles');
      noErrors();
    });

    await step('maintenance page shows a scheduled window', async () => {
      const start = Date.now() * 1e6 + 3600e9;
      const schedule = {windows: [{machine_ids: [{hostname: 'maintained.example', ip: '10.0.0.9'}],
        unavailability: {start: {nanoseconds: start}, duration: {nanoseconds: 7200e9}}}]};
      const response = await fetch(`${cluster.url}/maintenance/schedule`, {method: 'POST',
        body: JSON.stringify(schedule), headers: {'Content-Type': 'application/json'}});
      assert.equal(response.status, 200, await response.text());
      await open('#/maintenance');
      await page.locator('table#maintenance-windows', {hasText: 'maintained.example'}).waitFor();
      await screenshot(page, 'maintenance');
      await reloadShows(() => page.locator('table#maintenance-windows').waitFor());
      noErrors();
    });

    // Services (agora-services through the master's /services/v2/ proxy). After the pages
    // above: the app's tasks would change their counts.
    const webHref = `#/services/apps/${encodeURIComponent('/web')}`;
    const appTasks = (state) => page.locator('table#app-tasks tbody tr', {hasText: state});
    // Chromium logs every 4xx answer as a console error: only these are expected here.
    const onlyErrors = (pattern) => {
      const unexpected = takeErrors().filter((e) => !pattern.test(e));
      assert.deepEqual(unexpected, [], 'the page logged errors');
    };

    await step('services list loads, and the menu shows Services', async () => {
      await open('#/services');
      await page.locator('#nav-services:visible').waitFor();
      await page.locator('[data-empty="apps"]', {hasText: 'No apps yet'}).waitFor();
      await screenshot(page, 'services-empty');
      await reloadShows(() => page.locator('[data-empty="apps"]').waitFor());
      noErrors();
    });

    await step('a bad app definition shows the field errors next to the fields', async () => {
      await open('#/services');
      await page.click('#create-app');
      await page.waitForURL('**/#/services/new');
      await page.fill('#input-id', '/bad');
      await page.fill('#input-cmd', 'sleep 1000');
      await page.fill('#input-cpus', '-1');
      await page.fill('#input-mem', 'lots');
      await page.selectOption('#input-hc-protocol', 'HTTP');
      await page.fill('#input-hc-path', '/health');
      await page.fill('#input-us-minimumHealthCapacity', '1.5');
      await page.click('#submit-app');
      await page.locator('#field-cpus .field-error', {hasText: /expected 0(\.0)? or more/}).waitFor();
      await page.locator('#field-mem .field-error', {hasText: 'error.expected.jsnumber'}).waitFor();
      await page.locator('#field-us-minimumHealthCapacity .field-error', {hasText: /between 0(\.0)? and 1/}).waitFor();
      // An HTTP check needs a port; the app has none.
      await page.locator('#field-hc-portIndex .field-error', {hasText: 'port index'}).waitFor();
      assert.equal(await page.locator('#field-cmd .field-error').isHidden(), true);
      await screenshot(page, 'service-create-errors');
      // The JSON tab holds the same definition; its errors go to the summary, with paths.
      await page.click('.tabs a[data-tab="json"]');
      const definition = JSON.parse(await page.inputValue('#app-json'));
      assert.equal(definition.cpus, -1);
      assert.deepEqual(definition.healthChecks, [{protocol: 'HTTP', path: '/health'}]);
      assert.deepEqual(definition.upgradeStrategy, {minimumHealthCapacity: 1.5});
      await page.click('#submit-app');
      await page.locator('#form-errors', {hasText: '/cpus'}).waitFor();
      await screenshot(page, 'service-create-json-errors');
      const apps = await cluster.get('/services/v2/apps');
      assert.deepEqual(apps.apps, [], 'nothing was created');
      onlyErrors(/status of 422/);
    });

    await step('an app created through the form reaches RUNNING on its page and in the list', async () => {
      await open('#/services');  // From the list: the page is on #/services/new already.
      await page.click('#create-app');
      await page.locator('#input-id:visible').waitFor();
      await page.fill('#input-id', '/web');
      await page.fill('#input-cmd', 'sleep 1000');
      await page.fill('#input-cpus', '0.1');
      await page.fill('#input-mem', '32');
      await page.fill('#input-instances', '1');
      await page.fill('#input-env', 'GREETING=hello');
      await page.fill('#input-labels', 'tier=web');
      await screenshot(page, 'service-create');
      await page.click('#submit-app');
      await page.waitForURL(`**/${webHref}`);
      await waitFor(async () => (await appTasks('RUNNING').count()) === 1, 60, 'one RUNNING task');
      await page.locator('#app-status', {hasText: 'RUNNING'}).waitFor();
      await page.locator('#app-facts', {hasText: 'GREETING=hello'}).waitFor();
      await page.locator('table#app-versions tbody tr').first().waitFor();
      await screenshot(page, 'service');
      await reloadShows(() => page.locator('#app-status', {hasText: 'RUNNING'}).waitFor());
      await open('#/services');
      const row = page.locator('table#apps tbody tr', {hasText: '/web'});
      await row.locator('[data-status="RUNNING"]').waitFor();
      assert.match(await row.locator('.instances .running').textContent(), /^1 \/ 1$/);
      await screenshot(page, 'services');
      // Entities link to each other: the app's task is the master's task, with its logs.
      await row.locator('a.app-link').click();
      await page.waitForURL(`**/${webHref}`);
      await appTasks('RUNNING').locator('td a').first().click();
      await page.waitForURL('**/#/tasks/**');
      await page.locator('#task-state', {hasText: 'RUNNING'}).waitFor();
      noErrors();
    });

    await step('editing the app changes its definition and adds a version', async () => {
      await open(`${webHref}/edit`);
      await waitFor(async () => (await page.inputValue('#input-cmd')) === 'sleep 1000', 10,
        'the form holds the app');
      assert.equal(await page.inputValue('#input-env'), 'GREETING=hello');
      await page.fill('#input-mem', '48');
      await screenshot(page, 'service-edit');
      await page.click('#submit-app');
      await page.waitForURL(`**/${webHref}`);
      await page.locator('#app-facts', {hasText: 'mem 48 MB'}).waitFor();
      await waitFor(async () => (await page.locator('table#app-versions tbody tr').count()) >= 2, 10,
        'two versions');
      await waitFor(async () => (await appTasks('RUNNING').count()) === 1 &&
        (await page.locator('table#app-tasks tbody tr').count()) === 1, 60,
        'one RUNNING task of the new version');
      noErrors();
    });

    await step('scale to 2 shows two running tasks', async () => {
      await open(webHref);
      await page.locator('#app-status', {hasText: 'RUNNING'}).waitFor();
      page.once('dialog', (dialog) => dialog.accept('2'));
      await page.click('#scale-app');
      await page.locator('#action-result', {hasText: 'Scale to 2: done'}).waitFor();
      await waitFor(async () => (await appTasks('RUNNING').count()) === 2, 60, 'two RUNNING tasks');
      await page.locator('#app-status', {hasText: 'RUNNING'}).waitFor();
      await screenshot(page, 'service-scaled');
      noErrors();
    });

    await step('kill and scale leaves one task, and the target is 1', async () => {
      await open(webHref);
      await waitFor(async () => (await appTasks('RUNNING').count()) === 2, 30, 'two RUNNING tasks');
      await page.locator('table#app-tasks button.kill-scale-task').first().click();
      await waitFor(async () => (await page.locator('table#app-tasks tbody tr').count()) === 1, 60,
        'one task left');
      await page.locator('#app-facts .instances .running', {hasText: /^1 \/ 1$/}).waitFor();
      noErrors();
    });

    await step('restart replaces the task', async () => {
      await open(webHref);
      const taskIds = () => page.locator('table#app-tasks tbody tr td:first-child').allTextContents();
      const before = await waitFor(async () => {
        const ids = await taskIds();
        return ids.length === 1 && (await appTasks('RUNNING').count()) === 1 && ids;
      }, 30, 'one RUNNING task');
      await page.click('#restart-app');
      await page.locator('#action-result', {hasText: 'Restart: done'}).waitFor();
      await waitFor(async () => {
        const ids = await taskIds();
        return ids.length === 1 && ids[0] !== before[0] && (await appTasks('RUNNING').count()) === 1;
      }, 60, 'one RUNNING task that is not the one before');
      noErrors();
    });

    await step('suspend stops every task and shows SUSPENDED', async () => {
      await open(webHref);
      await page.click('#suspend-app');
      await page.locator('#app-status [data-status="SUSPENDED"]').waitFor({timeout: 60000});
      await page.locator('[data-empty="app-tasks"]').waitFor();
      await screenshot(page, 'service-suspended');
      noErrors();
    });

    await step('destroy removes the app', async () => {
      await open(webHref);
      page.once('dialog', (dialog) => dialog.accept());
      await page.click('#destroy-app');
      await page.waitForURL('**/#/services');
      await page.locator('[data-empty="apps"]', {hasText: 'No apps yet'}).waitFor();
      assert.deepEqual((await cluster.get('/services/v2/apps')).apps, []);
      await waitFor(async () => (await cluster.get('/services/v2/tasks')).tasks.length === 0, 30,
        'agora-services has no tasks left');
      noErrors();
    });

    await step('a crashing app shows its last task failure, which links to the task\'s stderr', async () => {
      const crashy = {id: '/crashy', cmd: 'echo crashing >&2; exit 3', cpus: 0.1, mem: 32, instances: 1};
      const created = await fetch(`${cluster.url}/services/v2/apps`, {method: 'POST',
        body: JSON.stringify(crashy), headers: {'Content-Type': 'application/json'}});
      assert.equal(created.status, 201, await created.text());
      await open(`#/services/apps/${encodeURIComponent('/crashy')}`);
      const failure = page.locator('dl#last-failure');
      await failure.locator('.badge', {hasText: 'FAILED'}).waitFor({timeout: 60000});
      await page.locator('#app-status [data-status]').waitFor();
      await screenshot(page, 'service-failing');
      await failure.locator('a[href^="#/tasks/"]').click();
      await page.locator('#task-state', {hasText: 'FAILED'}).waitFor();
      await page.click('.tabs a[data-file="stderr"]');
      await page.locator('pre.log', {hasText: 'crashing'}).waitFor();
      const destroyed = await fetch(`${cluster.url}/services/v2/apps/crashy`, {method: 'DELETE'});
      assert.equal(destroyed.status, 200, await destroyed.text());
      noErrors();
    });

    await step('an app with a health check from the form shows its task healthy', async () => {
      await open('#/services/new');
      await page.fill('#input-id', '/checked');
      await page.fill('#input-cmd', 'sleep 1000');
      await page.selectOption('#input-hc-protocol', 'COMMAND');
      await page.fill('#input-hc-command', 'true');
      for (const [field, value] of [['delaySeconds', '0'], ['intervalSeconds', '1'],
        ['timeoutSeconds', '1'], ['gracePeriodSeconds', '5']]) {
        await page.fill(`#input-hc-${field}`, value);
      }
      await page.fill('#input-us-minimumHealthCapacity', '0.5');
      await page.click('#submit-app');
      const checkedHref = `#/services/apps/${encodeURIComponent('/checked')}`;
      await page.waitForURL(`**/${checkedHref}`);
      await page.locator('#app-health-checks', {hasText: 'COMMAND true, every 1 s'}).waitFor();
      await page.locator('#app-upgrade', {hasText: 'minimum health capacity 50 %'}).waitFor();
      await page.locator('table#app-tasks [data-health="healthy"]').waitFor({timeout: 30000});
      await page.locator('#app-health', {hasText: '1 healthy, 0 unhealthy'}).waitFor();
      await screenshot(page, 'service-healthy');
      const destroyed = await fetch(`${cluster.url}/services/v2/apps/checked?force=true`, {method: 'DELETE'});
      assert.equal(destroyed.status, 200, await destroyed.text());
      noErrors();
    });

    // An app no agent can take (its constraint matches no host): its deployment cannot finish
    // and locks it.
    const stuck = {id: '/stuck', cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 1,
      constraints: [['hostname', 'LIKE', 'nowhere']]};
    const createStuck = async () => {
      // A step that failed may have left one behind.
      await fetch(`${cluster.url}/services/v2/apps/stuck?force=true`, {method: 'DELETE'});
      const created = await fetch(`${cluster.url}/services/v2/apps`, {method: 'POST',
        body: JSON.stringify(stuck), headers: {'Content-Type': 'application/json'}});
      assert.equal(created.status, 201, await created.text());
      return waitFor(async () => (await cluster.get('/services/v2/deployments'))
        .find((d) => d.affectedApps.includes('/stuck')), 10, 'a deployment of /stuck');
    };
    const deploymentRow = (id) => page.locator('table#deployments tbody tr', {hasText: id});

    await step('the Deployments page lists a deployment that cannot finish, and Rollback removes it', async () => {
      const deployment = await createStuck();
      await open('#/services');
      await page.locator('table#apps tr.group-row[data-group="/"]').waitFor();
      await page.locator('table#apps tr[data-app="/stuck"] [data-status="DEPLOYING"]').waitFor();
      await page.click('#deployments-link');
      await page.waitForURL('**/#/services/deployments');
      const row = deploymentRow(deployment.id);
      await row.locator('.affected a.app-link[data-app="/stuck"]').waitFor();
      await row.locator('td', {hasText: /^\d+ of \d+$/}).waitFor();
      await row.locator('.badge', {hasText: 'SCALE'}).waitFor();
      await screenshot(page, 'services-deployments');
      await reloadShows(() => deploymentRow(deployment.id).waitFor());
      noErrors();
      page.once('dialog', (dialog) => dialog.accept());
      await row.locator('button.rollback').click();
      await page.locator('#deployment-result', {hasText: 'done'}).waitFor();
      // Rolling back a creation deletes the app; that deployment has nothing to wait for.
      await page.locator('[data-empty="deployments"]').waitFor();
      await waitFor(async () => !(await cluster.get('/services/v2/apps')).apps.some((a) => a.id === '/stuck'),
        10, 'the rollback removed /stuck');
      noErrors();
    });

    await step('scaling or saving a locked app shows the 409 with the deployment, and Force supersedes it', async () => {
      const deployment = await createStuck();
      await open(`#/services/apps/${encodeURIComponent('/stuck')}`);
      await page.locator('#deploying-banner', {hasText: /Deploying \(step \d+ of \d+: SCALE\)/}).waitFor();
      page.once('dialog', (dialog) => dialog.accept('2'));
      await page.click('#scale-app');
      const result = page.locator('#action-result.locked');
      await result.locator('.deployment-id', {hasText: deployment.id}).waitFor();
      assert.match(await result.textContent(), /App is locked by one or more deployments/);
      await screenshot(page, 'service-locked');
      await page.click('#force-action');
      await page.locator('#action-result', {hasText: 'Scale to 2 (forced): done'}).waitFor();
      const app = (await cluster.get('/services/v2/apps/stuck')).app;
      assert.equal(app.instances, 2);
      assert.equal(app.deployments.length, 1);
      assert.notEqual(app.deployments[0].id, deployment.id, 'the forced scale is a new deployment');
      // Saving the edit form is refused the same way, and saved when forced.
      await open(`#/services/apps/${encodeURIComponent('/stuck')}/edit`);
      await waitFor(async () => (await page.inputValue('#input-instances')) === '2', 10, 'the form holds the app');
      await page.fill('#input-mem', '48');
      await page.click('#submit-app');
      await page.locator('#form-errors.locked .deployment-id', {hasText: app.deployments[0].id}).waitFor();
      await page.click('#force-action');
      await page.waitForURL(`**/#/services/apps/${encodeURIComponent('/stuck')}`);
      await page.locator('#app-facts', {hasText: 'mem 48 MB'}).waitFor();
      onlyErrors(/status of 409/);
      // Force cancel drops the last one as it stands: /stuck keeps 2 instances, unlocked.
      const saved = (await cluster.get('/services/v2/apps/stuck')).app;
      assert.equal(saved.deployments.length, 1);
      await open('#/services/deployments');
      page.once('dialog', (dialog) => dialog.accept());
      await deploymentRow(saved.deployments[0].id).locator('button.force-cancel').click();
      await page.locator('[data-empty="deployments"]').waitFor();
      assert.equal((await cluster.get('/services/v2/apps/stuck')).app.instances, 2);
      const destroyed = await fetch(`${cluster.url}/services/v2/apps/stuck`, {method: 'DELETE'});
      assert.equal(destroyed.status, 200, await destroyed.text());
      noErrors();
    });

    await step('the services list shows apps under their group, folds it and scales it', async () => {
      const created = await fetch(`${cluster.url}/services/v2/apps`, {method: 'POST',
        body: JSON.stringify({id: '/grp/idle', cmd: 'sleep 1000', cpus: 0.1, mem: 32, instances: 0}),
        headers: {'Content-Type': 'application/json'}});
      assert.equal(created.status, 201, await created.text());
      await open('#/services');
      const header = page.locator('table#apps tr.group-row[data-group="/grp"]');
      await header.waitFor();
      await page.locator('table#apps tr[data-app="/grp/idle"]').waitFor();
      page.once('dialog', (dialog) => dialog.accept('2'));
      await header.locator('button.scale-group').click();
      await page.locator('#group-result', {hasText: 'Scale /grp by 2: done'}).waitFor();
      await header.locator('button.toggle-group').click();
      await page.locator('table#apps tr[data-app="/grp/idle"]').waitFor({state: 'detached'});
      await header.waitFor();
      const removed = await fetch(`${cluster.url}/services/v2/groups/grp`, {method: 'DELETE'});
      assert.equal(removed.status, 200, await removed.text());
      noErrors();
    });

    await step('an unknown route and an unknown task show an error, not a blank page', async () => {
      await page.goto(`${cluster.url}/#/no-such-page`);
      await page.locator('#main .error', {hasText: 'No page'}).waitFor();
      await page.goto(`${cluster.url}/#/tasks/no-framework/no-task`);
      await page.locator('#main .error', {hasText: 'knows no task'}).waitFor();
      takeErrors();  // The failed lookups are expected here.
    });
    finished = true;
  } finally {
    if (browser) await browser.close();
    await cluster.stop(!finished || results.some((r) => !r.ok));
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`${results.length - failed.length}/${results.length} passed; screenshots in ${args.screenshots}`);
  if (failed.length) process.exit(1);
}

main().catch((error) => {
  console.error(`webui test: FAILED: ${error.stack || error.message}`);
  process.exit(1);
});
