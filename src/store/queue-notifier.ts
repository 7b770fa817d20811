/**
 * Wake-ups for idle queue pollers (WorkQueue.onEnqueued).
 *
 * In-process, the repository calls `notify(queue)` after an enqueue or release
 * commits, which covers the single-node case on both backends (the same
 * process enqueues and polls). On PostgreSQL it also hands the queue to
 * `PgNotifyPublisher`, which sends NOTIFY after that commit, in a statement of
 * its own, at most one in flight per node, the queues of many enqueues in one.
 * (NOTIFY inside the enqueue's own transaction would be simpler, but it takes
 * a database-wide lock through COMMIT, serializing every enqueue of every node:
 * measured here, 16 concurrent enqueuers went 1.5x to 2.5x slower.) Each node's
 * `PgQueueListener` LISTENs on one dedicated connection, opened on the first
 * subscription, and forwards what arrives here. The channel is derived from
 * the schema (QUEUE_CHANNEL_SQL), so stores in different schemas of one
 * database do not wake each other.
 *
 * Notifications are hints: a poller must still claim to find work, and keep a
 * timer for delayed items, lease expiries, a dropped LISTEN connection and
 * other processes writing the same SQLite file.
 */
import { Client } from 'pg';
import type { Queryable } from './db';
import type { PostgresTarget } from './postgres';

export type QueueListener = (queue: string) => void;

/** A source of notifications from other nodes. */
export interface RemoteQueueListener {
  /** Starts listening; calls `wake(queue)` per notification, `wake(null)` when some may have been missed. */
  start(wake: (queue: string | null) => void): void;
  close(): Promise<void>;
}

/**
 * SQL expression naming the NOTIFY channel of the current schema. md5 keeps it
 * a valid identifier under PostgreSQL's 63-byte limit whatever the schema is
 * called; the enqueueing statement and the listener evaluate the same
 * expression on connections with the same search_path.
 */
export const QUEUE_CHANNEL_SQL = "'nimbus_queue_' || md5(current_schema())";

export class QueueNotifier {
  private readonly byQueue = new Map<string, Set<QueueListener>>();
  private readonly any = new Set<QueueListener>();
  private remote: RemoteQueueListener | null = null;
  private closed = false;

  /** `remote` creates the cross-node listener, started lazily on the first subscription. */
  constructor(private readonly makeRemote?: () => RemoteQueueListener) {}

  on(queue: string | null, listener: QueueListener): () => void {
    if (queue === null) this.any.add(listener);
    else {
      let set = this.byQueue.get(queue);
      if (!set) this.byQueue.set(queue, (set = new Set()));
      set.add(listener);
    }
    if (!this.remote && this.makeRemote && !this.closed) {
      this.remote = this.makeRemote();
      this.remote.start((q) => (q === null ? this.notifyAll() : this.notify(q)));
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      if (queue === null) this.any.delete(listener);
      else {
        const set = this.byQueue.get(queue);
        set?.delete(listener);
        if (set && set.size === 0) this.byQueue.delete(queue);
      }
    };
  }

  /** Something was enqueued into (or released back to) `queue`. */
  notify(queue: string): void {
    const set = this.byQueue.get(queue);
    if (set) for (const l of [...set]) call(l, queue);
    for (const l of [...this.any]) call(l, queue);
  }

  /** Notifications may have been lost (listener reconnected): wake everyone. */
  private notifyAll(): void {
    for (const [queue, set] of [...this.byQueue]) for (const l of [...set]) call(l, queue);
    // Listeners on every queue learn of no particular one; the empty name says "look at all of them".
    for (const l of [...this.any]) call(l, '');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.byQueue.clear();
    this.any.clear();
    const r = this.remote;
    this.remote = null;
    await r?.close();
  }
}

/** A listener's bug must not fail the enqueue that happened to wake it. */
function call(l: QueueListener, queue: string): void {
  try {
    l(queue);
  } catch (e) {
    process.emitWarning(`queue listener for ${JSON.stringify(queue)} threw: ${e instanceof Error ? e.message : String(e)}`, 'NimbusQueueWarning');
  }
}

/**
 * Sends NOTIFY for queues that got work, after the commit that gave it to
 * them. Queues named while a NOTIFY is in flight go out together in the next.
 * A failure is ignored: notifications are hints and pollers keep timers.
 */
export class PgNotifyPublisher {
  private readonly queues = new Set<string>();
  private running: Promise<void> | null = null;

  constructor(private readonly db: Queryable) {}

  publish(queue: string): void {
    this.queues.add(queue);
    this.running ??= this.send();
  }

  private async send(): Promise<void> {
    // Let the rest of this turn's enqueues join the first statement.
    await new Promise<void>((r) => setImmediate(r));
    while (this.queues.size > 0) {
      const queues = [...this.queues];
      this.queues.clear();
      try {
        await this.db.run(`SELECT pg_notify(${QUEUE_CHANNEL_SQL}, value) FROM json_array_elements_text(?)`, [JSON.stringify(queues)]);
      } catch {
        // Store closed or unreachable: the pollers' timers cover it.
      }
    }
    this.running = null;
  }

  /** Waits for notifications already queued to be sent. */
  async close(): Promise<void> {
    await this.running;
  }
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/**
 * LISTEN on a dedicated connection (the pool's connections come and go). It
 * reconnects with backoff when the connection drops, and then wakes every
 * subscriber, since notifications sent meanwhile are gone.
 */
export class PgQueueListener implements RemoteQueueListener {
  private client: Client | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private delay = RECONNECT_MIN_MS;
  private wake: (queue: string | null) => void = () => undefined;
  private connecting: Promise<void> | null = null;

  constructor(private readonly target: PostgresTarget) {}

  start(wake: (queue: string | null) => void): void {
    this.wake = wake;
    this.connecting = this.connect(false);
  }

  /** Resolves once the first LISTEN is in place (or failed); for tests. */
  ready(): Promise<void> {
    return this.connecting ?? Promise.resolve();
  }

  private async connect(reconnect: boolean): Promise<void> {
    if (this.closed) return;
    // Same startup options as the store's pool (postgres.ts), so current_schema() agrees.
    const searchPath = this.target.schema ? `-c search_path=${this.target.schema}` : null;
    const options = [this.target.options, searchPath].filter((s): s is string => !!s).join(' ') || undefined;
    const client = new Client({ connectionString: this.target.connectionString, options, application_name: 'nimbus-queue-listener' });
    let failed = false;
    const onFailure = (): void => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', onFailure);
    client.on('end', onFailure);
    client.on('notification', (msg) => {
      if (msg.payload !== undefined) this.wake(msg.payload);
    });
    try {
      await client.connect();
      const row = (await client.query<{ channel: string }>(`SELECT ${QUEUE_CHANNEL_SQL} AS channel`)).rows[0];
      await client.query(`LISTEN "${row.channel.replace(/"/g, '""')}"`);
    } catch {
      onFailure();
      return;
    }
    if (this.closed || failed) {
      failed = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delay = RECONNECT_MIN_MS;
    if (reconnect) this.wake(null);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connecting = this.connect(true);
    }, delay);
    // A pending reconnect alone should not keep the process alive.
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
