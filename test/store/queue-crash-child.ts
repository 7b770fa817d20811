/**
 * Child process for the queue's kill -9 test (conformance.ts): opens the store
 * through the compiled open.js, enqueues forever from a few concurrent loops
 * (single items and small batches), and prints `acked <id>` for each item
 * right after its enqueue resolved. The parent SIGKILLs it mid-stream and
 * checks that every printed id is in the store.
 *
 * Usage: node queue-crash-child.js <store url> <queue> <id prefix>
 * (with NIMBUS_QUEUE_CRASH_CHILD=1, so that a test runner that loads every
 * file under test/ does nothing with this one).
 */
import { openStore } from '../../src/store/open';

const LOOPS = 4;

async function main(url: string, queue: string, prefix: string): Promise<void> {
  const store = await openStore({ url });
  process.stdout.write('ready\n');
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      for (let i = 0; ; i++) {
        const id = `${prefix}-${loop}-${i}`;
        if (i % 4 === 3) {
          const ids = [`${id}a`, `${id}b`, `${id}c`];
          await store.queue.enqueueMany(ids.map((x) => ({ queue, payload: `payload ${x}`, id: x })));
          // Stdout to a pipe is synchronous on Linux: the line is out before the next await.
          process.stdout.write(ids.map((x) => `acked ${x}\n`).join(''));
        } else {
          await store.queue.enqueue(queue, `payload ${id}`, { id });
          process.stdout.write(`acked ${id}\n`);
        }
      }
    }),
  );
}

if (require.main === module && process.env.NIMBUS_QUEUE_CRASH_CHILD === '1') {
  const [url, queue, prefix] = process.argv.slice(2);
  main(url, queue, prefix).catch((e: unknown) => {
    process.stderr.write(`queue crash child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
