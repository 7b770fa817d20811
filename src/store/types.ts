/**
 * The store: the only layer that knows SQL or files. Async from day one so that
 * SQLite (default, embedded) and PostgreSQL (scale-out) sit behind the same
 * interface; one conformance suite (test/store/) runs against every backend.
 */
import type { Stack } from '../app/stack';

export type StoreKind = 'sqlite' | 'postgres';

/** A deployed app: its compiled Stack and where its code lives. */
export interface AppRecord {
  /** `<service>-<stage>`, unique. */
  name: string;
  stack: Stack;
  /** Monotonic per app, starting at 1; bumped on every deploy. */
  version: number;
  deployedAt: number; // epoch ms
}

/** A deployed function, as the runtime needs it. */
export interface FunctionRecord {
  name: string;
  appName: string;
  spec: Stack['functions'][number];
  /** Bumped whenever code or configuration changes; instances of older versions are retired. */
  version: number;
  updatedAt: number; // epoch ms
}

export type InvocationOutcome = 'success' | 'error' | 'timeout' | 'crash' | 'throttle';

/** One metered invocation (observe/ writes these in batches). */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  /** Epoch ms when the invocation started (or was throttled). */
  startedAt: number;
  durationMs: number;
  billedDurationMs: number;
  /** Init duration of the instance when this was a cold start, else null. */
  initDurationMs: number | null;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  cold: boolean;
  outcome: InvocationOutcome;
  /** How it came in: `http`, `httpApi`, `lambda`, `cli`, ... */
  source: string;
  traceId: string | null;
}

export interface LogRecord {
  /** Assigned by the store on insert; strictly increasing per store. */
  id?: number;
  functionName: string;
  requestId: string | null;
  /** Epoch ms. */
  ts: number;
  stream: 'stdout' | 'stderr' | 'platform';
  message: string;
}

export interface LogQuery {
  functionName?: string;
  requestId?: string;
  /** Only records with id > afterId (for tailing). */
  afterId?: number;
  /** Only records with ts >= since (epoch ms). */
  since?: number;
  /** Most recent `limit` records matching (returned oldest first). Default 1000. */
  limit?: number;
}

export interface InvocationQuery {
  functionName?: string;
  since?: number;
  limit?: number;
}

export interface FunctionStats {
  functionName: string;
  invocations: number; // all but throttles
  errors: number; // error + timeout + crash
  throttles: number;
  coldStarts: number;
  p50DurationMs: number | null;
  p99DurationMs: number | null;
  /** Sum over invocations of billedDurationMs/1000 * memorySizeMb/1024. */
  gbSeconds: number;
}

export interface Store {
  readonly kind: StoreKind;
  /** Human-readable location (file path or URL without password). */
  readonly location: string;

  apps: {
    put(app: AppRecord): Promise<void>; // upsert by name
    get(name: string): Promise<AppRecord | null>;
    list(): Promise<AppRecord[]>; // ordered by name
    delete(name: string): Promise<boolean>;
  };

  functions: {
    put(fn: FunctionRecord): Promise<void>; // upsert by name
    get(name: string): Promise<FunctionRecord | null>;
    list(appName?: string): Promise<FunctionRecord[]>; // ordered by name
    delete(name: string): Promise<boolean>;
  };

  invocations: {
    /** One transaction for the whole batch. */
    insertMany(records: InvocationRecord[]): Promise<void>;
    list(q: InvocationQuery): Promise<InvocationRecord[]>; // newest first
    stats(functionName?: string, since?: number): Promise<FunctionStats[]>; // one per function, ordered by name
  };

  logs: {
    /** One transaction for the whole batch; assigns ids in order. */
    appendMany(records: LogRecord[]): Promise<void>;
    query(q: LogQuery): Promise<LogRecord[]>; // oldest first
  };

  close(): Promise<void>;
}

/** What opens a store: a SQLite file path / data dir, or a postgres:// URL. */
export interface StoreOptions {
  /** `postgres://...` / `postgresql://...` selects PostgreSQL; anything else is a SQLite file path. */
  url: string;
}
