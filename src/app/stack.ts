/**
 * The one internal model every app definition compiles into (serverless.yml now;
 * SAM and CloudFormation resources extend it later). Everything here is plain,
 * JSON-serializable data: the store keeps it and deploys reconcile against it.
 */

export interface Stack {
  /** `service` from serverless.yml. */
  service: string;
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
