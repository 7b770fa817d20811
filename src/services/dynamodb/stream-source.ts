/**
 * A table's streams as the event source mappings read them
 * (triggers/ ShardedStreamSource): one shard per stream, records in the
 * shape a function receives them (eventSourceARN added to the stored record).
 */
import type { ShardInfo, ShardedStreamSource, StreamRecord } from '../../triggers/types';
import type { DynamoEngine } from './engine';
import { formatSequence, parseSequence } from './engine';
import { shardIdOf } from './streams';

export function dynamoStreamSource(engine: DynamoEngine): ShardedStreamSource {
  const shardOf = async (arn: string) => {
    const s = await engine.store.getStream(arn);
    return s ? { stream: s, shardId: shardIdOf(s.sid, s.createdAt) } : null;
  };
  return {
    kind: 'dynamodb',
    async listShards(arn): Promise<ShardInfo[] | null> {
      const s = await shardOf(arn);
      if (!s) return null;
      return [{ shardId: s.shardId, parentShardId: null, closed: s.stream.disabledAt !== null }];
    },
    async read(arn, shardId, afterSequence, limit): Promise<StreamRecord[]> {
      const s = await shardOf(arn);
      if (!s || s.shardId !== shardId) return [];
      const after = afterSequence === null ? 0 : (parseSequence(afterSequence) ?? 0);
      const rows = await engine.store.readStream(s.stream.sid, after, limit);
      return rows.map((r) => {
        const data = JSON.parse(r.record) as Record<string, unknown>;
        data.eventSourceARN = arn;
        // Lambda's DynamoDB event spells the identity in lower camel case ("Time to Live: streams").
        const who = data.userIdentity as { PrincipalId?: string; Type?: string } | undefined;
        if (who) data.userIdentity = { type: who.Type, principalId: who.PrincipalId };
        const ddb = data.dynamodb as { SizeBytes?: number };
        return { sequenceNumber: formatSequence(r.seq), approximateArrivalMs: r.createdAt, sizeBytes: ddb.SizeBytes ?? r.record.length, data };
      });
    },
    async latestSequence(arn, shardId): Promise<string | null> {
      const s = await shardOf(arn);
      if (!s || s.shardId !== shardId) return null;
      const b = await engine.store.streamBounds(s.stream.sid);
      return b.last === null ? null : formatSequence(b.last);
    },
    onRecords(arn, listener): () => void {
      return engine.onStreamRecords((a) => {
        if (a === arn) listener();
      });
    },
  };
}
