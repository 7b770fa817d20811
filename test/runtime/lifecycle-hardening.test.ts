/**
 * Instance lifecycle edges through a live Nimbus: inits that never end, processes
 * that die before they are up, uncaught errors that end the process, NODE_OPTIONS,
 * provided instances while they initialize, and what a deleted function leaves.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { copyFixture, pidAlive, startNimbus, waitFor } from '../helpers/nimbus';

async function invoke(nimbus: Platform, fn: string, event: unknown = {}) {
  const r = await nimbus.engine.invoke({ functionName: fn, payload: JSON.stringify(event), source: 'test' });
  return { error: r.functionError, body: JSON.parse(r.payload.toString()) as Record<string, unknown> & { errorType?: string; errorMessage?: string } };
}

/** Polls without yielding to timers, so that a just-spawned process is caught before it is up. */
function newPids(nimbus: Platform, known: Set<number>): number[] {
  return nimbus.runtime.pids().filter((p) => !known.has(p));
}

describe('init deadline', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus();
    await nimbus.deploy(copyFixture('hardening'));
    await nimbus.deploy(copyFixture('hardening-provided'));
    // Lambda's 10 s, shortened; the function timeouts are 1 s, so the deadline is 1 s.
    nimbus.runtime.initTimeoutMs = 1000;
  });
  after(() => nimbus.close());

  it('times out an ES module whose top-level await never settles, kills it, and frees the slot', async () => {
    for (let i = 0; i < 2; i++) {
      // reservedConcurrency 1: a leaked slot would throttle the second attempt.
      const r = await invoke(nimbus, 'hardening-dev-esmhang');
      assert.equal(r.error, 'Unhandled');
      assert.deepEqual({ t: r.body.errorType, m: r.body.errorMessage }, { t: 'Sandbox.Timedout', m: 'Task timed out after 1.00 seconds' });
      await waitFor(() => nimbus.runtime.counts('hardening-dev-esmhang').total === 0, 2000);
    }
    await nimbus.logs.flush();
    const text = (await nimbus.store.logs.query({ functionName: 'hardening-dev-esmhang' })).map((l) => l.message).join('\n');
    assert.match(text, /INIT_REPORT .*Sandbox\.Timedout/);
  });

  it('times out a bootstrap that never asks for work', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await invoke(nimbus, 'hprov-dev-hang');
      assert.equal(r.error, 'Unhandled');
      assert.deepEqual({ t: r.body.errorType, m: r.body.errorMessage }, { t: 'Sandbox.Timedout', m: 'Task timed out after 1.00 seconds' });
      await waitFor(() => nimbus.runtime.counts('hprov-dev-hang').total === 0, 2000);
    }
  });

  it('tracks a provided instance while it initializes, and close() ends it', async () => {
    nimbus.runtime.initTimeoutMs = 60_000;
    const known = new Set(nimbus.runtime.pids());
    const pending = invoke(nimbus, 'hprov-dev-hang').catch(() => null);
    await waitFor(() => nimbus.runtime.counts('hprov-dev-hang').total === 1, 2000);
    const [pid] = newPids(nimbus, known);
    assert.ok(pid && pidAlive(pid));
    await nimbus.close();
    assert.ok(!pidAlive(pid!), 'the initializing bootstrap outlived the platform');
    await pending;
  });
});

describe('processes that die before they are up', () => {
  it('fails a cold start cleanly when its new process dies before Hello', async () => {
    const nimbus = await startNimbus({ poolSize: 0 });
    try {
      await nimbus.deploy(copyFixture('hardening'));
      await waitFor(() => nimbus.runtime.counts('hardening-dev-provisioned').provisioned === 2 && nimbus.runtime.counts('hardening-dev-provisioned').idle === 2, 5000);
      const known = new Set(nimbus.runtime.pids());
      const pending = invoke(nimbus, 'hardening-dev-ok', { n: 1 });
      // The process is spawned and tracked synchronously: kill it before it can say Hello.
      const fresh = newPids(nimbus, known);
      assert.equal(fresh.length, 1);
      process.kill(fresh[0]!, 'SIGKILL');
      const r = await pending;
      assert.equal(r.error, 'Unhandled');
      assert.equal(r.body.errorType, 'Runtime.ExitError');
      const ok = await invoke(nimbus, 'hardening-dev-ok', { n: 2 });
      assert.equal(ok.error, undefined);
      assert.equal(ok.body.n, 2);
    } finally {
      await nimbus.close();
    }
  });

  it('refills the pool when pool processes die, before or after they are up', async () => {
    const nimbus = await startNimbus({ poolSize: 1 });
    try {
      await waitFor(() => nimbus.runtime.genericCount() === 1, 5000);
      const [first] = nimbus.runtime.pids();
      process.kill(first!, 'SIGKILL');
      // Its replacement: caught while it starts, and killed too.
      let second: number | undefined;
      await waitFor(() => {
        second = nimbus.runtime.pids().find((p) => p !== first);
        return second !== undefined;
      }, 5000, 1);
      process.kill(second!, 'SIGKILL');
      await waitFor(() => nimbus.runtime.genericCount() === 1 && !nimbus.runtime.pids().includes(first!) && !nimbus.runtime.pids().includes(second!), 5000);
      const [third] = nimbus.runtime.pids();
      assert.ok(third && pidAlive(third));
      // Cold starts work, and take the refilled pool process (the fixture provisions two instances).
      await nimbus.deploy(copyFixture('hardening'));
      const ok = await invoke(nimbus, 'hardening-dev-ok', { n: 3 });
      assert.equal(ok.error, undefined);
      assert.equal(ok.body.n, 3);
      await waitFor(() => nimbus.runtime.counts('hardening-dev-provisioned').idle === 2 && nimbus.runtime.genericCount() === 1, 5000);
      const owned = [ok.body.pid as number, ...nimbus.runtime.pids()];
      assert.ok(owned.includes(third) && pidAlive(third), 'the refilled pool process was not used');
    } finally {
      await nimbus.close();
    }
  });
});

describe('uncaught errors end the process, not the next invocation', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus({ eagerInstances: 1 });
    await nimbus.deploy(copyFixture('hardening'));
  });
  after(() => nimbus.close());

  it('gives each of 20 consecutive invocations its own error', async () => {
    for (let n = 0; n < 20; n++) {
      const r = await invoke(nimbus, 'hardening-dev-uncaught', { n });
      assert.equal(r.error, 'Unhandled');
      assert.deepEqual({ t: r.body.errorType, m: r.body.errorMessage }, { t: 'Error', m: `boom ${n}` });
    }
  });

  it('and so does a concurrent burst', async () => {
    const rs = await Promise.all(Array.from({ length: 8 }, (_, n) => invoke(nimbus, 'hardening-dev-uncaught', { n })));
    assert.deepEqual(
      rs.map((r) => r.body.errorMessage),
      rs.map((_, n) => `boom ${n}`),
    );
    await nimbus.logs.flush();
    const text = (await nimbus.store.logs.query({ functionName: 'hardening-dev-uncaught' })).map((l) => l.message).join('\n');
    assert.match(text, /Uncaught Exception \t\{"errorType":"Error","errorMessage":"boom 0"/);
    assert.doesNotMatch(text, /Runtime exited/);
  });
});

describe('NODE_OPTIONS and deleted functions', () => {
  let nimbus: Platform;
  let dir: string;
  before(async () => {
    nimbus = await startNimbus();
    dir = copyFixture('hardening');
    await nimbus.deploy(dir);
  });
  after(() => nimbus.close());

  it('starts a function with NODE_OPTIONS in a process of its own that honours them', async () => {
    const pool = new Set(nimbus.runtime.pids());
    const r = await invoke(nimbus, 'hardening-dev-preloaded');
    assert.equal(r.error, undefined);
    assert.deepEqual(r.body, { preloaded: 'yes:hardening-dev-preloaded', nodeOptions: '--require ./preload.js', cwd: dir });
    // The pool's process was not used for it.
    assert.equal(nimbus.runtime.genericCount(), 1);
    for (const p of pool) assert.ok(nimbus.runtime.pids().includes(p));
  });

  it('drops the bookkeeping of a deleted function once its instances are gone', async () => {
    assert.equal((await invoke(nimbus, 'hardening-dev-ok')).error, undefined);
    assert.ok(nimbus.runtime.functionNames().includes('hardening-dev-ok'));
    assert.ok(await nimbus.removeFunction('hardening-dev-ok'));
    await waitFor(() => !nimbus.runtime.functionNames().includes('hardening-dev-ok'), 3000);
    assert.equal(nimbus.runtime.counts('hardening-dev-ok').total, 0);
  });
});
