/**
 * Background duties of the S3 service: temp files of uploads that never
 * finished (a crash mid-upload), blobs no object or part refers to (a crash
 * between writing a blob and committing its row, or before a replaced blob's
 * delayed deletion), and multipart uploads abandoned for longer than
 * `staleUploadMs` (S3 keeps them until a lifecycle rule aborts them; Nimbus
 * aborts them after 7 days by default so the disk does not fill up).
 * Everything younger than an hour is left alone: it may still be in flight.
 */
import type { S3Engine } from './engine';

export interface S3MaintenanceOptions {
  /** How often to sweep (default 10 minutes). */
  intervalMs?: number;
  /** Files and blobs younger than this are never touched (default 1 hour). */
  graceMs?: number;
  /** Multipart uploads older than this are aborted (default 7 days). */
  staleUploadMs?: number;
  onError?(e: unknown): void;
}

export class S3Maintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly engine: S3Engine,
    private readonly opts: S3MaintenanceOptions = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .then(() => undefined)
        .catch((e) => (this.opts.onError ?? ((x) => console.error('nimbus: s3 maintenance:', x)))(e))
        .finally(() => (this.running = null));
    }, this.opts.intervalMs ?? 10 * 60_000);
    this.timer.unref();
  }

  /** One sweep; returns what it removed. */
  async sweep(): Promise<{ tmp: number; orphans: number; uploads: number }> {
    const grace = this.opts.graceMs ?? 60 * 60_000;
    const tmp = await this.engine.blobs.cleanTmp(grace);
    let uploads = 0;
    for (const u of await this.engine.store.staleUploads(Date.now() - (this.opts.staleUploadMs ?? 7 * 24 * 60 * 60_000))) {
      for (const b of (await this.engine.store.deleteUpload(u.uploadId)) ?? []) await this.engine.blobs.delete(b);
      uploads++;
    }
    let orphans = 0;
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      const used = await this.engine.store.referencedBlobIds(batch);
      for (const id of batch) {
        if (!used.has(id)) {
          await this.engine.blobs.delete(id);
          orphans++;
        }
      }
      batch = [];
    };
    for await (const id of this.engine.blobs.listIds({ olderThanMs: grace })) {
      batch.push(id);
      if (batch.length >= 500) await flush();
    }
    if (batch.length > 0) await flush();
    return { tmp, orphans, uploads };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
