/**
 * `stream` events (DynamoDB Streams and Kinesis) -> event source mapping definitions.
 * Shapes, limits and defaults follow the framework v3's schema and compiler
 * (lib/plugins/aws/package/compile/events/stream.js) and AWS's
 * CreateEventSourceMapping limits for what the framework leaves to AWS:
 * - `stream: arn:aws:dynamodb:...` (the type comes from the ARN's service part), or an
 *   object with `arn` (an ARN string, or an intrinsic: then `type` is required);
 * - BatchSize 10 when unset: the framework always sends `BatchSize: 10` (AWS's own
 *   default, 100, never applies to a serverless.yml stream event);
 * - StartingPosition TRIM_HORIZON, Enabled true (the framework's defaults);
 * - the rest are AWS's defaults: MaximumRetryAttempts -1 and MaximumRecordAgeInSeconds
 *   -1 (until the record expires), ParallelizationFactor 1, no batching window.
 * The ARN and the failure destination may stay unresolved intrinsics (compile.ts
 * resolves what it can; the rest needs deployed resources).
 */
import { type DefinitionContext, isIntrinsic, isPlainObject, type KeyPath, keyPathString } from './context';
import { checkKeys } from './keys';
import { STREAM_EVENT_KEYS } from './schema';
import { readInteger } from './values';

export interface StreamEventDefinition {
  /** Key path of the event, e.g. `functions.onUser.events[0].stream`. */
  keys: KeyPath;
  /** As written: an ARN string or an intrinsic (an object). */
  arn: unknown;
  /** Where `arn` is, for messages. */
  arnKeys: KeyPath;
  kind: 'dynamodb' | 'kinesis';
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  startingPositionTimestamp: number | null;
  enabled: boolean;
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  maximumRecordAgeInSeconds: number;
  parallelizationFactor: number;
  functionResponseTypes: string[];
  filterPatterns: Record<string, unknown>[];
  /** As written: an ARN string, an intrinsic, or null. */
  onFailure: unknown;
  tumblingWindowInSeconds: number;
}

/** The framework's BatchSize when the event sets none (stream.js: `let BatchSize = 10`). */
export const STREAM_DEFAULT_BATCH_SIZE = 10;
const STARTING_POSITIONS = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const;

/** The service part of an ARN (`arn:aws:dynamodb:...` -> `dynamodb`), as the framework reads the stream type. */
function arnService(arn: string): string {
  return arn.split(':')[2] ?? '';
}

function readKind(ctx: DefinitionContext, keys: KeyPath, raw: unknown): 'dynamodb' | 'kinesis' {
  if (raw !== 'dynamodb' && raw !== 'kinesis') ctx.invalid(keys, 'must be dynamodb or kinesis', { value: raw });
  return raw;
}

function readBoolean(ctx: DefinitionContext, keys: KeyPath, raw: unknown, fallback: boolean): boolean {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'boolean') ctx.invalid(keys, 'must be true or false', { value: raw });
  return raw;
}

function optionalInteger(ctx: DefinitionContext, keys: KeyPath, raw: unknown, min: number, max: number, fallback: number): number {
  return raw === undefined || raw === null ? fallback : readInteger(ctx, keys, raw, min, max);
}

export function readStreamEvent(ctx: DefinitionContext, keys: KeyPath, raw: unknown): StreamEventDefinition {
  const base = {
    keys,
    batchSize: STREAM_DEFAULT_BATCH_SIZE,
    maximumBatchingWindowInSeconds: 0,
    startingPosition: 'TRIM_HORIZON' as const,
    startingPositionTimestamp: null,
    enabled: true,
    maximumRetryAttempts: -1,
    bisectBatchOnFunctionError: false,
    maximumRecordAgeInSeconds: -1,
    parallelizationFactor: 1,
    functionResponseTypes: [],
    filterPatterns: [],
    onFailure: null,
    tumblingWindowInSeconds: 0,
  };
  if (typeof raw === 'string') {
    if (!raw.startsWith('arn:')) ctx.invalid(keys, 'must be a stream ARN (arn:aws:dynamodb:... or arn:aws:kinesis:...) or an object with arn', { value: raw });
    const service = arnService(raw);
    if (service !== 'dynamodb' && service !== 'kinesis') ctx.invalid(keys, 'must be a DynamoDB or Kinesis stream ARN', { value: raw });
    return { ...base, arn: raw, arnKeys: keys, kind: service };
  }
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a stream ARN or an object with arn (and type)', { value: raw });
  checkKeys(ctx, keys, raw, STREAM_EVENT_KEYS);
  const k = (name: string): KeyPath => [...keys, name];

  let kind: 'dynamodb' | 'kinesis';
  const arn = raw.arn;
  if (arn === undefined || arn === null) ctx.invalid(k('arn'), 'is required');
  if (typeof arn === 'string') {
    if (!arn.startsWith('arn:')) ctx.invalid(k('arn'), 'must be an ARN or a CloudFormation intrinsic (e.g. !GetAtt UsersTable.StreamArn)', { value: arn });
    if (raw.type === undefined || raw.type === null) {
      const service = arnService(arn);
      if (service !== 'dynamodb' && service !== 'kinesis') ctx.invalid(k('arn'), 'must be a DynamoDB or Kinesis stream ARN', { value: arn });
      kind = service;
    } else kind = readKind(ctx, k('type'), raw.type);
  } else if (isIntrinsic(arn)) {
    // The framework's schema: an intrinsic arn requires type (it cannot read the ARN).
    if (raw.type === undefined || raw.type === null) ctx.invalid(k('type'), 'is required when arn is a CloudFormation intrinsic (dynamodb or kinesis)');
    kind = readKind(ctx, k('type'), raw.type);
  } else {
    ctx.invalid(k('arn'), 'must be an ARN or a CloudFormation intrinsic (e.g. !GetAtt UsersTable.StreamArn)', { value: arn });
  }

  let startingPosition: StreamEventDefinition['startingPosition'] = 'TRIM_HORIZON';
  if (raw.startingPosition !== undefined && raw.startingPosition !== null) {
    if (!STARTING_POSITIONS.includes(raw.startingPosition as never)) ctx.invalid(k('startingPosition'), `must be one of ${STARTING_POSITIONS.join(', ')}`, { value: raw.startingPosition });
    startingPosition = raw.startingPosition as StreamEventDefinition['startingPosition'];
  }
  let startingPositionTimestamp: number | null = null;
  if (raw.startingPositionTimestamp !== undefined && raw.startingPositionTimestamp !== null) {
    if (typeof raw.startingPositionTimestamp !== 'number' || !Number.isFinite(raw.startingPositionTimestamp) || raw.startingPositionTimestamp < 0) {
      ctx.invalid(k('startingPositionTimestamp'), 'must be a Unix time in seconds', { value: raw.startingPositionTimestamp });
    }
    startingPositionTimestamp = raw.startingPositionTimestamp;
  }
  if (startingPosition === 'AT_TIMESTAMP') {
    // AWS: AT_TIMESTAMP is "supported only for Amazon Kinesis streams, Amazon DocumentDB, Amazon MSK, and self-managed Apache Kafka".
    if (kind === 'dynamodb') ctx.invalid(k('startingPosition'), 'AT_TIMESTAMP is supported for Kinesis streams only, not DynamoDB streams (use TRIM_HORIZON or LATEST)');
    if (startingPositionTimestamp === null) ctx.invalid(k('startingPositionTimestamp'), 'is required when startingPosition is AT_TIMESTAMP');
  } else if (startingPositionTimestamp !== null) {
    ctx.warn(`${keyPathString(k('startingPositionTimestamp'))} is ignored unless startingPosition is AT_TIMESTAMP`);
    startingPositionTimestamp = null;
  }

  const maximumRecordAgeInSeconds = optionalInteger(ctx, k('maximumRecordAgeInSeconds'), raw.maximumRecordAgeInSeconds, -1, 604800, -1);
  if (maximumRecordAgeInSeconds !== -1 && maximumRecordAgeInSeconds < 60) {
    ctx.invalid(k('maximumRecordAgeInSeconds'), 'must be -1 (no limit) or an integer between 60 and 604800', { value: raw.maximumRecordAgeInSeconds });
  }

  const functionResponseTypes: string[] = [];
  if (raw.functionResponseType !== undefined && raw.functionResponseType !== null) {
    if (raw.functionResponseType !== 'ReportBatchItemFailures') ctx.invalid(k('functionResponseType'), 'must be ReportBatchItemFailures', { value: raw.functionResponseType });
    functionResponseTypes.push('ReportBatchItemFailures');
  }

  let filterPatterns: Record<string, unknown>[] = [];
  if (raw.filterPatterns !== undefined && raw.filterPatterns !== null) {
    if (!Array.isArray(raw.filterPatterns) || raw.filterPatterns.some((p) => !isPlainObject(p))) {
      ctx.invalid(k('filterPatterns'), 'must be a list of filter patterns (mappings such as { eventName: [INSERT] })', { value: raw.filterPatterns });
    }
    filterPatterns = raw.filterPatterns as Record<string, unknown>[];
  }

  if (raw.consumer !== undefined && raw.consumer !== null && kind === 'kinesis') {
    // Enhanced fan-out only changes throughput; records arrive the same way.
    ctx.warn(`${keyPathString(k('consumer'))} (enhanced fan-out) is not supported yet and is ignored; the stream is read directly`);
  }

  return {
    keys,
    arn,
    arnKeys: k('arn'),
    kind,
    batchSize: optionalInteger(ctx, k('batchSize'), raw.batchSize, 1, 10000, STREAM_DEFAULT_BATCH_SIZE),
    maximumBatchingWindowInSeconds: optionalInteger(ctx, k('batchWindow'), raw.batchWindow, 0, 300, 0),
    startingPosition,
    startingPositionTimestamp,
    enabled: readBoolean(ctx, k('enabled'), raw.enabled, true),
    maximumRetryAttempts: optionalInteger(ctx, k('maximumRetryAttempts'), raw.maximumRetryAttempts, -1, 10000, -1),
    bisectBatchOnFunctionError: readBoolean(ctx, k('bisectBatchOnFunctionError'), raw.bisectBatchOnFunctionError, false),
    maximumRecordAgeInSeconds,
    parallelizationFactor: optionalInteger(ctx, k('parallelizationFactor'), raw.parallelizationFactor, 1, 10, 1),
    functionResponseTypes,
    filterPatterns,
    onFailure: readOnFailure(ctx, k('destinations'), raw.destinations),
    tumblingWindowInSeconds: optionalInteger(ctx, k('tumblingWindowInSeconds'), raw.tumblingWindowInSeconds, 0, 900, 0),
  };
}

/** `destinations: { onFailure }`: an SQS queue or SNS topic ARN, an intrinsic with `type`, or `{ arn, type }`. */
function readOnFailure(ctx: DefinitionContext, keys: KeyPath, raw: unknown): unknown {
  if (raw === undefined || raw === null) return null;
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a mapping with onFailure', { value: raw });
  for (const key of Object.keys(raw)) if (key !== 'onFailure') ctx.warn(`${keyPathString([...keys, key])} is not a Serverless Framework v3 option and is ignored`);
  const k = [...keys, 'onFailure'];
  const target = raw.onFailure;
  if (target === undefined || target === null) ctx.invalid(k, 'is required');
  const checkArn = (arnKeys: KeyPath, arn: string): void => {
    const service = arnService(arn);
    if (!arn.startsWith('arn:') || (service !== 'sqs' && service !== 'sns')) ctx.invalid(arnKeys, 'must be the ARN of an SQS queue or SNS topic', { value: arn });
  };
  if (typeof target === 'string') {
    checkArn(k, target);
    return target;
  }
  if (isIntrinsic(target)) return target;
  if (!isPlainObject(target)) ctx.invalid(k, 'must be an ARN or a mapping with arn (and type)', { value: target });
  for (const key of Object.keys(target)) if (key !== 'arn' && key !== 'type') ctx.warn(`${keyPathString([...k, key])} is not a Serverless Framework v3 option and is ignored`);
  if (target.type !== undefined && target.type !== null && target.type !== 'sns' && target.type !== 'sqs') ctx.invalid([...k, 'type'], 'must be sns or sqs', { value: target.type });
  if (typeof target.arn === 'string') {
    checkArn([...k, 'arn'], target.arn);
    return target.arn;
  }
  if (isIntrinsic(target.arn)) {
    if (target.type === undefined || target.type === null) ctx.invalid([...k, 'type'], 'is required when arn is a CloudFormation intrinsic (sns or sqs)');
    return target.arn;
  }
  return ctx.invalid([...k, 'arn'], target.arn === undefined ? 'is required' : 'must be an ARN or a CloudFormation intrinsic', target.arn === undefined ? undefined : { value: target.arn });
}
