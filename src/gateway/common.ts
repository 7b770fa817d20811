/**
 * Small helpers shared by the payload builders and the response mapper. Hot path:
 * no regexes, little allocation.
 */
import { safeDecode } from './router';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let cachedSecond = -1;
let cachedTime = '';

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * `09/Apr/2015:12:34:56 +0000`: the CLF time AWS puts in `requestContext.requestTime`
 * (REST) and `requestContext.time` (HTTP API); see the sample events in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * Cached per second: the hot path formats at most once a second.
 */
export function clfTime(epochMs: number): string {
  const sec = Math.floor(epochMs / 1000);
  if (sec === cachedSecond) return cachedTime;
  const d = new Date(sec * 1000);
  cachedTime =
    pad2(d.getUTCDate()) +
    '/' +
    MONTHS[d.getUTCMonth()] +
    '/' +
    d.getUTCFullYear() +
    ':' +
    pad2(d.getUTCHours()) +
    ':' +
    pad2(d.getUTCMinutes()) +
    ':' +
    pad2(d.getUTCSeconds()) +
    ' +0000';
  cachedSecond = sec;
  return cachedTime;
}

/**
 * Parses a raw query string into ordered [key, value] pairs, percent-decoded. A key
 * without `=` gets ''. `+` is kept as is (API Gateway percent-decodes parameters; it is
 * not form decoding).
 */
export function parseQuery(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (raw.length === 0) return out;
  let start = 0;
  while (start <= raw.length) {
    let amp = raw.indexOf('&', start);
    if (amp === -1) amp = raw.length;
    if (amp > start) {
      const eq = raw.indexOf('=', start);
      if (eq === -1 || eq > amp) out.push([safeDecode(raw.slice(start, amp)), '']);
      else out.push([safeDecode(raw.slice(start, eq)), safeDecode(raw.slice(eq + 1, amp))]);
    }
    start = amp + 1;
  }
  return out;
}

/** `Application/JSON; charset=utf-8` -> `application/json`. */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * binaryMediaTypes matching as REST APIs do it: an exact media type, `type/*`, or `*\/*`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html).
 */
export function matchesBinaryMediaType(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  if (binaryMediaTypes.length === 0) return false;
  const mt = mediaType(contentType);
  if (mt === '') return false;
  const slash = mt.indexOf('/');
  const major = slash === -1 ? mt : mt.slice(0, slash);
  for (const b of binaryMediaTypes) {
    const t = b.toLowerCase();
    if (t === '*/*' || t === mt) return true;
    if (t.endsWith('/*') && t.slice(0, -2) === major) return true;
  }
  return false;
}

/** The first header value for a lower-case name in node's rawHeaders, or undefined. */
export function rawHeader(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const n = rawHeaders[i];
    if (n.length === lowerName.length && n.toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return undefined;
}

/** The host part of a Host header (`api.example.com:3000` -> `api.example.com`). */
export function hostName(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** `domainPrefix` as AWS derives it: the first label of the domain name. */
export function domainPrefix(host: string): string {
  const name = hostName(host);
  const dot = name.indexOf('.');
  return dot === -1 ? name : name.slice(0, dot);
}
