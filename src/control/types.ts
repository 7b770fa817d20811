/**
 * The control API's wire shapes (JSON), shared by the server (control/) and its
 * clients (cli/, console/). Changing one of these is changing a public API.
 */
import type { FunctionStats, LogRecord } from '../store/types';

export interface ControlErrorBody {
  error: {
    /** A platform `ERR_*` code, or for invocations that never ran, the Lambda error code (`TooManyRequestsException`, ...). */
    code: string;
    message: string;
    /** The file the error is about (relative to the app directory for uploaded apps). */
    file?: string;
    /** Dotted key path inside that file. */
    key?: string;
    /** Throttles: AWS's `Reason`. */
    reason?: string;
  };
}

export interface HealthReply {
  status: 'ok';
  version: string;
}

export interface RouteInfo {
  /** `http` (REST API, v1 payload) or `httpApi` (HTTP API, v2 payload). */
  kind: string;
  method: string;
  path: string;
  /** Deployed function name. */
  function: string;
}

export interface DeployReply {
  name: string;
  version: number;
  /** Deployed function names. */
  functions: string[];
  routes: RouteInfo[];
  warnings: string[];
  /** Functions whose instances were replaced by this deploy. */
  changed: string[];
  /** Base URL of the HTTP gateway serving the routes. */
  httpUrl: string;
}

export interface AppInfo {
  name: string;
  service: string;
  stage: string;
  region: string;
  version: number;
  /** Epoch ms. */
  deployedAt: number;
  functions: string[];
  routes: RouteInfo[];
}

export interface AppsReply {
  apps: AppInfo[];
  httpUrl: string;
}

export interface InstanceCounts {
  total: number;
  idle: number;
  busy: number;
  provisioned: number;
}

export interface FunctionInfo {
  name: string;
  /** Logical name under `functions:` in the app definition. */
  key: string;
  app: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  reservedConcurrency: number | null;
  provisionedConcurrency: number | null;
  version: number;
  instances: InstanceCounts;
}

export interface FunctionsReply {
  functions: FunctionInfo[];
}

export interface InvokeReply {
  requestId: string;
  /** Always 200 for invocations that ran (as Lambda's Invoke); failures are in functionError. */
  statusCode: 200;
  functionError?: 'Unhandled' | 'Handled';
  /** The function's response payload as text. */
  payload: string;
  /** Last 4 KB of the invocation's log. */
  logTail: string;
}

/** `GET /_nimbus/logs` answers newline-delimited JSON, one of these per line. */
export type LogLine = LogRecord;

export interface FunctionStatsWithCost extends FunctionStats {
  /** What these invocations would cost on AWS Lambda (x86, us-east-1 list prices). */
  costUsd: number;
}

export interface StatsReply {
  functions: FunctionStatsWithCost[];
  /** Sums over every function (percentiles are per function only, so null here). */
  total: FunctionStatsWithCost;
  /** Epoch ms the stats start at, when `since` was given. */
  since: number | null;
}
