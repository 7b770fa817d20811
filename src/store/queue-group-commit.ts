/**
 * Group commit for the work queue on SQLite.
 *
 * SQLite has one writer and, with synchronous=FULL, every COMMIT waits for an
 * fsync (milliseconds on many disks). Run one transaction per enqueue, claim
 * or complete and a busy node is capped at one fsync per operation. Here
 * operations issued in the same event-loop turn share a transaction: the
 * first schedules a flush for the next turn (setImmediate), later ones join
 * it, and each resolves only after that COMMIT, so "resolved means committed"
 * holds for each. Under load the batches form by themselves: while one commit
 * blocks the loop, the callers that will write next pile up behind it.
 *
 * PostgreSQL does not need this: its connections commit concurrently and the
 * server groups their WAL flushes itself.
 *
 * A statement that fails dooms the shared transaction (db.ts: a failed
 * statement forbids COMMIT), so after a failed batch every operation runs
 * again in a transaction of its own and only the one at fault fails.
 */
import type { Db, Tx } from './db';

interface Op {
  fn: (t: Tx) => Promise<unknown>;
  /** Lease bookkeeping (see TxOptions.relaxed); a batch is relaxed only if all its operations are. */
  relaxed: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Keeps each shared transaction short: other store calls wait while it runs. */
const MAX_OPS_PER_COMMIT = 256;

export class GroupCommit {
  private pending: Op[] = [];
  private scheduled = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly db: Db) {}

  /** Runs `fn` in a transaction shared with other operations of this turn; resolves after COMMIT. */
  run<T>(fn: (t: Tx) => Promise<T>, relaxed = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, relaxed, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Waits until every operation handed in so far has committed or failed (before closing the Db). */
  async drain(): Promise<void> {
    while (this.scheduled || this.inflight.size > 0) {
      if (this.scheduled) await new Promise<void>((r) => setImmediate(r));
      await Promise.allSettled([...this.inflight]);
    }
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const p = this.commit(this.pending.splice(0, MAX_OPS_PER_COMMIT));
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
  }

  private async commit(batch: Op[]): Promise<void> {
    if (batch.length === 1) {
      const op = batch[0];
      await this.db.tx(op.fn, { relaxed: op.relaxed }).then(op.resolve, op.reject);
      return;
    }
    const relaxed = batch.every((op) => op.relaxed);
    let results: unknown[];
    try {
      results = await this.db.tx(async (t) => {
        const out: unknown[] = [];
        for (const op of batch) out.push(await op.fn(t));
        return out;
      }, { relaxed });
    } catch {
      // Someone's statement (or the COMMIT) failed; nothing of the batch was kept.
      await Promise.all(batch.map((op) => this.db.tx(op.fn, { relaxed: op.relaxed }).then(op.resolve, op.reject)));
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
  }
}
