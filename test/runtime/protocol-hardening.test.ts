/**
 * What a function's process sends the platform is untrusted input: garbage on the
 * Node frame channel (fd 3), malformed Runtime API requests, client contexts that
 * are not valid header text, oversized answers. Each ends (at most) that instance
 * and its invocation; the platform keeps serving.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { Platform } from '../../src/platform';
import { FrameDecoder, FrameType, encodeFrame, type Frame } from '../../src/runtime/protocol';
import { copyFixture, startNimbus, waitFor } from '../helpers/nimbus';

async function invoke(nimbus: Platform, fn: string, event: unknown, clientContext?: string) {
  const r = await nimbus.engine.invoke({ functionName: fn, payload: JSON.stringify(event), source: 'test', clientContext });
  return { error: r.functionError, body: JSON.parse(r.payload.toString()) as Record<string, unknown> & { errorType?: string; errorMessage?: string } };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * One invocation straight through the live platform's runtime, below the engine
 * (which refuses invalid client contexts itself): the runtime must be robust anyway.
 */
async function invokeDirect(nimbus: Platform, fnName: string, event: unknown, clientContext: string) {
  const fn = nimbus.engine.getFunction(fnName)!.config;
  const { instance } = await nimbus.runtime.acquire(fn);
  const out = await instance.invoke({ id: crypto.randomUUID(), payload: JSON.stringify(event), timeoutMs: fn.timeout * 1000, traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1', clientContext });
  nimbus.runtime.release(instance, out.kind === 'requeue' ? 0 : out.durationMs);
  assert.equal(out.kind, 'response', JSON.stringify(out));
  return JSON.parse((out as { payload: Buffer }).payload.toString()) as Record<string, unknown>;
}

describe('the Node frame channel (fd 3) against forged and malformed frames', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus();
    await nimbus.deploy(copyFixture('hardening'));
  });
  after(() => nimbus.close());

  const cases: Array<[kind: string, errorType: string, message: RegExp]> = [
    ['short', 'Runtime.Unknown', /invalid message: frame length 1 is shorter/],
    ['hlen', 'Runtime.Unknown', /invalid message: frame header length 100000 exceeds/],
    ['json', 'Runtime.Unknown', /invalid message: .*JSON/],
    ['type', 'Runtime.Unknown', /invalid message: unknown frame type 0x7a/],
    ['hello', 'Runtime.Unknown', /invalid message: Hello while busy/],
    ['ready', 'Runtime.Unknown', /invalid message: Ready while busy/],
    ['initerror', 'Runtime.Unknown', /invalid message: InitError while busy/],
    ['wrongid', 'Runtime.Unknown', /invalid message: response for request "someone-else", which is not in progress/],
    ['errorbody', 'Runtime.Unknown', /invalid message: error body is not JSON/],
    ['noise', 'Runtime.Unknown', /invalid message: frame of \d+ bytes exceeds the \d+-byte limit/],
    ['oversize', 'Function.ResponseSizeTooLarge', /Response payload size exceeded maximum allowed payload size \(6291556 bytes\)\./],
  ];
  for (const [kind, errorType, message] of cases) {
    it(`kills the instance, fails the invocation and keeps serving: ${kind}`, async () => {
      const r = await invoke(nimbus, 'hardening-dev-garbage', { kind });
      assert.equal(r.error, 'Unhandled');
      assert.equal(r.body.errorType, errorType, JSON.stringify(r.body));
      assert.match(String(r.body.errorMessage), message);
      assert.match(String(r.body.errorMessage), /^RequestId: [0-9a-f-]{36} Error: /);
      // The offender is gone (its process exited), and the platform serves on.
      await waitFor(() => nimbus.runtime.counts('hardening-dev-garbage').total === 0, 3000);
      const ok = await invoke(nimbus, 'hardening-dev-ok', { n: 1 });
      assert.equal(ok.error, undefined);
      assert.equal(ok.body.n, 1);
    });
  }

  it('reassembles frames split anywhere and joins each frame once', () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x61);
    const wire = Buffer.concat([encodeFrame(FrameType.Log, { id: null }, 'a'), encodeFrame(FrameType.Response, { id: 'x', maxRss: 1 }, big), encodeFrame(FrameType.Hello, undefined)]);
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let off = 0; off < wire.length; off += 65_536) d.push(wire.subarray(off, off + 65_536), (f) => got.push(f));
    assert.deepEqual(got.map((f) => f.type), [FrameType.Log, FrameType.Response, FrameType.Hello]);
    assert.equal(got[1]!.body.length, big.length);
    assert.ok(got[1]!.body.equals(big));
    assert.deepEqual(JSON.parse(got[1]!.header.toString()), { id: 'x', maxRss: 1 });
    // Byte by byte, too.
    const small = Buffer.concat([encodeFrame(FrameType.Ready, { initMs: 1 }), encodeFrame(FrameType.Log, { id: 'y' }, 'héllo')]);
    const d2 = new FrameDecoder();
    const got2: Frame[] = [];
    for (const b of small) d2.push(Buffer.from([b]), (f) => got2.push(f));
    assert.deepEqual(got2.map((f) => [f.type, f.body.toString()]), [[FrameType.Ready, ''], [FrameType.Log, 'héllo']]);
  });

  it('refuses frames over the cap as soon as their length is known', () => {
    const d = new FrameDecoder(1000);
    const prefix = encodeFrame(FrameType.Response, { id: 'x' }, Buffer.alloc(2000)).subarray(0, 9);
    assert.throws(() => d.push(prefix, () => {}), (e: Error & { tooLarge?: { type: number } }) => e.name === 'ProtocolError' && e.tooLarge?.type === FrameType.Response);
    // A broken decoder ignores whatever follows.
    d.push(encodeFrame(FrameType.Hello, undefined), () => assert.fail('decoded after a protocol error'));
  });

  it('answers an oversized result with Function.ResponseSizeTooLarge and keeps the instance', async () => {
    const fine = await nimbus.engine.invoke({ functionName: 'hardening-dev-big', payload: JSON.stringify({ size: 6_000_000 }), source: 'test' });
    assert.equal(fine.functionError, undefined);
    assert.equal(fine.payload.length, 6_000_002);
    const { pid } = (await invoke(nimbus, 'hardening-dev-big', { log: 10 })).body as { pid: number };
    // One byte over Lambda's limit (the JSON string's quotes count).
    const r = await invoke(nimbus, 'hardening-dev-big', { size: 6_291_556 - 1 });
    assert.equal(r.error, 'Unhandled');
    assert.deepEqual(r.body, { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' });
    const again = await invoke(nimbus, 'hardening-dev-big', { log: 10 });
    assert.equal(again.body.pid, pid);
  });

  it('carries a 20 MB log line in frames under the cap', async () => {
    const r = await invoke(nimbus, 'hardening-dev-big', { log: 20 * 1024 * 1024 });
    assert.equal(r.error, undefined);
    assert.equal(r.body.logged, 20 * 1024 * 1024);
    await nimbus.logs.flush();
    const text = (await nimbus.store.logs.query({ functionName: 'hardening-dev-big' })).map((l) => l.message).join('');
    assert.ok((text.match(/x/g) ?? []).length >= 20 * 1024 * 1024);
  });

  it('gives the handler a valid client context, and undefined for one that is not JSON', async () => {
    const cc = { client: { appTitle: 'Zürich 日本 🚀' }, custom: { q: 'a"b\\c' }, env: {} };
    const ok = await invoke(nimbus, 'hardening-dev-clientctx', {}, b64(JSON.stringify(cc)));
    assert.equal(ok.error, undefined);
    assert.deepEqual(ok.body.clientContext, cc);
    const bad = await invokeDirect(nimbus, 'hardening-dev-clientctx', {}, b64('{not json'));
    assert.equal(bad.clientContext, 'undefined');
    const garbage = await invokeDirect(nimbus, 'hardening-dev-clientctx', {}, '%%%not base64');
    assert.equal(garbage.clientContext, 'undefined');
  });
});

describe('the HTTP Runtime API against a misbehaving bootstrap', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus();
    await nimbus.deploy(copyFixture('hardening-provided'));
  });
  after(() => nimbus.close());

  it('answers malformed ids, a second next and raw garbage as Lambda does, and keeps serving', async () => {
    const first = await invoke(nimbus, 'hprov-dev-echo', {});
    assert.equal(first.error, undefined);
    const r = await invoke(nimbus, 'hprov-dev-echo', { misbehave: true });
    assert.equal(r.error, 'Unhandled');
    assert.equal(r.body.errorType, 'Custom.Misbehaved');
    const seen = JSON.parse(String(r.body.errorMessage));
    assert.deepEqual(seen.badEscape, [400, 'InvalidRequestID']);
    assert.deepEqual(seen.otherId, [400, 'InvalidRequestID']);
    assert.deepEqual(seen.secondNext, [403, 'InvalidStateTransition']);
    assert.match(seen.noise, /^HTTP\/1\.1 400/);
    // Same process, still serving.
    const after = await invoke(nimbus, 'hprov-dev-echo', {});
    assert.equal(after.error, undefined);
    assert.equal(after.body.pid, first.body.pid);
  });

  it('passes any client context as valid header text: non-ASCII escaped, non-JSON left out', async () => {
    const cc = { client: { appTitle: 'Zürich 日本 🚀 \u007f' }, custom: { k: 'v' } };
    const ok = await invoke(nimbus, 'hprov-dev-echo', {}, b64(JSON.stringify(cc)));
    assert.equal(ok.error, undefined);
    const header = String(ok.body.clientContext);
    assert.match(header, /^[\x20-\x7e]+$/);
    assert.deepEqual(JSON.parse(header), cc);
    // Below the engine (which validates it too): not JSON, or not even base64.
    const bad = await invokeDirect(nimbus, 'hprov-dev-echo', {}, b64('not json ü'));
    assert.equal(bad.clientContext, null);
    const worse = await invokeDirect(nimbus, 'hprov-dev-echo', {}, '%%%\u00ff');
    assert.equal(worse.clientContext, null);
    // The instance was never stuck.
    assert.equal(bad.pid, ok.body.pid);
    assert.equal(worse.pid, ok.body.pid);
  });
});
