/**
 * Stream event source mappings against a real store (SQLite, and PostgreSQL
 * when reachable): batching and order, checkpoints across restarts, retries
 * and failure records, bisection, partial batch responses, record age,
 * filters, starting positions, shard lineage and lease takeover between two
 * nodes. The stream and the function are the in-test doubles of helpers.ts.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SqlStore } from '../../src/store/open';
import type { EventSourceMappings } from '../../src/triggers/event-source-mappings';
import type { CreateMappingInput, EventSourceMapping, StreamFailureRecord } from '../../src/triggers/types';
import {
  ArrayStreamSource,
  type Backend,
  FN,
  FN_ARN,
  newMappings,
  openTriggersStore,
  pgReachable,
  postgresBackend,
  ScriptedInvoker,
  sleep,
  sqliteBackend,
  STREAM,
  waitFor,
} from './helpers';

const DLQ = 'arn:aws:sqs:us-east-1:123456789012:dlq';

function input(extra: Partial<CreateMappingInput> = {}): CreateMappingInput {
  return { functionName: FN, functionArn: FN_ARN, eventSourceArn: STREAM, startingPosition: 'TRIM_HORIZON', ...extra };
}

async function createMapping(esm: EventSourceMappings, extra: Partial<CreateMappingInput> = {}): Promise<EventSourceMapping> {
  const r = await esm.create(input(extra));
  assert.ok('created' in r, 'created');
  return r.created;
}

for (const makeBackend of [sqliteBackend, postgresBackend]) {
  const backend: Backend = makeBackend();
  describe(`event source mappings on ${backend.name}`, () => {
    let available = true;
    const open: Array<{ store: SqlStore; esm: EventSourceMappings[] }> = [];

    before(async () => {
      if (backend.name === 'postgres') available = await pgReachable();
    });
    after(async () => {
      for (const o of open) {
        for (const e of o.esm) await e.close();
        await o.store.close();
      }
      await backend.cleanup();
    });

    /** A fresh store with one running EventSourceMappings over `source` and `invoker`. */
    async function setup(t: TestContext, invoker = new ScriptedInvoker(), extra: Parameters<typeof newMappings>[3] = {}) {
      if (!available) {
        t.skip('PostgreSQL is not reachable');
        return null;
      }
      const url = backend.newUrl();
      const { store, repo } = await openTriggersStore(url);
      const source = new ArrayStreamSource();
      source.createStream(STREAM);
      const failures: Array<{ dest: string; record: StreamFailureRecord }> = [];
      const esm = newMappings(repo, source, invoker, { failures, ...extra });
      const entry = { store, esm: [esm] };
      open.push(entry);
      await esm.start();
      return { url, store, repo, source, invoker, esm, failures, entry };
    }

    it('delivers records in order, in batches of at most BatchSize', async (t) => {
      const s = await setup(t);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1, 2, 3, 4, 5, 6, 7]);
      const m = await createMapping(s.esm, { batchSize: 3 });
      assert.equal(m.state, 'Creating');
      await waitFor(() => s.invoker.delivered().length === 7, '7 records');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 2, 3], [4, 5, 6], [7]]);
      assert.ok(s.invoker.calls.every((c) => c.functionName === FN && c.source === 'dynamodb'));
      assert.equal(s.invoker.calls[0]!.records[0]!.eventSourceARN, STREAM);
      s.source.putN(STREAM, 'shard-0', [8, 9]);
      await waitFor(() => s.invoker.delivered().length === 9, 'records 8 and 9');
      assert.deepEqual(s.invoker.delivered(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await waitFor(async () => (await s.esm.get(m.uuid))?.lastProcessingResult === 'OK', 'LastProcessingResult OK');
    });

    it('keeps the checkpoint across a restart: nothing is delivered twice', async (t) => {
      const s = await setup(t);
      if (!s) return;
      await createMapping(s.esm);
      s.source.putN(STREAM, 'shard-0', [1, 2, 3]);
      await waitFor(() => s.invoker.delivered().length === 3, 'first records');
      await s.esm.close();
      await s.store.close();
      open.splice(open.indexOf(s.entry), 1);
      s.source.putN(STREAM, 'shard-0', [4, 5]);

      const reopened = await openTriggersStore(s.url);
      const invoker2 = new ScriptedInvoker();
      const esm2 = newMappings(reopened.repo, s.source, invoker2);
      open.push({ store: reopened.store, esm: [esm2] });
      await esm2.start();
      await waitFor(() => invoker2.delivered().length === 2, 'records after the restart');
      await sleep(100);
      assert.deepEqual(invoker2.delivered(), [4, 5]);
    });

    it('retries a failing batch MaximumRetryAttempts times, then sends a failure record and moves on', async (t) => {
      const invoker = new ScriptedInvoker((c) => (c.ns.includes(2) ? { error: 'boom' } : { ok: null }));
      const s = await setup(t, invoker);
      if (!s) return;
      const m = await createMapping(s.esm, { batchSize: 2, maximumRetryAttempts: 2, onFailureDestination: DLQ });
      const [r1, r2] = s.source.putN(STREAM, 'shard-0', [1, 2], Date.parse('2024-05-01T10:00:00.500Z'));
      s.source.putN(STREAM, 'shard-0', [3]);
      await waitFor(() => s.invoker.delivered().includes(3), 'the next batch after giving up');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 2], [1, 2], [1, 2], [3]]);
      assert.equal(s.failures.length, 1);
      const { dest, record } = s.failures[0]!;
      assert.equal(dest, DLQ);
      assert.equal(record.version, '1.0');
      assert.deepEqual(record.requestContext, { requestId: 'req-3', functionArn: FN_ARN, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
      assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
      assert.match(record.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(record.DDBStreamBatchInfo, {
        shardId: 'shard-0',
        startSequenceNumber: r1!.sequenceNumber,
        endSequenceNumber: r2!.sequenceNumber,
        approximateArrivalOfFirstRecord: '2024-05-01T10:00:00Z',
        approximateArrivalOfLastRecord: '2024-05-01T10:00:00Z',
        batchSize: 2,
        streamArn: STREAM,
      });
      assert.equal(record.KinesisBatchInfo, undefined);
      await waitFor(async () => (await s.esm.get(m.uuid))?.lastProcessingResult === 'OK', 'OK after the last batch');
    });

    it('bisects a failing batch without counting the splits as retries', async (t) => {
      const invoker = new ScriptedInvoker((c) => (c.ns.includes(3) ? { error: 'poison' } : { ok: null }));
      const s = await setup(t, invoker);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1, 2, 3, 4]);
      await createMapping(s.esm, { batchSize: 4, maximumRetryAttempts: 0, bisectBatchOnFunctionError: true, onFailureDestination: DLQ });
      await waitFor(() => s.invoker.delivered().includes(4) && s.invoker.calls.at(-1)!.ns.join() === '4', 'the record after the poison one');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 2, 3, 4], [1, 2], [3, 4], [3], [4]]);
      assert.equal(s.failures.length, 1);
      assert.equal(s.failures[0]!.record.DDBStreamBatchInfo!.batchSize, 1);
      assert.equal(s.failures[0]!.record.requestContext.approximateInvokeCount, 1);
    });

    it('ReportBatchItemFailures: checkpoints before the lowest failed record and retries from it', async (t) => {
      let first = true;
      const invoker = new ScriptedInvoker((c) => {
        if (first && c.ns.length === 5) {
          first = false;
          // Two failures reported: the lowest sequence number wins.
          return { ok: { batchItemFailures: [{ itemIdentifier: c.seqs[3] }, { itemIdentifier: c.seqs[2] }] } };
        }
        return { ok: { batchItemFailures: [] } };
      });
      const s = await setup(t, invoker);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1, 2, 3, 4, 5]);
      await createMapping(s.esm, { batchSize: 10, functionResponseTypes: ['ReportBatchItemFailures'] });
      await waitFor(() => s.invoker.calls.length === 2, 'the retry');
      s.source.putN(STREAM, 'shard-0', [6]);
      await waitFor(() => s.invoker.calls.length === 3, 'the next record');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 2, 3, 4, 5], [3, 4, 5], [6]]);
    });

    it('ReportBatchItemFailures: a malformed item fails the whole batch; without the setting the response is ignored', async (t) => {
      let calls = 0;
      const invoker = new ScriptedInvoker(() => (++calls === 1 ? { ok: { batchItemFailures: [{ itemIdentifier: '' }] } } : { ok: { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } }));
      const s = await setup(t, invoker);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1, 2]);
      await createMapping(s.esm, { functionResponseTypes: ['ReportBatchItemFailures'], maximumRetryAttempts: 1, onFailureDestination: DLQ });
      await waitFor(() => s.failures.length === 1, 'given up after one retry');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 2], [1, 2]]);
      // The same answers, with ReportBatchItemFailures off: plain success.
      const m2 = await s.esm.update((await s.esm.list())[0]!.uuid, { functionResponseTypes: [] });
      assert.ok(m2 && 'updated' in m2);
      s.source.putN(STREAM, 'shard-0', [3]);
      await waitFor(() => s.invoker.delivered().includes(3), 'record 3');
      await sleep(100);
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 2], [1, 2], [3]]);
    });

    it('discards records older than MaximumRecordAgeInSeconds without invoking', async (t) => {
      const s = await setup(t);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1, 2], Date.now() - 120_000);
      s.source.putN(STREAM, 'shard-0', [3]);
      await createMapping(s.esm, { maximumRecordAgeInSeconds: 60, onFailureDestination: DLQ });
      await waitFor(() => s.invoker.delivered().length === 1, 'the fresh record');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[3]]);
      assert.equal(s.failures.length, 1);
      assert.equal(s.failures[0]!.record.requestContext.condition, 'RecordAgeExceeded');
      assert.equal(s.failures[0]!.record.requestContext.approximateInvokeCount, 0);
      assert.equal(s.failures[0]!.record.DDBStreamBatchInfo!.batchSize, 2);
    });

    it('throttles are retried without counting against MaximumRetryAttempts', async (t) => {
      const invoker = new ScriptedInvoker((_c, i) => (i < 3 ? { throttle: true } : { ok: null }));
      const s = await setup(t, invoker);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1]);
      await createMapping(s.esm, { maximumRetryAttempts: 0, onFailureDestination: DLQ });
      await waitFor(() => s.invoker.calls.length === 4, 'success after three throttles');
      await sleep(50);
      assert.equal(s.failures.length, 0);
      assert.equal(s.invoker.calls.length, 4);
    });

    it('delivers only records a filter matches, and skips the others for good', async (t) => {
      const s = await setup(t);
      if (!s) return;
      s.source.put(STREAM, 'shard-0', [
        { eventName: 'INSERT', dynamodb: { NewImage: { n: { N: '1' } } } },
        { eventName: 'MODIFY', dynamodb: { NewImage: { n: { N: '2' } } } },
        { eventName: 'REMOVE', dynamodb: { NewImage: { n: { N: '3' } } } },
        { eventName: 'INSERT', dynamodb: { NewImage: { n: { N: '4' } } } },
        { eventName: 'MODIFY', dynamodb: { NewImage: { n: { N: '5' } } } },
      ]);
      await createMapping(s.esm, {
        filterPatterns: ['{"eventName":["INSERT"]}', '{"dynamodb":{"NewImage":{"n":{"N":["5"]}}}}'],
      });
      await waitFor(() => s.invoker.delivered().length === 3, 'matching records');
      assert.deepEqual(s.invoker.calls.map((c) => c.ns), [[1, 4, 5]]);
      // Only non-matching records after: they are checkpointed without an invocation.
      s.source.put(STREAM, 'shard-0', [{ eventName: 'REMOVE', dynamodb: { NewImage: { n: { N: '6' } } } }]);
      s.source.put(STREAM, 'shard-0', [{ eventName: 'INSERT', dynamodb: { NewImage: { n: { N: '7' } } } }]);
      await waitFor(() => s.invoker.delivered().includes(7), 'record 7');
      assert.deepEqual(s.invoker.delivered(), [1, 4, 5, 7]);
      const uuid = (await s.esm.list())[0]!.uuid;
      const [pos] = await s.repo.listShards(uuid);
      assert.equal(pos!.checkpoint, s.invoker.calls.at(-1)!.seqs.at(-1));
    });

    it('LATEST starts after the records present at creation; TRIM_HORIZON from the oldest', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const other = 'other-fn';
      s.source.putN(STREAM, 'shard-0', [1, 2]);
      await createMapping(s.esm, { startingPosition: 'LATEST' });
      await createMapping(s.esm, { functionName: other, functionArn: FN_ARN.replace(FN, other), startingPosition: 'TRIM_HORIZON' });
      s.source.putN(STREAM, 'shard-0', [3]);
      await waitFor(() => s.invoker.calls.filter((c) => c.functionName === FN).length === 1, 'LATEST mapping');
      await waitFor(() => s.invoker.calls.filter((c) => c.functionName === other).flatMap((c) => c.ns).length === 3, 'TRIM_HORIZON mapping');
      assert.deepEqual(s.invoker.calls.filter((c) => c.functionName === FN).flatMap((c) => c.ns), [3]);
      assert.deepEqual(s.invoker.calls.filter((c) => c.functionName === other).flatMap((c) => c.ns), [1, 2, 3]);
    });

    it('MaximumBatchingWindowInSeconds waits to fill a batch', async (t) => {
      const s = await setup(t);
      if (!s) return;
      await createMapping(s.esm, { batchSize: 3, maximumBatchingWindowInSeconds: 300 });
      s.source.putN(STREAM, 'shard-0', [1, 2]);
      await sleep(150);
      assert.equal(s.invoker.calls.length, 0, 'waiting for a full batch');
      s.source.putN(STREAM, 'shard-0', [3, 4]);
      await waitFor(() => s.invoker.calls.length === 1, 'one full batch');
      assert.deepEqual(s.invoker.calls[0]!.ns, [1, 2, 3]);
    });

    it('finishes a parent shard before starting its children', async (t) => {
      const s = await setup(t);
      if (!s) return;
      s.source.putN(STREAM, 'shard-0', [1, 2]);
      s.source.addShard(STREAM, 'shard-1', 'shard-0');
      s.source.putN(STREAM, 'shard-1', [10, 11]);
      await createMapping(s.esm, { batchSize: 1 });
      await waitFor(() => s.invoker.delivered().length === 2, 'the parent records');
      await sleep(150);
      assert.deepEqual(s.invoker.delivered(), [1, 2], 'the child waits while the parent is open');
      s.source.putN(STREAM, 'shard-0', [3]);
      s.source.closeShard(STREAM, 'shard-0');
      await waitFor(() => s.invoker.delivered().length === 5, 'the child after the parent');
      assert.deepEqual(s.invoker.delivered(), [1, 2, 3, 10, 11]);
      const uuid = (await s.esm.list())[0]!.uuid;
      const parent = (await s.repo.listShards(uuid)).find((p) => p.shardId === 'shard-0');
      assert.equal(parent!.finished, true);
    });

    it('a second node takes a shard over only when the holder stops renewing its lease', async (t) => {
      const s = await setup(t);
      if (!s) return;
      await createMapping(s.esm);
      s.source.putN(STREAM, 'shard-0', [1, 2]);
      await waitFor(() => s.invoker.delivered().length === 2, 'node A delivers');
      const invokerB = new ScriptedInvoker();
      const b = newMappings(s.repo, s.source, invokerB, { nodeId: 'node-b' });
      s.entry.esm.push(b);
      await b.start();
      s.source.putN(STREAM, 'shard-0', [3]);
      await waitFor(() => s.invoker.delivered().length === 3, 'node A delivers record 3');
      await sleep(700); // longer than a lease: A keeps renewing, so B must not take over
      assert.deepEqual(invokerB.calls, []);
      assert.deepEqual(b.activeShards(), []);
      // A dies without giving its lease back; B takes over once it expires and resumes at A's checkpoint.
      await s.esm.close({ keepLeases: true });
      s.source.putN(STREAM, 'shard-0', [4, 5]);
      await waitFor(() => invokerB.delivered().length === 2, 'node B after the lease expired');
      assert.deepEqual(invokerB.delivered(), [4, 5]);
      assert.deepEqual(s.invoker.delivered(), [1, 2, 3]);
    });

    it('a disabled mapping stops polling and resumes where it stopped when enabled again', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const m = await createMapping(s.esm);
      s.source.putN(STREAM, 'shard-0', [1]);
      await waitFor(() => s.invoker.delivered().length === 1, 'record 1');
      const r = await s.esm.update(m.uuid, { enabled: false });
      assert.ok(r && 'updated' in r);
      assert.equal(r.updated.state, 'Disabling');
      assert.equal((await s.esm.get(m.uuid))!.state, 'Disabled');
      await waitFor(() => s.esm.activeShards().length === 0, 'pollers stopped');
      s.source.putN(STREAM, 'shard-0', [2, 3]);
      await sleep(150);
      assert.deepEqual(s.invoker.delivered(), [1]);
      const r2 = await s.esm.update(m.uuid, { enabled: true });
      assert.ok(r2 && 'updated' in r2);
      assert.equal(r2.updated.state, 'Enabling');
      await waitFor(() => s.invoker.delivered().length === 3, 'records 2 and 3');
      assert.deepEqual(s.invoker.delivered(), [1, 2, 3]);
    });

    it('a stream that disappears is reported in LastProcessingResult', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const m = await createMapping(s.esm);
      s.source.deleteStream(STREAM);
      await waitFor(async () => (await s.esm.get(m.uuid))?.lastProcessingResult === 'PROBLEM: Stream not found', 'the problem');
      assert.equal((await s.esm.get(m.uuid))!.state, 'Enabled');
    });

    it('one mapping per function and source; update, list and delete', async (t) => {
      const s = await setup(t);
      if (!s) return;
      const m = await createMapping(s.esm);
      assert.equal(m.batchSize, 100);
      assert.equal(m.maximumRetryAttempts, -1);
      assert.equal(m.maximumRecordAgeInSeconds, -1);
      assert.equal(m.lastProcessingResult, 'No records processed');
      assert.equal(m.stateTransitionReason, 'User action');
      const again = await s.esm.create(input());
      assert.ok('conflict' in again);
      assert.equal(again.conflict.uuid, m.uuid);
      const u = await s.esm.update(m.uuid, { batchSize: 5, filterPatterns: ['{"eventName":["MODIFY"]}'], onFailureDestination: DLQ });
      assert.ok(u && 'updated' in u);
      assert.equal(u.updated.state, 'Updating');
      const got = (await s.esm.get(m.uuid))!;
      assert.equal(got.batchSize, 5);
      assert.deepEqual(got.filterPatterns, ['{"eventName":["MODIFY"]}']);
      assert.equal(got.onFailureDestination, DLQ);
      assert.equal(got.startingPosition, 'TRIM_HORIZON');
      assert.deepEqual((await s.esm.list({ functionName: FN })).map((x) => x.uuid), [m.uuid]);
      assert.deepEqual(await s.esm.list({ functionName: 'nope' }), []);
      assert.deepEqual((await s.esm.list({ eventSourceArn: STREAM })).map((x) => x.uuid), [m.uuid]);
      await assert.rejects(s.esm.update(m.uuid, { filterPatterns: ['{"a":"b"}'] }), { message: 'Invalid filter pattern definition.' });
      const d = await s.esm.delete(m.uuid);
      assert.equal(d!.state, 'Deleting');
      assert.equal(await s.esm.get(m.uuid), null);
      assert.equal(await s.esm.delete(m.uuid), null);
      assert.deepEqual(await s.repo.listShards(m.uuid), []);
      await assert.rejects(s.esm.create(input({ eventSourceArn: STREAM.replace('orders', 'missing') })), { message: /^Cannot access stream/ });
      await assert.rejects(s.esm.create(input({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 1 })), {
        message: `Unsupported starting position for arn type: ${STREAM}`,
      });
    });
  });
}

describe('event source mappings lifecycle', () => {
  it('close() stops pollers promptly and unsubscribes from the source', async () => {
    const backend = sqliteBackend();
    const { store, repo } = await openTriggersStore(backend.newUrl());
    try {
      const source = new ArrayStreamSource();
      source.createStream(STREAM, ['a', 'b']);
      const invoker = new ScriptedInvoker(() => ({ error: 'always' }));
      const esm = newMappings(repo, source, invoker, { retry: { baseMs: 60_000, maxMs: 60_000 } });
      await esm.start();
      await createMapping(esm, { maximumBatchingWindowInSeconds: 300, batchSize: 10 });
      source.putN(STREAM, 'a', [1]);
      source.putN(STREAM, 'b', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Shard a waits in its batching window, shard b in a one-minute retry backoff.
      await waitFor(() => invoker.calls.length === 1, 'the failing batch');
      assert.equal(esm.activeShards().length, 2);
      assert.ok(source.listenerCount() > 0);
      await esm.close();
      assert.equal(source.listenerCount(), 0);
      assert.deepEqual(esm.activeShards(), []);
      const positions = await repo.listShards((await repo.listMappings())[0]!.uuid);
      assert.ok(positions.every((p) => p.leaseOwner === null), 'leases given back');
    } finally {
      await store.close();
      await backend.cleanup();
    }
  });
});
