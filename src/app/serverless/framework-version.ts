/**
 * Whether a `frameworkVersion` range can admit a 3.x version. A small reading of npm
 * semver ranges (`3`, `^3.0.0`, `~3.2`, `>=2.0.0 <4.0.0`, `3.x`, `2 || 3`): each
 * comparator bounds the major version. Returns null when the range is not understood.
 */
export function admitsMajor(range: string, major: number): boolean | null {
  const alternatives = range.split('||');
  let understood = true;
  for (const alt of alternatives) {
    const comparators = alt.trim().split(/\s+/).filter(Boolean);
    if (comparators.length === 0) return true;
    let lo = -Infinity;
    let hi = Infinity;
    for (const c of comparators) {
      const m = /^(>=|<=|>|<|=|\^|~)?v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(?:[-+].*)?$/.exec(c);
      if (!m) {
        understood = false;
        break;
      }
      const op = m[1] ?? '';
      if (m[2] === 'x' || m[2] === '*') continue;
      const M = Number(m[2]);
      const rest = [m[3], m[4]].filter((x) => x !== undefined && x !== 'x' && x !== '*').map(Number);
      const restZero = rest.every((x) => x === 0);
      switch (op) {
        case '':
        case '=':
        case '^':
        case '~':
          lo = Math.max(lo, M);
          hi = Math.min(hi, M);
          break;
        case '>=':
          lo = Math.max(lo, M);
          break;
        case '>':
          lo = Math.max(lo, rest.length > 0 ? M : M + 1);
          break;
        case '<':
          hi = Math.min(hi, restZero ? M - 1 : M);
          break;
        case '<=':
          hi = Math.min(hi, M);
          break;
      }
    }
    if (!understood) break;
    if (lo <= major && major <= hi) return true;
  }
  return understood ? false : null;
}
