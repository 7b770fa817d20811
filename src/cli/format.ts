/** Text formatting shared by the commands: tables, numbers, routes, log records. */
import type { LogRecord } from '../store/types';
import type { RouteInfo } from '../control/types';
import type { Paint, Style } from './io';

/** Visible width of a string (ANSI color codes do not count). */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return right ? fill + s : s + fill;
}

/**
 * A plain-text table. `align` marks right-aligned (numeric) columns. The header
 * row is bold; a `footer` row (totals) is separated by a rule.
 */
export function table(headers: string[], rows: string[][], o: { align?: boolean[]; footer?: string[]; style?: Style } = {}): string {
  const all = [headers, ...rows, ...(o.footer ? [o.footer] : [])];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[]): string =>
    r
      .map((c, i) => pad(c ?? '', widths[i]!, o.align?.[i] ?? false))
      .join('  ')
      .replace(/\s+$/, '');
  const bold = o.style?.bold ?? ((s: string) => s);
  const out = [bold(line(headers)), ...rows.map(line)];
  if (o.footer) {
    out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    out.push(line(o.footer));
  }
  return out.join('\n');
}

/** `n` with 6 significant digits, plain notation (no exponent) for money. */
export function usd(n: number): string {
  if (n === 0) return '0';
  const digits = Math.max(0, 6 - 1 - Math.floor(Math.log10(Math.abs(n))));
  return n.toFixed(Math.min(20, digits));
}

export function ms(n: number | null): string {
  if (n === null || n === undefined) return '-';
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

/** GB-seconds with 6 significant digits. */
export function sig6(n: number): string {
  return n === 0 ? '0' : String(Number(n.toPrecision(6)));
}

/** `GET   http://host/path  -> fn` lines, methods aligned. */
export function routeLines(routes: RouteInfo[], httpUrl: string, label: (fn: string) => string = (f) => f, st?: Style): string[] {
  const w = Math.max(3, ...routes.map((r) => r.method.length));
  const urls = routes.map((r) => httpUrl + r.path);
  const uw = Math.max(0, ...urls.map((u) => u.length));
  const b = st?.bold ?? ((s: string) => s);
  return routes.map((r, i) => `${b(r.method.padEnd(w))}  ${urls[i]!.padEnd(uw)}  -> ${label(r.function)}`);
}

/** Platform lines Lambda itself writes around each invocation. */
const LIFECYCLE = /^(START|END|REPORT|INIT_START|INIT_REPORT|EXTENSION) /;
/** The prefix Lambda's Node runtime puts on console output: time, request id, level. */
const CONSOLE_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t[^\t]*\t([A-Z]+)\t/;

export interface LogLineOptions {
  /** Label before each line (e.g. the function's short key), already padded. */
  label: string;
  labelPaint: Paint;
  style: Style;
  /** Show the time of the record. */
  showTime?: boolean;
  /** Shorten Lambda's console prefix (time, request id) to just the level. */
  compact?: boolean;
}

/** One log record as display lines: lifecycle lines dimmed, stderr and errors red. */
export function formatLogRecord(rec: LogRecord, o: LogLineOptions): string[] {
  const st = o.style;
  let text = rec.message;
  let level: string | null = null;
  const m = CONSOLE_PREFIX.exec(text);
  if (m) {
    level = m[1]!;
    if (o.compact) text = `${level.padEnd(5)} ${text.slice(m[0].length)}`;
  }
  const lifecycle = rec.stream === 'platform' && LIFECYCLE.test(text);
  const isError =
    rec.stream === 'stderr' ||
    level === 'ERROR' ||
    level === 'FATAL' ||
    (rec.stream === 'platform' && !lifecycle && /error|timed out/i.test(text));
  const paint: Paint = isError ? st.red : lifecycle ? st.dim : level === 'WARN' ? st.yellow : (s) => s;
  const time = o.showTime ? st.gray(new Date(rec.ts).toISOString().slice(11, 23)) + ' ' : '';
  const lines = text.replace(/\n+$/, '').split('\n');
  const label = o.label === '' ? '' : `${o.labelPaint(o.label)} ${st.gray('|')} `;
  return lines.map((l) => `${time}${label}${paint(l)}`);
}
