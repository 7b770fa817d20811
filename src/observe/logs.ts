/**
 * Function logs: every line an instance prints (and the platform's START / END /
 * REPORT lines) goes to live subscribers at once and to the store in batches.
 */
import type { LogRecord, Store } from '../store/types';
import type { LogStream } from '../runtime/types';
import { BatchWriter } from './batch-writer';

export type LogSubscriber = (rec: LogRecord) => void;

export class LogHub {
  private readonly writer: BatchWriter<LogRecord>;
  private readonly subscribers = new Set<LogSubscriber>();
  /** Per-request capture for `LogType: Tail`, only for requests that asked. */
  private readonly captures = new Map<string, string[]>();

  constructor(store: Store, intervalMs = 100) {
    this.writer = new BatchWriter((batch) => store.logs.appendMany(batch), intervalMs);
  }

  emit(functionName: string, requestId: string | null, stream: LogStream, text: string): void {
    if (text.length === 0) return;
    const rec: LogRecord = { functionName, requestId, ts: Date.now(), stream, message: text.endsWith('\n') ? text.slice(0, -1) : text };
    this.writer.push(rec);
    if (requestId !== null && this.captures.size > 0) this.captures.get(requestId)?.push(text.endsWith('\n') ? text : text + '\n');
    for (const s of this.subscribers) s(rec);
  }

  subscribe(s: LogSubscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  capture(requestId: string): void {
    this.captures.set(requestId, []);
  }

  /** Ends a capture and returns its last `maxBytes` (Lambda's Tail gives the last 4 KB). */
  takeCapture(requestId: string, maxBytes = 4096): string {
    const parts = this.captures.get(requestId);
    this.captures.delete(requestId);
    if (!parts) return '';
    const all = Buffer.from(parts.join(''), 'utf8');
    return all.subarray(Math.max(0, all.length - maxBytes)).toString('utf8');
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
