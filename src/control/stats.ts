/** `GET /_nimbus/stats`: per-function invocation statistics and what they would cost on AWS. */
import { awsCost } from '../observe/metering';
import type { ControlHost } from './host';
import { timeParam } from './http';
import { resolveFunctionName } from './functions';
import type { FunctionStatsWithCost, StatsReply } from './types';

export async function getStats(host: ControlHost, q: URLSearchParams): Promise<StatsReply> {
  const fnParam = q.get('function') || undefined;
  const since = timeParam(q, 'since');
  const functionName = fnParam === undefined ? undefined : await resolveFunctionName(host, fnParam);
  // Metering is written in batches: include the invocations that just happened.
  await host.meter.flush();
  const stats = await host.store.invocations.stats(functionName, since);
  const functions: FunctionStatsWithCost[] = stats.map((s) => ({ ...s, costUsd: awsCost(s) }));
  const total: FunctionStatsWithCost = {
    functionName: '(total)',
    invocations: 0,
    errors: 0,
    throttles: 0,
    coldStarts: 0,
    p50DurationMs: null,
    p99DurationMs: null,
    gbSeconds: 0,
    costUsd: 0,
  };
  for (const s of functions) {
    total.invocations += s.invocations;
    total.errors += s.errors;
    total.throttles += s.throttles;
    total.coldStarts += s.coldStarts;
    total.gbSeconds += s.gbSeconds;
  }
  total.costUsd = awsCost(total);
  return { functions, total, since: since ?? null };
}
