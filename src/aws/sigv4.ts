/**
 * Signature Version 4, server side: the canonical request, the string to sign,
 * the signing key and the chunked (`aws-chunked`) payload encodings, as pure
 * functions. Rules follow AWS's SigV4 documentation and the published test
 * suite (aws-sig-v4-test-suite), and match @smithy/signature-v4, the signer the
 * official JS SDK uses:
 *
 * - URI: every service but S3 normalizes the path (empty, `.` and `..`
 *   segments) and URI-encodes it a second time; S3 signs the path as sent.
 * - Query: names and values are decoded, then RFC 3986-encoded, sorted by
 *   name, then by value; `X-Amz-Signature` is left out.
 * - Headers: lower-cased names; values trimmed, inner runs of whitespace
 *   collapsed to one space, repeated headers joined with `,` in order.
 */
import * as crypto from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** Presigned URLs may be valid for at most 7 days (AWS: `X-Amz-Expires` <= 604800). */
export const MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600;
/** Requests may be at most 15 minutes away from the server's clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 encoding, as AWS wants it (`encodeURIComponent` leaves `!'()*` alone). */
export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * One-shot `crypto.hash` (Node >= 20.12) skips building a Hash object per
 * call; every request hashes its body and its canonical request.
 */
const oneShotHash: ((algorithm: string, data: string | Buffer, encoding: 'hex') => string) | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined;

export function sha256Hex(data: string | Buffer): string {
  if (oneShotHash) return oneShotHash('sha256', data, 'hex');
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The canonical URI of a raw (as sent, percent-encoded) request path. */
export function canonicalUri(rawPath: string, singleEncode: boolean): string {
  // Every JSON-protocol request posts to `/`.
  if (rawPath === '' || rawPath === '/') return '/';
  if (singleEncode) return rawPath;
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** Parses a raw query string into decoded name/value pairs, in order. */
export function parseQuery(rawQuery: string, plusIsSpace = false): [string, string][] {
  const out: [string, string][] = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    const dec = (s: string): string => safeDecode(plusIsSpace ? s.replace(/\+/g, ' ') : s);
    out.push([dec(k), dec(v)]);
  }
  return out;
}

/** The canonical query string (pairs already decoded). */
export function canonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  return pairs
    .filter(([k]) => k.toLowerCase() !== 'x-amz-signature')
    .map(([k, v]) => [escapeUri(k), escapeUri(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** What canonicalValue would change: CR/LF, tabs, a run of spaces, or whitespace at either end (`\s` is what trim() removes). */
const NEEDS_CANONICALIZING = /[\r\n\t]| {2}|^\s|\s$/;

function canonicalValue(v: string): string {
  // Most values (dates, hashes, content types) are already canonical.
  if (!NEEDS_CANONICALIZING.test(v)) return v;
  return v.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
}

/** `name:value\n` lines for the signed headers (lower-cased names, in the order given). */
export function canonicalHeaders(headers: ReadonlyMap<string, readonly string[]>, signed: readonly string[]): string {
  let out = '';
  for (const name of signed) {
    const values = headers.get(name);
    let joined = '';
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) joined += (i === 0 ? '' : ',') + canonicalValue(values[i]!);
    }
    out += `${name}:${joined}\n`;
  }
  return out;
}

export function canonicalRequest(method: string, uri: string, query: string, headersBlock: string, signed: readonly string[], payloadHash: string): string {
  return `${method}\n${uri}\n${query}\n${headersBlock}\n${signed.join(';')}\n${payloadHash}`;
}

export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/**
 * Signing keys only change with the secret, day, region and service, so the
 * four HMACs that derive one are done once per combination, not per request.
 */
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_SIZE = 256;

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\0${date}\0${region}\0${service}`;
  let key = keyCache.get(id);
  if (key) return key;
  key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(id, key);
  return key;
}

export function signature(key: Buffer, toSign: string): string {
  return crypto.createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(a: string, b: string): boolean {
  if (a.length !== b.length || !/^[0-9a-f]*$/.test(b)) return false;
  return crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Whether `provided` (hex) is the signature of `toSign` under `key`, compared
 * in constant time as signaturesEqual does, on the raw digest: no hex string
 * and one Buffer fewer per request.
 */
export function signatureMatches(key: Buffer, toSign: string, provided: string): boolean {
  if (!HEX_SIGNATURE.test(provided)) return false;
  const expected = crypto.createHmac('sha256', key).update(toSign, 'utf8').digest();
  return crypto.timingSafeEqual(expected, Buffer.from(provided, 'hex'));
}

export interface ParsedAuthorization {
  algorithm: string;
  credential: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
 * Returns the list of AWS's complaints when parts are missing (their wording).
 */
export function parseAuthorization(header: string): ParsedAuthorization | { problems: string[] } {
  const trimmed = header.trim();
  const sp = trimmed.indexOf(' ');
  const algorithm = sp < 0 ? trimmed : trimmed.slice(0, sp);
  const params: Record<string, string> = {};
  const problems: string[] = [];
  for (const part of (sp < 0 ? '' : trimmed.slice(sp + 1)).split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) {
      problems.push(`'${p}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`);
      continue;
    }
    params[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  if (problems.length > 0) return { problems };
  for (const k of ['Credential', 'Signature', 'SignedHeaders']) {
    if (params[k] === undefined) problems.push(`Authorization header requires '${k}' parameter.`);
  }
  if (problems.length > 0) return { problems };
  return {
    algorithm,
    credential: params.Credential!,
    signedHeaders: params.SignedHeaders!.split(';').filter((h) => h !== '').map((h) => h.toLowerCase()),
    signature: params.Signature!,
  };
}

export interface ParsedCredential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
}

export function parseCredential(credential: string): ParsedCredential | { problem: string } {
  const parts = credential.replace(/\/+$/, '').split('/');
  if (parts.length !== 5) {
    return { problem: `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'` };
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

/** `20150830T123600Z` -> epoch ms, or null when not ISO 8601 basic format. */
export function parseAmzDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? null : t;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

// ---- aws-chunked payloads ---------------------------------------------------

export interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  /** The request's signature: the "previous signature" of the first chunk. */
  seedSignature: string;
}

export interface DecodedChunked {
  payload: Buffer;
  trailers: Map<string, string>;
}

export class ChunkedPayloadError extends Error {}

/**
 * Decodes an `aws-chunked` body: `hex-size[;chunk-signature=sig]\r\n data \r\n`
 * ... a zero-size chunk, then optional trailers (`name:value\r\n`) and `\r\n`.
 * With `signing`, every chunk signature is checked against the chain
 * (`AWS4-HMAC-SHA256-PAYLOAD`); a signed trailer (`x-amz-trailer-signature`)
 * is checked too (`AWS4-HMAC-SHA256-TRAILER`).
 */
export function decodeAwsChunked(body: Buffer, signing: ChunkSigning | null): DecodedChunked {
  const parts: Buffer[] = [];
  const trailers = new Map<string, string>();
  let i = 0;
  let prev = signing?.seedSignature ?? '';
  const line = (): string => {
    const end = body.indexOf('\r\n', i);
    if (end < 0) throw new ChunkedPayloadError('incomplete chunk header');
    const s = body.subarray(i, end).toString('latin1');
    i = end + 2;
    return s;
  };
  for (;;) {
    const header = line();
    const [sizeHex, ...exts] = header.split(';');
    if (!sizeHex || !/^[0-9a-fA-F]+$/.test(sizeHex)) throw new ChunkedPayloadError(`bad chunk size '${sizeHex ?? ''}'`);
    const size = parseInt(sizeHex, 16);
    if (i + size > body.length) throw new ChunkedPayloadError('chunk longer than the body');
    const data = body.subarray(i, i + size);
    i += size;
    if (signing) {
      const sigExt = exts.find((e) => e.startsWith('chunk-signature='));
      if (!sigExt) throw new ChunkedPayloadError('missing chunk-signature');
      const given = sigExt.slice('chunk-signature='.length);
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, prev, EMPTY_SHA256, sha256Hex(data)].join('\n');
      const expected = signature(signing.key, toSign);
      if (!signaturesEqual(expected, given)) throw new ChunkedPayloadError('chunk signature mismatch');
      prev = given;
    }
    if (size === 0) break;
    parts.push(data);
    if (body.subarray(i, i + 2).toString('latin1') !== '\r\n') throw new ChunkedPayloadError('chunk data not followed by CRLF');
    i += 2;
  }
  // Trailers (or the final CRLF).
  const trailerLines: string[] = [];
  while (i < body.length) {
    const l = line();
    if (l === '') break;
    trailerLines.push(l);
  }
  let trailerSignature: string | undefined;
  for (const l of trailerLines) {
    const c = l.indexOf(':');
    if (c < 0) throw new ChunkedPayloadError(`bad trailer '${l}'`);
    const name = l.slice(0, c).trim().toLowerCase();
    const value = l.slice(c + 1).trim();
    if (name === 'x-amz-trailer-signature') trailerSignature = value;
    else trailers.set(name, value);
  }
  if (signing && trailerSignature !== undefined) {
    const canonicalTrailers = [...trailers].map(([k, v]) => `${k}:${v}\n`).join('');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, prev, sha256Hex(canonicalTrailers)].join('\n');
    if (!signaturesEqual(signature(signing.key, toSign), trailerSignature)) throw new ChunkedPayloadError('trailer signature mismatch');
  }
  return { payload: Buffer.concat(parts), trailers };
}
