/**
 * A table's stream: enabling one makes a new stream (a new label and ARN);
 * disabling closes it, and its records stay readable for 24 hours, as AWS
 * keeps them ("Change data capture for DynamoDB Streams"). Each stream has one
 * shard here: records of every item are in one ordered sequence, which is
 * stricter than AWS's per-item ordering.
 */
import type { DynamoEngine } from './engine';
import type { StreamViewType, TableMeta } from './table';

/** Records older than this are trimmed (AWS: 24 hours). */
export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

/** AWS's label: the creation time, ISO 8601 without the zone (`2026-11-26T21:51:40.123`). */
export function streamLabel(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}

/** The one shard of a stream, named as AWS names shards (`shardId-<20 digits>-<8 hex>`). */
export function shardIdOf(sid: number, createdAt: number): string {
  return `shardId-${String(createdAt).padStart(20, '0')}-${(sid >>> 0).toString(16).padStart(8, '0')}`;
}

/** Enables a new stream on the table (closing any current one) and stores the table's metadata. */
export async function newStream(engine: DynamoEngine, meta: TableMeta, viewType: StreamViewType): Promise<TableMeta> {
  // Labels must differ between a table's streams; two within a millisecond would collide.
  let now = Date.now();
  const previous = await engine.store.listStreams(meta.storeId);
  const latest = previous.reduce((m, s) => Math.max(m, s.createdAt), 0);
  if (now <= latest) now = latest + 1;
  const label = streamLabel(now);
  const arn = `${meta.arn}/stream/${label}`;
  const row = await engine.store.createStream(meta.storeId, arn, JSON.stringify({ table: meta.name, tableArn: meta.arn, viewType, keySchema: meta.key }), now);
  const next: TableMeta = { ...meta, stream: { viewType, label, arn, sid: row.sid } };
  await engine.store.updateTable(meta.name, () => JSON.stringify(next));
  engine.remember(next);
  return next;
}

export async function disableStream(engine: DynamoEngine, meta: TableMeta): Promise<TableMeta> {
  await engine.store.disableStreams(meta.storeId, Date.now());
  const next: TableMeta = { ...meta, stream: null };
  await engine.store.updateTable(meta.name, () => JSON.stringify(next));
  engine.remember(next);
  return next;
}
