/**
 * X-Amzn-Trace-Id handling (X-Ray's format): `Root=1-<8 hex epoch s>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`.
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader
 */
import * as crypto from 'node:crypto';

// Ids are made on every invocation: draw them from a pool of random bytes
// rather than paying a randomBytes call each time.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = crypto.randomBytes(4096);
    poolOffset = 0;
  }
  const s = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return s;
}

export function newTraceRoot(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomHex(12)}`;
}

export function newSegmentId(): string {
  return randomHex(8);
}

/**
 * The trace header for a new hop: keeps the incoming Root (and Sampled), with a
 * fresh Parent segment for this hop; a new Root when none came in.
 */
export function continueTrace(incoming: string | undefined): string {
  let root: string | undefined;
  let sampled = '0';
  let lineage = '';
  if (incoming) {
    for (const part of incoming.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq).trim();
      const v = part.slice(eq + 1).trim();
      if (k === 'Root' && /^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(v)) root = v;
      else if (k === 'Sampled' && (v === '0' || v === '1')) sampled = v;
      else if (k === 'Lineage' && /^[0-9a-z:]{1,64}$/.test(v)) lineage = `;Lineage=${v}`;
    }
  }
  // Lineage counts the invocations a chain of events has caused (recursive loop detection).
  return `Root=${root ?? newTraceRoot()};Parent=${newSegmentId()};Sampled=${sampled}${lineage}`;
}

export function traceRootOf(header: string): string | null {
  const m = /Root=([^;]+)/.exec(header);
  return m ? m[1]! : null;
}

/** AWS stops a recursive loop after about 16 invocations ("Lambda recursive loop detection"). */
export const MAX_LINEAGE = 16;

/** How many event-triggered invocations led to the request carrying this trace header (0 when none). */
export function lineageOf(header: string | undefined): number {
  const m = header ? /(?:^|;)\s*Lineage=(?:[0-9a-z]+:)*(\d+)/.exec(header) : null;
  return m ? Number(m[1]) : 0;
}

/** The trace header of an invocation one event further down a chain (root kept, lineage + 1). */
export function withLineage(header: string | undefined, count: number): string {
  const base = (header ?? '').split(';').filter((p) => p.trim() !== '' && !p.trim().startsWith('Lineage=')).join(';');
  return `${base || `Root=${newTraceRoot()}`};Lineage=nimbus:${count}`;
}
