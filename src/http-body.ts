/**
 * Reading a request body with a size cap, shared by every HTTP server of the
 * platform (AWS endpoint, control API, Runtime API). A body over the cap is
 * read to its end and dropped, so the client gets a clean answer rather than a
 * reset; the caller then answers with its own "too large" error.
 */
import type * as http from 'node:http';

/** Resolves with the body, or null when it is larger than `limit` bytes; rejects on a stream error. */
export function readCappedBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}
