import type { Db, SqlValue } from './db';
import { compareNames, normalizeLimit } from './repo-utils';
import type { FunctionStats, InvocationOutcome, InvocationQuery, InvocationRecord, Store } from './types';

interface InvocationRow {
  request_id: string;
  function_name: string;
  started_at: number;
  duration_ms: number;
  billed_duration_ms: number;
  init_duration_ms: number | null;
  memory_size_mb: number;
  max_memory_used_mb: number;
  cold: number;
  outcome: string;
  source: string;
  trace_id: string | null;
}

interface AggregateRow {
  function_name: string;
  total: number | string;
  throttles: number | string;
  errors: number | string;
  cold_starts: number | string;
  mb_ms: number | string | null;
}

const INSERT_COLUMNS = [
  'request_id',
  'function_name',
  'started_at',
  'duration_ms',
  'billed_duration_ms',
  'init_duration_ms',
  'memory_size_mb',
  'max_memory_used_mb',
  'cold',
  'outcome',
  'source',
  'trace_id',
] as const;
const SELECT_COLUMNS = INSERT_COLUMNS.join(', ');
/** MB x ms -> GB x s: /1024 for MB -> GB, /1000 for ms -> s (AWS's GB-second). */
const MB_MS_PER_GB_S = 1024 * 1000;

/** Classes cannot implement an indexed access type directly. */
type InvocationsApi = Store['invocations'];

export class InvocationsRepo implements InvocationsApi {
  constructor(private readonly db: Db) {}

  async insertMany(records: InvocationRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map((r): SqlValue[] => [
      r.requestId,
      r.functionName,
      r.startedAt,
      r.durationMs,
      r.billedDurationMs,
      r.initDurationMs,
      r.memorySizeMb,
      r.maxMemoryUsedMb,
      r.cold,
      r.outcome,
      r.source,
      r.traceId,
    ]);
    // insertRows runs the whole batch in one transaction.
    await this.db.appendRows('invocations', INSERT_COLUMNS, rows);
  }

  async list(q: InvocationQuery): Promise<InvocationRecord[]> {
    const limit = normalizeLimit(q.limit);
    if (limit === 0) return [];
    const { where, params } = filters(q.functionName, q.since);
    const rows = await this.db.all<InvocationRow>(
      `SELECT ${SELECT_COLUMNS} FROM invocations${where} ORDER BY started_at DESC, id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toInvocation);
  }

  async stats(functionName?: string, since?: number): Promise<FunctionStats[]> {
    const { where, params } = filters(functionName, since);
    const aggregates = await this.db.all<AggregateRow>(
      `SELECT function_name,
         COUNT(*) AS total,
         SUM(CASE WHEN outcome = 'throttle' THEN 1 ELSE 0 END) AS throttles,
         SUM(CASE WHEN outcome IN ('error', 'timeout', 'crash') THEN 1 ELSE 0 END) AS errors,
         SUM(CASE WHEN cold = 1 AND outcome <> 'throttle' THEN 1 ELSE 0 END) AS cold_starts,
         SUM(CASE WHEN outcome <> 'throttle' THEN billed_duration_ms * memory_size_mb ELSE 0 END) AS mb_ms
       FROM invocations${where}
       GROUP BY function_name`,
      params,
    );
    const out: FunctionStats[] = [];
    for (const a of aggregates) {
      const invocations = Number(a.total) - Number(a.throttles);
      out.push({
        functionName: a.function_name,
        invocations,
        errors: Number(a.errors),
        throttles: Number(a.throttles),
        coldStarts: Number(a.cold_starts),
        p50DurationMs: await this.percentile(a.function_name, since, invocations, 50),
        p99DurationMs: await this.percentile(a.function_name, since, invocations, 99),
        // Summing MB x ms and dividing once is exact for integer inputs, where
        // summing per-row fractions would accumulate rounding.
        gbSeconds: Number(a.mb_ms ?? 0) / MB_MS_PER_GB_S,
      });
    }
    return out.sort((x, y) => compareNames(x.functionName, y.functionName));
  }

  /**
   * Nearest-rank percentile (the smallest value with at least p% of values at
   * or below it: rank ceil(p/100 x n)), read with ORDER BY ... LIMIT 1 OFFSET,
   * which both engines run without shipping every duration to us.
   */
  private async percentile(functionName: string, since: number | undefined, n: number, p: number): Promise<number | null> {
    if (n <= 0) return null;
    const rank = Math.max(1, Math.ceil((p * n) / 100)); // integer maths: no 0.99 x n rounding surprises
    const { where, params } = filters(functionName, since);
    const row = await this.db.get<{ duration_ms: number }>(
      `SELECT duration_ms FROM invocations${where} AND outcome <> 'throttle' ORDER BY duration_ms LIMIT 1 OFFSET ?`,
      [...params, rank - 1],
    );
    // Undefined only if rows vanished between the count and this read (retention).
    return row ? Number(row.duration_ms) : null;
  }
}

function filters(functionName: string | undefined, since: number | undefined): { where: string; params: SqlValue[] } {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  if (functionName !== undefined) {
    clauses.push('function_name = ?');
    params.push(functionName);
  }
  if (since !== undefined) {
    clauses.push('started_at >= ?');
    params.push(since);
  }
  // "1 = 1" lets callers append "AND ..." unconditionally.
  return { where: ' WHERE ' + (clauses.length ? clauses.join(' AND ') : '1 = 1'), params };
}

function toInvocation(r: InvocationRow): InvocationRecord {
  return {
    requestId: r.request_id,
    functionName: r.function_name,
    startedAt: Number(r.started_at),
    durationMs: Number(r.duration_ms),
    billedDurationMs: Number(r.billed_duration_ms),
    initDurationMs: r.init_duration_ms === null ? null : Number(r.init_duration_ms),
    memorySizeMb: Number(r.memory_size_mb),
    maxMemoryUsedMb: Number(r.max_memory_used_mb),
    cold: Number(r.cold) === 1,
    outcome: r.outcome as InvocationOutcome,
    source: r.source,
    traceId: r.trace_id,
  };
}
