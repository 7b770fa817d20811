/**
 * The control API and the client commands (deploy, invoke, logs, ls, stats)
 * against a live Nimbus on ephemeral ports, through `main` exactly as the
 * `nimbus` binary runs it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { Platform } from '../../src/platform';
import { awsCost } from '../../src/observe/metering';
import type { StatsReply } from '../../src/control/types';
import { main } from '../../src/cli/main';
import { CLI_FIXTURES, run, tmpDir, waitFor } from './helpers';

const HELLO = path.join(CLI_FIXTURES, 'hello');

describe('control API and client commands', () => {
  let platform: Platform;
  let url: string;
  let token: string;
  let dataDir: string;
  const conn = (): string[] => ['--endpoint', url, '--token', token];

  async function req(method: string, p: string, o: { body?: Uint8Array | string; auth?: string | null; type?: string; target?: string } = {}): Promise<{ status: number; json: any; headers: Record<string, string> }> {
    const headers: Record<string, string> = {};
    if (o.target) headers['x-amz-target'] = o.target;
    if (o.auth !== null) headers.authorization = `Bearer ${o.auth ?? token}`;
    if (o.type) headers['content-type'] = o.type;
    const r = await fetch(url + p, { method, headers, body: o.body });
    const text = await r.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: r.status, json, headers: Object.fromEntries(r.headers) };
  }

  before(async () => {
    dataDir = tmpDir();
    platform = await Platform.start({ port: 0, awsPort: 0, dataDir, poolSize: 1, flushIntervalMs: 20 });
    url = platform.awsUrl;
    token = platform.adminToken;
  });

  after(async () => {
    await platform.close();
  });

  it('answers health without a token, and 401 without or with a wrong token', async () => {
    const h = await req('GET', '/_nimbus/health', { auth: null });
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'ok');
    assert.equal(typeof h.json.version, 'string');

    for (const auth of [null, 'wrong-token', '']) {
      const r = await req('GET', '/_nimbus/apps', { auth });
      assert.equal(r.status, 401, `auth ${auth}`);
      assert.equal(r.json.error.code, 'ERR_UNAUTHORIZED');
    }
    const upload = await req('POST', '/_nimbus/apps', { auth: 'nope', body: new Uint8Array(1000), type: 'application/zip' });
    assert.equal(upload.status, 401);
    const unknown = await req('GET', '/_nimbus/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'ERR_BAD_REQUEST');
  });

  it('hands other paths to the AWS endpoint', async () => {
    // An unsigned POST with no X-Amz-Target: only S3's REST routes can claim it.
    const r = await req('POST', '/', { auth: null, body: '{}' });
    assert.ok(r.headers['x-amz-request-id'], 'answered by the AWS endpoint (S3), not the control API');
    assert.notEqual(r.status, 200);
    const j = await req('POST', '/', { auth: null, body: '{}', target: 'DynamoDB_20120810.Nope' });
    assert.equal(j.status, 400);
    assert.match(j.headers['x-amzn-requestid'] ?? '', /./);
  });

  it('deploys a zipped app with `nimbus deploy` and invokes it with `nimbus invoke`', async () => {
    const d = await run(['deploy', HELLO, ...conn()]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /deployed clihello-dev v1/);
    assert.match(d.stdout, /GET\s+http:\/\/127\.0\.0\.1:\d+\/hello\s+-> clihello-dev-hello/);

    const i = await run(['invoke', 'echo', '--data', '{"a":1}', ...conn()]);
    assert.equal(i.code, 0, i.stderr);
    const out = JSON.parse(i.stdout);
    assert.deepEqual(out.echoed, { a: 1 });
    assert.match(i.stdout, /\n {2}"echoed"/, 'pretty-printed');
    assert.match(i.stderr, /echo got \{"a":1\}/, 'log tail on stderr');
    assert.match(i.stderr, /REPORT RequestId/);

    // Full name works as well as the key.
    const full = await run(['invoke', 'clihello-dev-echo', ...conn()]);
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(JSON.parse(full.stdout).echoed, {});
  });

  it('exits 1 on a function error and on unknown functions, without stack traces', async () => {
    const f = await run(['invoke', 'fail', ...conn()]);
    assert.equal(f.code, 1);
    assert.equal(JSON.parse(f.stdout).errorMessage, 'boom');
    assert.match(f.stderr, /about to fail/);
    assert.match(f.stderr, /error: the function failed \(Unhandled\)/);

    const u = await run(['invoke', 'nope', ...conn()]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /^error: no function named "nope" is deployed\n$/);

    const bad = await run(['invoke', 'echo', '--data', '{nope', ...conn()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not valid JSON/);
    const raw = await req('POST', '/_nimbus/functions/echo/invoke', { body: '{nope' });
    assert.equal(raw.status, 400);
    assert.equal(raw.json.error.code, 'ERR_BAD_REQUEST');
  });

  it('prints logs and stats numbers after N invocations', async () => {
    const N = 4;
    for (let n = 0; n < N; n++) {
      const r = await run(['invoke', 'hello', ...conn()]);
      assert.equal(r.code, 0, r.stderr);
    }
    const logs = await run(['logs', 'hello', '--limit', '50', ...conn()]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal((logs.stdout.match(/START RequestId/g) ?? []).length, N);
    assert.equal((logs.stdout.match(/REPORT RequestId/g) ?? []).length, N);

    const limited = await run(['logs', 'hello', '--limit', '2', '--json', ...conn()]);
    assert.equal(limited.stdout.trim().split('\n').length, 2);

    const js = await run(['stats', 'hello', '--json', ...conn()]);
    assert.equal(js.code, 0, js.stderr);
    const stats = JSON.parse(js.stdout) as StatsReply;
    assert.equal(stats.functions.length, 1);
    const s = stats.functions[0]!;
    assert.equal(s.functionName, 'clihello-dev-hello');
    assert.equal(s.invocations, N);
    assert.equal(s.errors, 0);
    assert.equal(s.throttles, 0);
    assert.ok(s.coldStarts >= 1 && s.coldStarts <= N);
    assert.ok(s.p50DurationMs !== null && s.p99DurationMs !== null && s.p99DurationMs >= s.p50DurationMs);
    assert.ok(s.gbSeconds > 0);
    assert.ok(Math.abs(s.costUsd - awsCost(s)) < 1e-15);

    const all = JSON.parse((await run(['stats', '--json', ...conn()])).stdout) as StatsReply;
    const fail = all.functions.find((f) => f.functionName === 'clihello-dev-fail')!;
    assert.equal(fail.errors, 1);
    assert.equal(all.total.invocations, all.functions.reduce((a, f) => a + f.invocations, 0));

    const table = await run(['stats', ...conn()]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^FUNCTION\s+INVOCATIONS\s+ERRORS\s+THROTTLES\s+P50 MS\s+P99 MS\s+COLD STARTS\s+GB-SECONDS\s+AWS COST USD$/m);
    assert.match(table.stdout, new RegExp(`^clihello-dev-hello\\s+${N}\\s+0\\s+0\\s`, 'm'));
    assert.match(table.stdout, /^total\s+\d+\s+1\s+0\s/m);
  });

  it('follows new log records with `nimbus logs --tail` until stopped', async () => {
    const ac = new AbortController();
    let stdout = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: {}, cwd: tmpDir(), signal: ac.signal };
    const tail = main(['logs', 'echo', '--tail', '--limit', '1', ...conn()], io);
    // The newest stored record comes first, then the live ones.
    await waitFor(() => stdout.includes('REPORT RequestId'), 'the stored record');
    assert.doesNotMatch(stdout, /START RequestId/, 'only the newest stored record (END + REPORT)');
    assert.equal((await run(['invoke', 'echo', '--data', '{"tail":"me"}', ...conn()])).code, 0);
    await waitFor(() => stdout.includes('echo got {"tail":"me"}'), 'the live record');
    await waitFor(() => (stdout.match(/REPORT RequestId/g) ?? []).length === 2, 'the live REPORT line');
    ac.abort();
    assert.equal(await tail, 0);
    assert.equal((stdout.match(/echo got \{"tail":"me"\}/g) ?? []).length, 1, 'no duplicates');

    const unknown = await run(['logs', 'nope', ...conn()]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no function named "nope"/);
  });

  it('refuses oversized and malformed input without harm to the server', async () => {
    const big = await req('POST', '/_nimbus/functions/echo/invoke', { body: '"' + 'x'.repeat(6 * 1024 * 1024) + '"' });
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'RequestTooLargeException');
    const badLimit = await req('GET', '/_nimbus/logs?limit=abc');
    assert.equal(badLimit.status, 400);
    const badPath = await req('POST', '/_nimbus/functions/%E0%A4%A/invoke', { body: '{}' });
    assert.equal(badPath.status, 400);
    assert.equal((await req('GET', '/_nimbus/health', { auth: null })).status, 200);
  });

  it('lists apps, functions, instances and routes with `nimbus ls`', async () => {
    const r = await run(['ls', ...conn()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^clihello-dev\s+dev\s+1\s/m);
    assert.match(r.stdout, /^clihello-dev-hello\s+clihello-dev\s+nodejs20\.x\s+256 MB\s+5 s\s+-\s+1\s+1\s+0$/m);
    assert.match(r.stdout, /GET\s+http:\/\/127\.0\.0\.1:\d+\/hello\s+-> clihello-dev-hello/);
    const js = JSON.parse((await run(['ls', '--json', ...conn()])).stdout);
    assert.equal(js.functions.find((f: any) => f.key === 'hello').instances.total, 1);
  });

  it('rejects a bad zip, path traversal and symlinks with 400', async () => {
    const notZip = await req('POST', '/_nimbus/apps', { body: 'this is not a zip', type: 'application/zip' });
    assert.equal(notZip.status, 400);
    assert.equal(notZip.json.error.code, 'ERR_BAD_REQUEST');

    const yml = fs.readFileSync(path.join(HELLO, 'serverless.yml'));
    const traversal = zipSync({ 'serverless.yml': yml, '../../evil.js': new TextEncoder().encode('owned') });
    const t = await req('POST', '/_nimbus/apps', { body: traversal, type: 'application/zip' });
    assert.equal(t.status, 400);
    assert.match(t.json.error.message, /\.\./);
    assert.ok(!fs.existsSync(path.join(dataDir, 'evil.js')) && !fs.existsSync(path.join(path.dirname(dataDir), 'evil.js')));

    const absolute = zipSync({ 'serverless.yml': yml, '/tmp/evil.js': new TextEncoder().encode('owned') });
    assert.equal((await req('POST', '/_nimbus/apps', { body: absolute })).status, 400);

    const link = zipSync({ 'serverless.yml': yml, 'handler.js': [new TextEncoder().encode('/etc/passwd'), { os: 3, attrs: 0o120777 * 0x10000 }] });
    const l = await req('POST', '/_nimbus/apps', { body: link });
    assert.equal(l.status, 400);
    assert.match(l.json.error.message, /symbolic link/);

    const empty = await req('POST', '/_nimbus/apps', { body: zipSync({ 'readme.txt': new Uint8Array(1) }) });
    assert.equal(empty.status, 400);
    assert.match(empty.json.error.message, /serverless\.yml/);

    // Nothing of the failed uploads stays behind; the deployed app still answers.
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'apps')).length, 1);
    assert.equal((await run(['invoke', 'echo', ...conn()])).code, 0);
  });

  it('reports app definition errors with file and key, exit 1', async () => {
    const r = await run(['deploy', path.join(CLI_FIXTURES, 'broken'), ...conn()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*functions\.hello\.timeout must be an integer between 1 and 900/);
    assert.match(r.stderr, /^ {2}file: serverless\.yml, key: functions\.hello\.timeout$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('keeps only the newest extracted copy of a redeployed app, and removes it with the app', async () => {
    const r = await run(['deploy', HELLO, '--json', ...conn()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).version, 2);
    const dirs = fs.readdirSync(path.join(dataDir, 'apps'));
    assert.equal(dirs.length, 1);
    assert.ok(fs.existsSync(path.join(dataDir, 'apps', dirs[0]!, 'handler.js')));
    assert.equal((await run(['invoke', 'echo', ...conn()])).code, 0);

    const del = await req('DELETE', '/_nimbus/apps/clihello-dev');
    assert.equal(del.status, 200);
    assert.equal(fs.readdirSync(path.join(dataDir, 'apps')).length, 0);
    const again = await req('DELETE', '/_nimbus/apps/clihello-dev');
    assert.equal(again.status, 404);
    assert.equal(again.json.error.code, 'ERR_APP_NOT_FOUND');
  });

  it('finds the token in <data-dir>/admin-token and NIMBUS_ADMIN_TOKEN; endpoint from NIMBUS_ENDPOINT', async () => {
    const viaFile = await run(['ls', '--endpoint', url, '--data-dir', dataDir]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    const viaEnv = await run(['ls'], { NIMBUS_ENDPOINT: url, NIMBUS_ADMIN_TOKEN: token });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const wrong = await run(['ls', '--endpoint', url, '--token', 'wrong']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error: missing or wrong admin token/);
    const none = await run(['ls', '--endpoint', url]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no admin token/);
  });

  it('says clearly when no server is running', async () => {
    const r = await run(['ls', '--endpoint', 'http://127.0.0.1:9', '--token', 'x']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: no Nimbus server at http://127.0.0.1:9; start one with `nimbus dev` or `nimbus start`\n');
  });

  it('answers usage errors with exit 2 and help with 0', async () => {
    const unknownCmd = await run(['frobnicate']);
    assert.equal(unknownCmd.code, 2);
    assert.match(unknownCmd.stderr, /unknown command "frobnicate"/);
    const unknownFlag = await run(['ls', '--bogus']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /--bogus/);
    assert.match(unknownFlag.stderr, /nimbus ls --help/);
    const badPort = await run(['dev', '.', '--port', 'abc']);
    assert.equal(badPort.code, 2);
    const missing = await run(['invoke']);
    assert.equal(missing.code, 2);

    const help = await run(['--help']);
    assert.equal(help.code, 0);
    for (const c of ['dev', 'start', 'deploy', 'invoke', 'logs', 'ls', 'stats']) assert.match(help.stdout, new RegExp(`^ {2}${c}\\s`, 'm'));
    for (const c of ['dev', 'start', 'deploy', 'invoke', 'logs', 'ls', 'stats']) {
      const h = await run([c, '--help']);
      assert.equal(h.code, 0, c);
      assert.match(h.stdout, new RegExp(`^Usage: nimbus ${c}`), c);
    }
  });
});
