/**
 * `nimbus dev` as a real child process: banner with URLs, serving requests,
 * streaming logs, hot reload (new code answers, the old instance process is
 * gone), a broken edit that keeps the previous version serving, and a SIGTERM
 * that leaves no child processes behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, childPids, copyFixture, pidAlive, tmpDir, waitFor } from './helpers';

describe('nimbus dev', () => {
  let proc: ChildProcess;
  let out = '';
  let err = '';
  let appDir: string;
  let routeUrl: string;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  const get = async (): Promise<{ message: string; pid: number }> => {
    const r = await fetch(routeUrl);
    assert.equal(r.status, 200);
    return (await r.json()) as { message: string; pid: number };
  };

  before(async () => {
    appDir = copyFixture('hello');
    const dataDir = path.join(tmpDir(), 'data');
    proc = spawn(process.execPath, [BIN, 'dev', appDir, '--port', '0', '--aws-port', '0', '--data-dir', dataDir, '--pool-size', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', NIMBUS_ADMIN_TOKEN: '' },
    });
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(() => out.includes('Watching '), `the dev banner (stdout: ${out} stderr: ${err})`, 15_000);
  });

  after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });

  it('prints every route as a full URL and the endpoints', () => {
    const route = /^ {2}GET\s+(http:\/\/127\.0\.0\.1:\d+\/hello)\s+-> hello$/m.exec(out);
    assert.ok(route, out);
    routeUrl = route[1]!;
    assert.match(out, /^ {2}HTTP API\s+http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(out, /^ {2}AWS endpoint\s+http:\/\/127\.0\.0\.1:\d+$/m);
    assert.ok(!/\u001b\[/.test(out), 'no colors when not a TTY');
  });

  it('serves requests and streams their logs prefixed with the function key', async () => {
    const r = await get();
    assert.equal(r.message, 'v1');
    await waitFor(() => /^hello \| REPORT RequestId/m.test(out), 'the REPORT line');
    assert.match(out, /^hello \| START RequestId: [0-9a-f-]+ Version: \$LATEST$/m);
  });

  it('reloads changed code: the new version answers and the old instance process is gone', async () => {
    const before = await get();
    assert.ok(pidAlive(before.pid));
    const file = path.join(appDir, 'handler.js');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("const MESSAGE = 'v1'", "const MESSAGE = 'v2'"));
    const after = await waitFor(async () => {
      const r = await get();
      return r.message === 'v2' ? r : null;
    }, 'the reloaded handler');
    assert.notEqual(after.pid, before.pid);
    await waitFor(() => !pidAlive(before.pid), `old instance ${before.pid} to exit`, 5000);
    assert.match(out, /reloaded clihello-dev v2/);
  });

  it('keeps the previous version serving when a change breaks the app', async () => {
    const yml = path.join(appDir, 'serverless.yml');
    const good = fs.readFileSync(yml, 'utf8');
    const mark = out.length;
    fs.writeFileSync(yml, good.replace('timeout: 5', 'timeout: 99999'));
    await waitFor(() => out.slice(mark).includes('previous version keeps serving'), 'the reload error');
    assert.match(out.slice(mark), /error: .*timeout must be an integer/);
    assert.match(out.slice(mark), /file: serverless\.yml, key: provider\.timeout/);
    assert.equal((await get()).message, 'v2');
    fs.writeFileSync(yml, good);
    await waitFor(() => /reloaded clihello-dev v3/.test(out.slice(mark)), 'recovery');
    assert.equal((await get()).message, 'v2');
  });

  it('shuts down on SIGTERM leaving no child processes', async () => {
    await get();
    const children = childPids(proc.pid!);
    assert.ok(children.length >= 1, 'runtime instances are children of the dev process');
    proc.kill('SIGTERM');
    const { code } = await exited;
    assert.equal(code, 0, `exit code (stderr: ${err})`);
    await waitFor(() => children.every((p) => !pidAlive(p)), `children ${children.join(', ')} to exit`, 3000);
    assert.equal(err, '');
  });
});
