/**
 * Test doubles of the two interfaces the event source mappings consume (an
 * array-backed ShardedStreamSource and a scripted Invoker), plus stores on
 * each backend. Real store, real pollers; only the stream and the function
 * are stand-ins (the end-to-end test with DynamoDB and real functions lives
 * with the platform).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { InvokeError, type Invoker, type InvokeRequest, type InvokeResult } from '../../src/invoke/types';
import { openStore, type SqlStore } from '../../src/store/open';
import { TRIGGERS_MIGRATIONS } from '../../src/store/triggers-migrations';
import { TriggersRepo } from '../../src/store/triggers-repo';
import { EventSourceMappings, type EventSourceMappingsOptions } from '../../src/triggers/event-source-mappings';
import type { ShardedStreamSource, ShardInfo, StreamFailureRecord, StreamRecord } from '../../src/triggers/types';

export const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000';
export const FN = 'orders-handler';
export const FN_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FN}`;

interface Shard extends ShardInfo {
  records: StreamRecord[];
}

/** A DynamoDB-like stream in memory: shards of records with increasing sequence numbers. */
export class ArrayStreamSource implements ShardedStreamSource {
  readonly kind = 'dynamodb' as const;
  private readonly streams = new Map<string, Shard[]>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private seq = 100_000_000_000_000_000_000n;

  createStream(arn: string, shardIds: string[] = ['shard-0']): void {
    this.streams.set(arn, shardIds.map((id) => ({ shardId: id, parentShardId: null, closed: false, records: [] })));
  }

  addShard(arn: string, shardId: string, parentShardId: string | null): void {
    this.shards(arn).push({ shardId, parentShardId, closed: false, records: [] });
  }

  closeShard(arn: string, shardId: string): void {
    this.shard(arn, shardId).closed = true;
  }

  deleteStream(arn: string): void {
    this.streams.delete(arn);
  }

  /** Appends records (data: the DynamoDB-shaped record; eventID etc. are filled in) and wakes listeners. */
  put(arn: string, shardId: string, items: Record<string, unknown>[], arrivalMs = Date.now()): StreamRecord[] {
    const shard = this.shard(arn, shardId);
    if (shard.closed) throw new Error(`shard ${shardId} is closed`);
    const out = items.map((item) => {
      this.seq += 1000n;
      const sequenceNumber = this.seq.toString();
      const data = {
        eventID: randomBytes(16).toString('hex'),
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'us-east-1',
        ...item,
        dynamodb: { SequenceNumber: sequenceNumber, SizeBytes: 10, StreamViewType: 'NEW_IMAGE', ...(item.dynamodb as object | undefined) },
        eventSourceARN: arn,
      };
      const r: StreamRecord = { sequenceNumber, approximateArrivalMs: arrivalMs, sizeBytes: 10, data };
      shard.records.push(r);
      return r;
    });
    for (const l of this.listeners.get(arn) ?? []) l();
    return out;
  }

  /** Shorthand: records `{ n }` in NewImage. */
  putN(arn: string, shardId: string, ns: number[], arrivalMs?: number): StreamRecord[] {
    return this.put(arn, shardId, ns.map((n) => ({ dynamodb: { NewImage: { n: { N: String(n) } } } })), arrivalMs);
  }

  async listShards(arn: string): Promise<ShardInfo[] | null> {
    const shards = this.streams.get(arn);
    return shards ? shards.map((s) => ({ shardId: s.shardId, parentShardId: s.parentShardId, closed: s.closed })) : null;
  }

  async read(arn: string, shardId: string, after: string | null, limit: number): Promise<StreamRecord[]> {
    const shard = this.streams.get(arn)?.find((s) => s.shardId === shardId);
    if (!shard) return [];
    const from = after === null ? 0 : shard.records.findIndex((r) => BigInt(r.sequenceNumber) > BigInt(after));
    return from < 0 ? [] : shard.records.slice(from, from + limit);
  }

  async latestSequence(arn: string, shardId: string): Promise<string | null> {
    const records = this.shard(arn, shardId).records;
    return records.length ? records[records.length - 1]!.sequenceNumber : null;
  }

  onRecords(arn: string, listener: () => void): () => void {
    let set = this.listeners.get(arn);
    if (!set) this.listeners.set(arn, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  private shards(arn: string): Shard[] {
    const s = this.streams.get(arn);
    if (!s) throw new Error(`no stream ${arn}`);
    return s;
  }

  private shard(arn: string, shardId: string): Shard {
    const s = this.shards(arn).find((x) => x.shardId === shardId);
    if (!s) throw new Error(`no shard ${shardId}`);
    return s;
  }
}

/** What the scripted function answers. */
export type Reply =
  | { ok: unknown }
  | { error: string }
  | { throttle: true }
  | { notFound: true };

export interface Call {
  functionName: string;
  source: string;
  records: Array<Record<string, unknown>>;
  /** NewImage.n of each record, for readable assertions. */
  ns: number[];
  /** dynamodb.SequenceNumber of each record. */
  seqs: string[];
}

/** An Invoker that records calls and answers from a script (default: success with null). */
export class ScriptedInvoker implements Invoker {
  readonly calls: Call[] = [];
  private n = 0;
  constructor(public script: (call: Call, index: number) => Reply = () => ({ ok: null })) {}

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const event = JSON.parse(String(req.payload)) as { Records: Array<Record<string, unknown>> };
    const call: Call = {
      functionName: req.functionName,
      source: req.source,
      records: event.Records,
      ns: event.Records.map((r) => Number(((r.dynamodb as { NewImage?: { n?: { N?: string } } }).NewImage?.n?.N) ?? NaN)),
      seqs: event.Records.map((r) => (r.dynamodb as { SequenceNumber: string }).SequenceNumber),
    };
    this.calls.push(call);
    const reply = this.script(call, this.n++);
    const requestId = `req-${this.n}`;
    if ('throttle' in reply) throw new InvokeError('TooManyRequestsException', 'Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded');
    if ('notFound' in reply) throw new InvokeError('ResourceNotFoundException', `Function not found: ${req.functionName}`);
    if ('error' in reply) {
      return { requestId, payload: Buffer.from(JSON.stringify({ errorType: 'Error', errorMessage: reply.error })), functionError: 'Unhandled', logTail: '', executedVersion: '$LATEST' };
    }
    return { requestId, payload: Buffer.from(reply.ok === undefined ? '' : JSON.stringify(reply.ok)), logTail: '', executedVersion: '$LATEST' };
  }

  /** Every record delivered, in delivery order (n values). */
  delivered(): number[] {
    return this.calls.flatMap((c) => c.ns);
  }
}

export const PG_URL = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers (the PostgreSQL variants are skipped when it does not). */
export async function pgReachable(): Promise<boolean> {
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    await c.end().catch(() => undefined);
    return false;
  }
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty store location. */
  newUrl(): string;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    newUrl() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-esm-'));
      dirs.push(dir);
      return path.join(dir, 'nimbus.db');
    },
    async cleanup() {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    newUrl() {
      const schema = `t_esm_${randomBytes(5).toString('hex')}`;
      schemas.push(schema);
      const u = new URL(PG_URL);
      u.searchParams.set('schema', schema);
      return u.toString();
    },
    async cleanup() {
      if (schemas.length === 0) return;
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      try {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function openTriggersStore(url: string): Promise<{ store: SqlStore; repo: TriggersRepo }> {
  const store = await openStore({ url, migrations: TRIGGERS_MIGRATIONS });
  return { store, repo: new TriggersRepo(store.db) };
}

/** Fast timings for tests: retries in milliseconds, short leases. */
export const FAST: Partial<EventSourceMappingsOptions> = {
  retry: { baseMs: 5, maxMs: 20 },
  idlePollMs: 20,
  scanIntervalMs: 40,
  leaseMs: 600,
  log: () => undefined,
};

export function newMappings(
  repo: TriggersRepo,
  source: ArrayStreamSource,
  invoker: Invoker,
  extra: Partial<EventSourceMappingsOptions> & { failures?: Array<{ dest: string; record: StreamFailureRecord }> } = {},
): EventSourceMappings {
  const failures = extra.failures;
  return new EventSourceMappings({
    repo,
    invoker,
    sources: [source],
    ...FAST,
    deliverFailure: failures
      ? async (dest, record) => {
          failures.push({ dest, record });
        }
      : undefined,
    ...extra,
  });
}

/** Waits until `cond` holds (polling); fails with `what` after `ms`. Not a timing assertion: only a bound. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
