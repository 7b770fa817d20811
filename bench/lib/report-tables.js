// @ts-check
'use strict';
/**
 * Cell formatting shared by the service sections of bench/results/latest.md
 * (bench/lib/dynamodb-report.js, s3-report.js): numbers, ratios, percentages,
 * a (op, target) entry's req/s and latency, and the lines of targets that
 * did not start.
 */

/** @param {number | null | undefined} x @param {number} [digits] */
function num(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
/** @param {number | null | undefined} x */
const int = (x) => num(x, 0);
/** @param {number | null | undefined} x */
const ratio = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${num(x, x < 0.1 ? 3 : 2)}×`);
/** @param {number | null | undefined} x */
const pct = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${num(x * 100, 0)} %`);
/** @param {string} s */
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * One (op, target) entry's median req/s, or its status and reason.
 * @param {any} r
 * @param {string} [suffix] after the number (e.g. the operation actually run)
 */
function rpsCell(r, suffix = '') {
  if (!r) return '—';
  if (r.status !== 'ok') return `${r.status}: ${cell(String(r.reason ?? '').slice(0, 140))}`;
  return `${int(r.median.rps)}${suffix}`;
}
/** The median run's `p50 / p99` in ms. @param {any} r */
const latCell = (r) => (r?.status === 'ok' ? `${num(r.median.p50Ms)} / ${num(r.median.p99Ms)}` : '—');

/** Failed requests over an ok server-side entry's runs (null otherwise). @param {any} r */
const rawErrorCount = (r) => (r?.status === 'ok' ? r.runs.reduce((/** @type {number} */ s, /** @type {any} */ x) => s + x.non2xx + x.socketErrors + x.timeouts, 0) : null);

/**
 * `- label: **failed**: reason` per target that is not ok, then a blank line if any.
 * @param {Record<string, any>} targets
 * @param {Record<string, string>} labels
 */
function failedTargetLines(targets, labels) {
  const failed = Object.entries(targets).filter(([, x]) => x.status !== 'ok');
  const L = failed.map(([id, x]) => `- ${labels[id] ?? id}: **${x.status}**: ${cell(x.reason ?? '')}`);
  if (failed.length) L.push('');
  return L;
}

module.exports = { num, int, ratio, pct, cell, rpsCell, latCell, rawErrorCount, failedTargetLines };
