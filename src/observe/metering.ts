/**
 * Metering: one record per invocation (and per throttle), written in batches.
 * Prices are AWS Lambda's x86 on-demand list prices (us-east-1):
 * https://aws.amazon.com/lambda/pricing/
 */
import type { FunctionStats, InvocationRecord, Store } from '../store/types';
import { BatchWriter } from './batch-writer';

export const PRICE_PER_GB_SECOND = 0.0000166667;
export const PRICE_PER_REQUEST = 0.2 / 1_000_000;

export function awsCost(s: Pick<FunctionStats, 'gbSeconds' | 'invocations'>): number {
  return s.gbSeconds * PRICE_PER_GB_SECOND + s.invocations * PRICE_PER_REQUEST;
}

/** Lambda bills in 1 ms increments, rounding up. */
export function billedMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

export class Meter {
  private readonly writer: BatchWriter<InvocationRecord>;

  constructor(store: Store, intervalMs = 100) {
    this.writer = new BatchWriter((batch) => store.invocations.insertMany(batch), intervalMs);
  }

  record(rec: InvocationRecord): void {
    this.writer.push(rec);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
