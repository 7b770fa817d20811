/**
 * Contracts of the event source mappings (ESM) for ordered, sharded streams
 * (DynamoDB Streams now, Kinesis later): what a stream source must offer the
 * pollers, what a mapping is, and what the runtime needs injected. The
 * composition root implements `ShardedStreamSource` per service and wires
 * `EventSourceMappings` (event-source-mappings.ts) to the invoke engine.
 */

/** One record as it goes into the function's event `Records[]` (already in AWS's shape for its source, eventSourceARN included). */
export interface StreamRecord {
  /** Decimal string, increasing within a shard; compared as BigInt (see compareSequence). */
  sequenceNumber: string;
  /** Epoch ms the record reached the stream (MaximumRecordAgeInSeconds is measured from it). */
  approximateArrivalMs: number;
  sizeBytes: number;
  /** The record exactly as the function receives it in `Records[]`. */
  data: Record<string, unknown>;
}

export interface ShardInfo {
  shardId: string;
  parentShardId: string | null;
  /** No more records will be added (closed). */
  closed: boolean;
}

export interface ShardedStreamSource {
  readonly kind: 'dynamodb' | 'kinesis';
  /** null: the stream does not exist (deleted table / disabled stream). */
  listShards(streamArn: string): Promise<ShardInfo[] | null>;
  /** Records with sequence number > afterSequence (null: from the start of retained records), oldest first, at most `limit`. */
  read(streamArn: string, shardId: string, afterSequence: string | null, limit: number): Promise<StreamRecord[]>;
  /** The sequence number of the newest record now (for LATEST), or null if empty. */
  latestSequence(streamArn: string, shardId: string): Promise<string | null>;
  /** Hint: called when new records may be available (so pollers need not busy-poll). Returns unsubscribe. */
  onRecords(streamArn: string, listener: () => void): () => void;
  /**
   * Optional: what filter patterns are matched against (default: `record.data`
   * as is, right for DynamoDB Streams). Kinesis would return the record with
   * its base64 `data` decoded and parsed when it is JSON (see jsonFieldView).
   */
  filterView?(record: StreamRecord): unknown;
}

/** AWS's EventSourceMappingConfiguration.State values. */
export type MappingState = 'Creating' | 'Enabled' | 'Disabled' | 'Enabling' | 'Disabling' | 'Updating' | 'Deleting';

/** Stream sources: TRIM_HORIZON and LATEST; AT_TIMESTAMP is Kinesis-only (AWS's CreateEventSourceMapping reference). */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

export type FunctionResponseType = 'ReportBatchItemFailures';

/** A mapping's configuration and status, in Nimbus' terms (the Lambda API maps it to AWS's shape). */
export interface EventSourceMapping {
  uuid: string;
  /** Unqualified function name (`$LATEST` is the only version). */
  functionName: string;
  functionArn: string;
  eventSourceArn: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition: StartingPosition;
  /** Epoch ms, for AT_TIMESTAMP only; else null. */
  startingPositionTimestamp: number | null;
  state: MappingState;
  /** AWS: `User action` after an API call, or the reason the platform changed the state. */
  stateTransitionReason: string;
  /** -1 = infinite (retry until the record expires). */
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 = infinite. */
  maximumRecordAgeInSeconds: number;
  /** Accepted and reported; Nimbus processes each shard with one batch in flight (as factor 1). */
  parallelizationFactor: number;
  functionResponseTypes: FunctionResponseType[];
  /** FilterCriteria.Filters[].Pattern: JSON strings, at most 5; a record is delivered if any matches. */
  filterPatterns: string[];
  /** DestinationConfig.OnFailure.Destination, or null. */
  onFailureDestination: string | null;
  /** Accepted and reported; tumbling windows are not supported yet (0 = off). */
  tumblingWindowInSeconds: number;
  /** Epoch ms of the last configuration change. */
  lastModified: number;
  /** AWS's wording: `No records processed`, `OK`, `PROBLEM: ...`. */
  lastProcessingResult: string;
}

/** What creating a mapping takes: required members, the rest default as AWS does for stream sources. */
export interface CreateMappingInput {
  functionName: string;
  functionArn: string;
  eventSourceArn: string;
  startingPosition: StartingPosition;
  startingPositionTimestamp?: number | null;
  /** Default true. */
  enabled?: boolean;
  /** Default 100 (DynamoDB Streams and Kinesis). */
  batchSize?: number;
  /** Default 0 for streams. */
  maximumBatchingWindowInSeconds?: number;
  /** Default -1 (infinite). */
  maximumRetryAttempts?: number;
  bisectBatchOnFunctionError?: boolean;
  /** Default -1 (infinite). */
  maximumRecordAgeInSeconds?: number;
  parallelizationFactor?: number;
  functionResponseTypes?: FunctionResponseType[];
  filterPatterns?: string[];
  onFailureDestination?: string | null;
  tumblingWindowInSeconds?: number;
  /** Uuid to use (tests, app reconcile); random otherwise. */
  uuid?: string;
}

/** UpdateEventSourceMapping: members given are replaced; the function may change, the source and starting position may not. */
export interface UpdateMappingInput {
  functionName?: string;
  functionArn?: string;
  enabled?: boolean;
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  maximumRetryAttempts?: number;
  bisectBatchOnFunctionError?: boolean;
  maximumRecordAgeInSeconds?: number;
  parallelizationFactor?: number;
  functionResponseTypes?: FunctionResponseType[];
  /** [] clears the filters. */
  filterPatterns?: string[];
  /** null clears the destination. */
  onFailureDestination?: string | null;
  tumblingWindowInSeconds?: number;
}

export interface MappingQuery {
  functionName?: string;
  eventSourceArn?: string;
}

/** create() either makes the mapping or names the one that already maps this function to this source (AWS: ResourceConflictException). */
export type CreateMappingResult = { created: EventSourceMapping } | { conflict: EventSourceMapping };

/**
 * The invocation record sent to an OnFailure destination when a batch is
 * given up (AWS Lambda developer guide, "Retaining discarded batches for a
 * DynamoDB / Kinesis event source"). `DDBStreamBatchInfo` for DynamoDB,
 * `KinesisBatchInfo` for Kinesis, with the same members.
 */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    /** `RetryAttemptsExhausted`, `RecordAgeExceeded` (AWS's DestinationConfig docs; `EventAgeExceeded` is async-only). */
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  /** ISO 8601 with milliseconds. */
  timestamp: string;
  DDBStreamBatchInfo?: StreamBatchInfo;
  KinesisBatchInfo?: StreamBatchInfo;
}

export interface StreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** ISO 8601 (seconds precision in AWS's samples). */
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

/** Sends a failure record to an OnFailure destination (SQS/SNS/S3/Lambda, wired by the platform). Rejects when it could not be delivered. */
export type DeliverFailure = (destinationArn: string, record: StreamFailureRecord) => Promise<void>;

/** Compares two sequence numbers (decimal strings of any length). */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
