/** What the runtime layer needs to know about a function to run instances of it. */
export interface FunctionConfig {
  /** Deployed function name. */
  name: string;
  /** Bumped on every code/config change; instances of older versions are retired. */
  version: number;
  /** `nodejs20.x`... or `provided*`. */
  runtime: string;
  handler: string;
  /** Absolute code directory (LAMBDA_TASK_ROOT). */
  codeDir: string;
  /** Node only: absolute module path to load (TypeScript handlers point at their bundle). */
  modulePath: string;
  /** Node only: dotted export path of the handler. */
  exportPath: string;
  /**
   * Node only: the code may import the AWS SDKs from ES modules without having
   * installed them, so the instance needs the ESM resolve hook (NODE_PATH covers CommonJS).
   */
  esmSdkHook: boolean;
  memorySize: number;
  /** Seconds. */
  timeout: number;
  /** The instance's whole environment (function variables + Lambda's reserved ones). */
  env: Record<string, string>;
  /** `/aws/lambda/<name>` */
  logGroupName: string;
  arn: string;
}

export interface Invocation {
  id: string;
  payload: Buffer | string;
  /** The function's timeout; the deadline starts when the instance starts the invocation. */
  timeoutMs: number;
  traceId: string;
  clientContext?: string;
}

/** `durationMs` runs from when the instance started the invocation to its outcome. */
export type InvocationOutcome =
  | { kind: 'response'; payload: Buffer; maxRssKb: number; durationMs: number }
  /** The function reported an error (Runtime API /error, a throw or a rejection). */
  | { kind: 'error'; payload: Buffer; maxRssKb: number; durationMs: number }
  | { kind: 'timeout'; maxRssKb: number; durationMs: number }
  /** The process died or exceeded its memory: the instance is gone. */
  | { kind: 'crash'; errorType: string; message: string; maxRssKb: number; durationMs: number }
  /** Queued behind another invocation on an instance that died first: never started, run it elsewhere. */
  | { kind: 'requeue' };

export type InstanceState = 'starting' | 'generic' | 'initializing' | 'idle' | 'busy' | 'dead';

/** Why an instance could not initialize, in Lambda's error shape. */
export class InitFailure extends Error {
  constructor(readonly errorType: string, message: string, readonly trace: string[] = []) {
    super(message);
    this.name = 'InitFailure';
  }
}

export type LogStream = 'stdout' | 'stderr' | 'platform';
/** Output of an instance, attributed to the invocation it happened in (null during init). */
export type LogListener = (fn: string, requestId: string | null, stream: LogStream, text: string) => void;
