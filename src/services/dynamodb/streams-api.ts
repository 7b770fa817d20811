/**
 * The DynamoDB Streams API (JSON 1.0, `DynamoDBStreams_20120810`, signing
 * name `dynamodb`): ListStreams, DescribeStream, GetShardIterator, GetRecords.
 * Shard iterators are opaque, self-contained and valid 15 minutes, as AWS's.
 */
import { coralAuthErrors, defineOperation, document, int, member, required, str, strEnum, struct, ServiceError, type OperationTable, type ServiceDefinition } from '../../aws';
import type { DocStreamRow } from '../../store/types';
import type { DynamoEngine } from './engine';
import { formatSequence, parseSequence } from './engine';
import { DYNAMODB_NAMESPACE, internalServerError, resourceNotFound, validation } from './errors';
import { keySchemaWire, type KeySchema } from './table';
import { STREAM_RETENTION_MS, shardIdOf, streamLabel } from './streams';

export type StreamsOperation = 'ListStreams' | 'DescribeStream' | 'GetShardIterator' | 'GetRecords';

const ITERATOR_TTL_MS = 15 * 60 * 1000;
const STREAM_ARN = str({ min: 37, max: 1024 });

interface StreamMetaJson {
  table: string;
  viewType: string;
  keySchema: KeySchema;
}

interface Iterator {
  a: string;
  s: string;
  /** Continue after this sequence number (0: from the oldest retained). */
  p: number;
  t: number;
}

function encodeIterator(it: Iterator): string {
  return Buffer.from(JSON.stringify(it)).toString('base64url');
}

function decodeIterator(s: string): Iterator {
  try {
    const it = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Iterator;
    if (typeof it.a === 'string' && typeof it.s === 'string' && typeof it.p === 'number' && typeof it.t === 'number') return it;
  } catch {
    // fall through
  }
  throw validation('Invalid ShardIterator');
}

async function streamOrThrow(engine: DynamoEngine, arn: string): Promise<DocStreamRow> {
  const s = await engine.store.getStream(arn);
  if (!s) throw resourceNotFound(`Requested resource not found: Stream: ${arn} not found`);
  return s;
}

export function dynamoStreamsService(engine: DynamoEngine): ServiceDefinition<StreamsOperation> {
  const operations: OperationTable<StreamsOperation> = {
    ListStreams: defineOperation({
      name: 'ListStreams',
      input: struct({ TableName: member(str({ min: 3, max: 255 })), Limit: member(int({ min: 1, max: 100 })), ExclusiveStartStreamArn: member(STREAM_ARN) }),
      output: struct({ Streams: member(document()), LastEvaluatedStreamArn: member(str()) }),
      handler: async (i) => {
        let rows = await engine.store.listStreams();
        const metas = rows.map((r) => JSON.parse(r.meta) as StreamMetaJson);
        let list = rows.map((r, n) => ({ StreamArn: r.arn, TableName: metas[n].table, StreamLabel: streamLabel(r.createdAt) }));
        if (i.TableName !== undefined) list = list.filter((s) => s.TableName === i.TableName);
        if (i.ExclusiveStartStreamArn !== undefined) {
          const at = list.findIndex((s) => s.StreamArn === i.ExclusiveStartStreamArn);
          list = at >= 0 ? list.slice(at + 1) : list;
        }
        rows = [];
        const limit = i.Limit ?? 100;
        const page = list.slice(0, limit);
        return list.length > limit ? { Streams: page as never, LastEvaluatedStreamArn: page[page.length - 1].StreamArn } : { Streams: page as never };
      },
    }),
    DescribeStream: defineOperation({
      name: 'DescribeStream',
      input: struct({ StreamArn: required(STREAM_ARN), Limit: member(int({ min: 1, max: 100 })), ExclusiveStartShardId: member(str({ min: 28, max: 65 })) }),
      output: struct({ StreamDescription: member(document()) }),
      handler: async (i) => {
        const s = await streamOrThrow(engine, i.StreamArn);
        const meta = JSON.parse(s.meta) as StreamMetaJson;
        const shardId = shardIdOf(s.sid, s.createdAt);
        const bounds = await engine.store.streamBounds(s.sid);
        const range: Record<string, string> = { StartingSequenceNumber: formatSequence(bounds.first ?? s.lastSeq + 1) };
        if (s.disabledAt !== null) range.EndingSequenceNumber = formatSequence(s.lastSeq);
        const shards = i.ExclusiveStartShardId === shardId ? [] : [{ ShardId: shardId, SequenceNumberRange: range }];
        return {
          StreamDescription: {
            StreamArn: s.arn,
            StreamLabel: streamLabel(s.createdAt),
            StreamStatus: s.disabledAt === null ? 'ENABLED' : 'DISABLED',
            StreamViewType: meta.viewType,
            CreationRequestDateTime: s.createdAt / 1000,
            TableName: meta.table,
            KeySchema: keySchemaWire(meta.keySchema),
            Shards: shards,
          } as never,
        };
      },
    }),
    GetShardIterator: defineOperation({
      name: 'GetShardIterator',
      input: struct({
        StreamArn: required(STREAM_ARN),
        ShardId: required(str({ min: 28, max: 65 })),
        ShardIteratorType: required(strEnum(['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'])),
        SequenceNumber: member(str({ min: 21, max: 40 })),
      }),
      output: struct({ ShardIterator: member(str()) }),
      handler: async (i) => {
        const s = await streamOrThrow(engine, i.StreamArn);
        if (i.ShardId !== shardIdOf(s.sid, s.createdAt)) throw resourceNotFound(`Requested resource not found: Shard does not exist`);
        let p: number;
        switch (i.ShardIteratorType) {
          case 'TRIM_HORIZON':
            p = 0;
            break;
          case 'LATEST':
            p = s.lastSeq;
            break;
          default: {
            if (i.SequenceNumber === undefined) throw validation('Must specify SequenceNumber for ShardIteratorType: ' + i.ShardIteratorType);
            const n = parseSequence(i.SequenceNumber);
            if (n === null || n > s.lastSeq) throw validation(`Invalid SequenceNumber ${i.SequenceNumber} for shard ${i.ShardId}`);
            p = i.ShardIteratorType === 'AT_SEQUENCE_NUMBER' ? n - 1 : n;
          }
        }
        return { ShardIterator: encodeIterator({ a: s.arn, s: i.ShardId, p, t: Date.now() }) };
      },
    }),
    GetRecords: defineOperation({
      name: 'GetRecords',
      input: struct({ ShardIterator: required(str({ min: 1, max: 2048 })), Limit: member(int({ min: 1, max: 1000 })) }),
      output: struct({ Records: member(document()), NextShardIterator: member(str()) }),
      handler: async (i) => {
        const it = decodeIterator(i.ShardIterator);
        if (Date.now() - it.t > ITERATOR_TTL_MS) {
          throw new ServiceError('ExpiredIteratorException', 400, 'Iterator expired. The iterator was created at time ' + new Date(it.t).toUTCString() + ' while right now it is ' + new Date().toUTCString() + ' which is further in the future than the tolerated delay of 900000 milliseconds.');
        }
        const s = await streamOrThrow(engine, it.a);
        const rows = await engine.store.readStream(s.sid, it.p, i.Limit ?? 1000);
        // Records older than the retention are gone (trimmed); a reader behind them
        // continues from the oldest retained, as TRIM_HORIZON would.
        const records = rows.filter((r) => r.createdAt >= Date.now() - STREAM_RETENTION_MS).map((r) => JSON.parse(r.record) as unknown);
        const last = rows.length > 0 ? rows[rows.length - 1].seq : it.p;
        const closedAndRead = s.disabledAt !== null && last >= s.lastSeq;
        const out: { Records: never; NextShardIterator?: string } = { Records: records as never };
        if (!closedAndRead) out.NextShardIterator = encodeIterator({ a: it.a, s: it.s, p: last, t: Date.now() });
        return out;
      },
    }),
  };
  return {
    signingName: 'dynamodb',
    protocol: 'awsJson1_0',
    targetPrefix: 'DynamoDBStreams_20120810',
    errorNamespace: DYNAMODB_NAMESPACE,
    maxBodyBytes: 1024 * 1024,
    operations,
    authErrors: coralAuthErrors({ status: 400, missingMessage: 'Request is missing Authentication Token', detailedMismatch: true }),
    internalError: () => internalServerError(),
  };
}
