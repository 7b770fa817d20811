/** Small helpers shared by the repositories. */

/** Default number of rows a list or query returns when the caller gives no limit. */
export const DEFAULT_LIMIT = 1000;

/** Plain code-unit order, identical on every backend and database locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A caller's limit as a non-negative integer; absent or non-finite means the default. */
export function normalizeLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.max(0, Math.floor(limit));
}
