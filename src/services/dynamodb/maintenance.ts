/**
 * Background duties of the DynamoDB service: deleting expired items (TTL, each
 * with its stream record), trimming stream records past 24 hours, and
 * forgetting transaction tokens past 10 minutes. With several nodes every node
 * sweeps; deletions are re-checked under the item lock, so a race only costs
 * a little duplicate reading.
 */
import type { DynamoEngine } from './engine';
import { STREAM_RETENTION_MS } from './streams';

export interface MaintenanceOptions {
  /** How often expired items are looked for (default 10 s; AWS takes up to a few days). */
  ttlIntervalMs?: number;
  /** How often stream records and tokens are trimmed (default 10 min). */
  trimIntervalMs?: number;
  onError?(e: unknown): void;
  /** Item collection size limit for tables with local indexes (default AWS's 10 GB; tests lower it). */
  itemCollectionLimitBytes?: number;
}

export class DynamoMaintenance {
  private ttlTimer: NodeJS.Timeout | null = null;
  private trimTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly engine: DynamoEngine,
    private readonly opts: MaintenanceOptions = {},
  ) {}

  start(): void {
    this.ttlTimer = setInterval(() => this.run(async () => void (await this.sweepTtl())), this.opts.ttlIntervalMs ?? 10_000);
    this.trimTimer = setInterval(() => this.run(() => this.trim()), this.opts.trimIntervalMs ?? 10 * 60_000);
    this.ttlTimer.unref();
    this.trimTimer.unref();
  }

  private run(job: () => Promise<void>): void {
    if (this.running || this.closed) return;
    this.running = job()
      .catch((e) => (this.opts.onError ?? ((x) => console.error('nimbus: dynamodb maintenance:', x)))(e))
      .finally(() => (this.running = null));
  }

  /** One TTL pass over every table with TTL enabled; returns how many items expired. */
  async sweepTtl(): Promise<number> {
    let n = 0;
    const now = Date.now() / 1000;
    for (const row of await this.engine.store.listTables()) {
      if (this.closed) break;
      const meta = await this.engine.findTable(row.name);
      if (!meta?.ttl?.enabled) continue;
      for (;;) {
        const k = await this.engine.expire(meta, now);
        n += k;
        if (k === 0 || this.closed) break;
      }
    }
    return n;
  }

  async trim(): Promise<void> {
    const now = Date.now();
    await this.engine.store.trimStreams(now - STREAM_RETENTION_MS);
    await this.engine.store.trimTokens(now - 10 * 60_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    if (this.trimTimer) clearInterval(this.trimTimer);
    await this.running;
  }
}
