/**
 * What the Lambda API's operations need from the platform. The operations (one
 * file each, in this folder) speak AWS's shapes; this backend speaks Nimbus'.
 * The composition root (src/platform.ts) implements it over the invoke engine,
 * the runtime and the store, so that this service imports no other layer's
 * internals (DESIGN.md: services call invoke/, nothing else starts instances).
 */
import type { InvokeResult } from '../../invoke/types';
import type {
  CreateMappingInput,
  CreateMappingResult,
  EventSourceMapping,
  MappingQuery,
  UpdateMappingInput,
} from '../../triggers/types';

/** AWS's FunctionConfiguration subset Nimbus can answer truthfully. */
export interface LambdaFunctionInfo {
  name: string;
  arn: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  description: string;
  /** ISO 8601 with milliseconds and +0000, as Lambda formats LastModified. */
  lastModified: string;
  /** Base64 SHA-256 of the deployment package (or of the code directory's listing for apps deployed from a folder). */
  codeSha256: string;
  codeSize: number;
  /** `$LATEST` only, for now. */
  version: string;
  reservedConcurrency: number | null;
  /** The app it was deployed with (`<service>-<stage>`), or null for functions created through the Lambda API. */
  appName: string | null;
}

/** AWS's FunctionEventInvokeConfig (the async invocation settings of a function). */
export interface EventInvokeConfig {
  /** 0..2; null = AWS's default (2). */
  maximumRetryAttempts: number | null;
  /** 60..21600 seconds; null = AWS's default (6 hours). */
  maximumEventAgeInSeconds: number | null;
  /** Destination ARNs (a function ARN for now; queues and topics arrive with those services). */
  onSuccess: string | null;
  onFailure: string | null;
  lastModified: number; // epoch ms
}

export interface CreateFunctionInput {
  name: string;
  runtime: string;
  handler: string;
  /** The deployment package (a zip). */
  zip: Buffer;
  memorySize?: number;
  timeout?: number;
  environment?: Record<string, string>;
  description?: string;
}

export interface AsyncInvokeAccepted {
  requestId: string;
}

/**
 * Event source mappings (triggers/event-source-mappings.ts implements exactly
 * this, so the composition root can hand its EventSourceMappings over as is).
 * Invalid configuration is rejected with a PlatformError `ERR_BAD_REQUEST`
 * whose message is AWS's (the operations answer InvalidParameterValueException).
 */
export interface EventSourceMappingsBackend {
  create(input: CreateMappingInput): Promise<CreateMappingResult>;
  get(uuid: string): Promise<EventSourceMapping | null>;
  list(q: MappingQuery): Promise<EventSourceMapping[]>;
  update(uuid: string, input: UpdateMappingInput): Promise<{ updated: EventSourceMapping } | { conflict: EventSourceMapping } | null>;
  delete(uuid: string): Promise<EventSourceMapping | null>;
}

export interface LambdaBackend {
  readonly region: string;
  readonly accountId: string;

  getFunction(name: string): Promise<LambdaFunctionInfo | null>;
  listFunctions(): Promise<LambdaFunctionInfo[]>;

  /** Synchronous invocation; rejects with InvokeError (not found, throttled, too large). */
  invoke(name: string, payload: Buffer, opts: { tailLogs: boolean; clientContext?: string; traceId?: string }): Promise<InvokeResult>;
  /** `Event` invocation: resolves only once the event is durably stored (then the 202 may be sent). */
  invokeAsync(name: string, payload: Buffer, opts: { traceId?: string }): Promise<AsyncInvokeAccepted>;

  putReservedConcurrency(name: string, value: number): Promise<void>;
  deleteReservedConcurrency(name: string): Promise<void>;
  /** Account limit and what is left unreserved, for AWS's validation of PutFunctionConcurrency. */
  concurrencyLimits(): { accountLimit: number; unreserved: number };

  getEventInvokeConfig(name: string): Promise<EventInvokeConfig | null>;
  putEventInvokeConfig(name: string, cfg: Omit<EventInvokeConfig, 'lastModified'>): Promise<EventInvokeConfig>;

  createFunction(input: CreateFunctionInput): Promise<LambdaFunctionInfo>;
  updateFunctionCode(name: string, zip: Buffer): Promise<LambdaFunctionInfo>;
  deleteFunction(name: string): Promise<boolean>;

  /** Absent on a platform without stream sources: the mapping operations then answer as unsupported. */
  readonly eventSourceMappings?: EventSourceMappingsBackend;
}
