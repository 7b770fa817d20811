/** Shared bits of the DynamoDB unit tests (pure modules, no server). */
import assert from 'node:assert/strict';
import { isServiceError } from '../../../../src/aws';

/** Asserts that `fn` throws a ServiceError with this code and exact message. */
export function throwsMessage(fn: () => unknown, message: string, code = 'ValidationException'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isServiceError(e), `expected a ServiceError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

/** A small seeded PRNG (mulberry32), so property tests are repeatable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
