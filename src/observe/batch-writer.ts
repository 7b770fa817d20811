/**
 * Collects records off the hot path and writes them in one store call per batch
 * (every `intervalMs`, or sooner when `maxBatch` pile up). Used for logs and
 * metering, which are observations of work already done: losing the last
 * fraction of a second of them in a crash is accepted; user data never goes
 * through here.
 */
export class BatchWriter<T> {
  private buf: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly intervalMs = 100,
    private readonly maxBatch = 1000,
    private readonly onError: (e: unknown) => void = (e) => console.error('nimbus: batch write failed:', e),
  ) {}

  push(rec: T): void {
    this.buf.push(rec);
    if (this.buf.length >= this.maxBatch) this.flushSoon(0);
    else if (!this.timer) this.flushSoon(this.intervalMs);
  }

  private flushSoon(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }

  /** Writes everything pushed so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buf.length > 0) {
      const batch = this.buf;
      this.buf = [];
      this.inflight = this.inflight.then(() => this.write(batch)).catch(this.onError);
    }
    return this.inflight;
  }
}
