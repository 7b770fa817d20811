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
import type { Queryable } from './db';
import { toInsertRows } from './queue-repo';
import type { EnqueueInput } from './types';

/** Inserts the items in the caller's transaction `t` (ON CONFLICT (id) DO NOTHING); resolves with their ids, in order. */
export async function enqueueInTx(t: Queryable, items: readonly EnqueueInput[], now = Date.now()): Promise<string[]> {
  if (items.length === 0) return [];
  // The queue's own checks and row values (attempts start at 0).
  const rows = toInsertRows(items, Math.floor(now));
  await t.insertRows(
    'queue_items',
    ['id', 'queue', 'payload', 'attempts', 'enqueued_at', 'available_at'],
    rows.map(([id, queue, payload, enqueuedAt, availableAt]) => [id, queue, payload, 0, enqueuedAt, availableAt]),
    'ON CONFLICT (id) DO NOTHING',
  );
  return rows.map((r) => r[0]);
}
