/**
 * The one internal model every app definition compiles into (serverless.yml now;
 * SAM and CloudFormation resources extend it later). Everything here is plain,
 * JSON-serializable data: the store keeps it and deploys reconcile against it.
 */

export interface Stack {
  /** `service` from serverless.yml. */
  service: string;
  /** The CloudFormation stack name (AWS::StackName): `<service>-<stage>` unless provider.stackName. Absent in stacks stored before it existed. */
  stackName?: string;
  stage: string;
  region: string;
  /** Absolute directory of the app definition; handlers resolve against it. */
  appDir: string;
  /** The definition file, relative to appDir (e.g. `serverless.yml`). */
  definitionFile: string;
  functions: FunctionSpec[];
  /** HTTP routes of every function, REST v1 (`http`) and HTTP API v2 (`httpApi`). */
  routes: HttpRoute[];
  /** provider.httpApi settings that apply to the whole HTTP API. */
  httpApi: { cors: CorsConfig | null };
  /** Non-fatal findings, e.g. keys Nimbus does not support yet (each names the key). */
  warnings: string[];
  /**
   * `resources.Resources`, in declaration order (deploymentOrder() sorts them).
   * Optional because stacks stored before resources existed lack it: read `?? []`.
   * loadApp always sets it.
   */
  resources?: ResourceSpec[];
  /** `resources.Outputs` (same note as resources). */
  outputs?: OutputSpec[];
  /** `stream` events of every function (same note as resources). */
  eventSourceMappings?: EventSourceMappingSpec[];
}

export interface FunctionSpec {
  /** Logical name under `functions:` (e.g. `createUser`). */
  key: string;
  /** Deployed name: `<service>-<stage>-<key>` unless `name:` overrides it. */
  name: string;
  /** e.g. `src/handlers/users.create` (module path relative to appDir, then export name). */
  handler: string;
  /** `nodejs20.x`, `nodejs18.x`, ... or `provided`, `provided.al2`, `provided.al2023`. */
  runtime: string;
  /** MB, 128..10240 (AWS's limits). */
  memorySize: number;
  /** Seconds, 1..900. */
  timeout: number;
  /** provider.environment merged with the function's own (function wins); all values strings. */
  environment: Record<string, string>;
  reservedConcurrency: number | null;
  provisionedConcurrency: number | null;
  /** Absolute directory holding the function's code (LAMBDA_TASK_ROOT). */
  codeDir: string;
  description?: string;
  /**
   * Asynchronous invocation settings (serverless.yml `maximumRetryAttempts`,
   * `maximumEventAge`, `destinations`; or PutFunctionEventInvokeConfig).
   * Absent: AWS's defaults (2 retries, 6 hours, no destinations).
   */
  eventInvoke?: EventInvokeSettings;
  /** Dead-letter target ARN for failed async events (serverless.yml `onError`). */
  deadLetterTarget?: string;
  /**
   * Environment variables whose values need resources' runtime attributes (e.g.
   * `!Ref UsersTable`, `!GetAtt Queue.Arn`): templates resolved at deploy
   * (reconcileResources' resolve()), then merged over `environment`. Absent when none.
   */
  environmentTemplates?: Record<string, JsonValue>;
  /**
   * provider.iam.role.statements / provider.iamRoleStatements (the function's role;
   * kept, not enforced yet). Optional for stacks stored before it existed; loadApp sets it.
   */
  iamStatements?: IamStatement[];
}

export interface EventInvokeSettings {
  /** 0..2; null = AWS's default (2). */
  maximumRetryAttempts: number | null;
  /** 60..21600 s; null = AWS's default (21600). */
  maximumEventAgeInSeconds: number | null;
  /** Destination ARNs (function ARNs for now). */
  onSuccess: string | null;
  onFailure: string | null;
}

export type HttpEventKind = 'http' | 'httpApi';

export interface HttpRoute {
  kind: HttpEventKind;
  /** Upper-case HTTP method, or `ANY`. */
  method: string;
  /**
   * Normalized path with a leading slash and no trailing slash (except `/`),
   * parameters as `{id}`, greedy as `{proxy+}` (last segment only).
   */
  path: string;
  /** Name (deployed) of the function the route invokes. */
  functionName: string;
  /** Per-route CORS for `http` events (`cors: true` or an object); null when off. */
  cors: CorsConfig | null;
  /**
   * HTTP API only: this is the `$default` route (`httpApi: '*'`), which method is `ANY`
   * and path `/{proxy+}` but which matches any request no other route matches,
   * including `/`, is tried last, and has routeKey `$default` in events. Absent otherwise.
   */
  isDefaultRoute?: boolean;
}

export interface CorsConfig {
  allowOrigins: string[];
  allowHeaders: string[];
  allowMethods: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  /** Seconds; null = not sent. */
  maxAge: number | null;
}

/** Plain JSON, as CloudFormation templates and resolved resource properties are. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * CloudFormation's DeletionPolicy / UpdateReplacePolicy (the latter has no
 * `RetainExceptOnCreate`). `Snapshot` behaves as `Delete` in Nimbus, with a warning at
 * load: AWS snapshots only a few types (EC2 volumes, ElastiCache, RDS, Redshift),
 * none of which Nimbus provides, and Nimbus has nowhere to keep a snapshot.
 * `RetainExceptOnCreate` behaves as `Retain`.
 */
export type DeletionPolicy = 'Delete' | 'Retain' | 'RetainExceptOnCreate' | 'Snapshot';

/** One entry of `resources.Resources`. */
export interface ResourceSpec {
  logicalId: string;
  /** e.g. `AWS::DynamoDB::Table`. */
  type: string;
  /**
   * `Properties` with everything resolvable at compile time resolved (pseudo
   * parameters, literals, conditions, function ids); what is left needs other
   * resources' runtime attributes (`Ref`, `Fn::GetAtt`, `Fn::Sub` over them).
   */
  properties: JsonValue;
  /** Explicit DependsOn plus the resources `properties` references, deduplicated. */
  dependsOn: string[];
  deletionPolicy: DeletionPolicy;
  updateReplacePolicy: DeletionPolicy;
}

/** One entry of `resources.Outputs`. */
export interface OutputSpec {
  name: string;
  /** A template: may contain intrinsics over resources (resolved at deploy). */
  value: JsonValue;
  description?: string;
  exportName?: JsonValue;
}

/** An IAM policy statement, normalized to lists (kept for later; not enforced yet). */
export interface IamStatement {
  Effect: 'Allow' | 'Deny';
  /** Empty when the statement uses NotAction. */
  Action: string[];
  /** Empty when the statement uses NotResource; entries may be unresolved intrinsics. */
  Resource: JsonValue[];
  NotAction?: string[];
  NotResource?: JsonValue[];
  Condition?: JsonValue;
  Sid?: string;
}

/**
 * A `stream` event: a Lambda event source mapping from a DynamoDB or Kinesis stream,
 * with AWS's defaults applied (CreateEventSourceMapping).
 */
export interface EventSourceMappingSpec {
  /** Deployed name of the function. */
  functionName: string;
  /** The stream ARN, or an unresolved intrinsic (e.g. `Fn::GetAtt: [UsersTable, StreamArn]`). */
  sourceArn: JsonValue;
  kind: 'dynamodb' | 'kinesis';
  /** 1..10000; default 100. */
  batchSize: number;
  /** 0..300 s; default 0. */
  maximumBatchingWindowInSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  /** Unix seconds, AT_TIMESTAMP only. */
  startingPositionTimestamp: number | null;
  enabled: boolean;
  /** -1 (default) retries until the record expires; 0..10000. */
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 (default, infinite) or 60..604800. */
  maximumRecordAgeInSeconds: number;
  /** 1..10; default 1. */
  parallelizationFactor: number;
  /** `['ReportBatchItemFailures']` or empty. */
  functionResponseTypes: string[];
  /** Event filter patterns (each a pattern object). */
  filterPatterns: JsonValue[];
  /** Destination ARN (SQS queue or SNS topic) or an unresolved intrinsic; null = none. */
  onFailure: JsonValue | null;
  /** 0..900 s; 0 = no tumbling windows. */
  tumblingWindowInSeconds: number;
}
