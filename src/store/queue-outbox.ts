/**
 * Work-queue items written inside another module's transaction: the
 * transactional outbox. A write that must cause work later (an S3 object
 * change and its event notification) commits its rows and the queue items
 * together, so a crash can lose neither one without the other. The items
 * are plain `queue_items` rows (queue-repo.ts reads and leases them as any
 * other); an id that exists is left alone, as WorkQueue.enqueue does.
 *
 * The writer wakes the queue's pollers itself after its COMMIT (nothing
 * here can: a hint sent before the commit would find nothing to claim).
 */
import { randomUUID } from 'node:crypto';
import { PlatformError } from '../errors';
import type { Queryable } from './db';
import type { EnqueueInput } from './types';

/** As queue-repo.ts: queue names travel as NOTIFY payloads. */
const MAX_QUEUE_NAME = 1024;

/** Inserts the items in the caller's transaction `t` (ON CONFLICT (id) DO NOTHING); resolves with their ids, in order. */
export async function enqueueInTx(t: Queryable, items: readonly EnqueueInput[], now = Date.now()): Promise<string[]> {
  if (items.length === 0) return [];
  const at = Math.floor(now);
  const rows = items.map((i) => {
    if (typeof i.queue !== 'string' || i.queue.length === 0 || i.queue.length > MAX_QUEUE_NAME) {
      throw new PlatformError('ERR_INTERNAL', `invalid queue name ${JSON.stringify(i.queue)}: 1 to ${MAX_QUEUE_NAME} characters`);
    }
    if (typeof i.payload !== 'string') throw new PlatformError('ERR_INTERNAL', `enqueue into ${JSON.stringify(i.queue)}: payload must be a string`);
    const available = i.availableAt === undefined ? at : Math.floor(i.availableAt);
    if (!Number.isFinite(available)) throw new PlatformError('ERR_INTERNAL', `enqueue: availableAt must be a finite number of epoch ms, got ${i.availableAt}`);
    return [i.id ?? randomUUID(), i.queue, i.payload, 0, at, available] as const;
  });
  await t.insertRows('queue_items', ['id', 'queue', 'payload', 'attempts', 'enqueued_at', 'available_at'], rows, 'ON CONFLICT (id) DO NOTHING');
  return rows.map((r) => r[0]);
}
