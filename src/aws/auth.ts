/**
 * SigV4 verification of one request, in the order AWS checks (dynalite's notes
 * of DynamoDB's behaviour): a signature is present; the Authorization header or
 * presigned parameters are complete; the date is well-formed and within 15
 * minutes (presigned: before X-Amz-Expires, at most 7 days); Host is signed;
 * the algorithm; the credential scope; the access key; the signature; the
 * session token. Failures become the service's own errors (`authErrors`).
 *
 * Payload hash: services other than S3 sign the body's SHA-256 (computed here,
 * whatever `x-amz-content-sha256` says). S3 signs the header's value, which may
 * be `UNSIGNED-PAYLOAD`, a hex hash that must match the body, or one of the
 * `aws-chunked` streaming modes (decoded here, chunk signatures checked).
 *
 * With `enforce: false` (purely local use) any well-formed signature from any
 * key is accepted: nothing after the credential's shape is checked.
 */
import type { Credentials } from './credentials';
import {
  ALGORITHM,
  ChunkedPayloadError,
  MAX_PRESIGNED_EXPIRES,
  MAX_SKEW_MS,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  decodeAwsChunked,
  escapeUri,
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  parseCredential,
  sha256Hex,
  signatureMatches,
  signingKey,
  stringToSign,
  type ChunkSigning,
} from './sigv4';
import type { PayloadPlan } from './stream';
import type { FormSignature, Principal, ServiceDefinition } from './types';
import { header, queryValue, type WireRequest } from './wire';

export interface AuthOptions {
  credentials: Credentials;
  /** Verify signatures and keys (default). Off: accept any well-formed signature. */
  enforce: boolean;
  /** The server's clock (epoch ms). */
  now: number;
  /**
   * `parseAuthorization` of this request's Authorization header, when the
   * caller already parsed it (the endpoint does, to find the service), so a
   * request parses it once. Never reused across requests.
   */
  parsedAuthorization?: ReturnType<typeof parseAuthorization>;
}

export interface AuthResult {
  principal: Principal;
  /** The request body, decoded when it was sent `aws-chunked`. */
  body: Buffer;
  /** Streaming trailers (`x-amz-checksum-*`), when there were any. */
  trailers?: Map<string, string>;
}

/** Whether a request carries any SigV4 authentication at all. */
export function hasAuthentication(req: WireRequest): boolean {
  const auth = header(req, 'authorization');
  return (auth !== undefined && auth.trim().startsWith('AWS4-')) || queryValue(req, 'X-Amz-Credential') !== undefined || queryValue(req, 'X-Amz-Algorithm') !== undefined;
}

interface SignedParts {
  presigned: boolean;
  algorithm: string;
  credential: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expires?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function authenticate(service: ServiceDefinition, req: WireRequest, o: AuthOptions): AuthResult {
  const v = verify(service, req, o, false);
  return { principal: v.principal, ...decodeBody(service, req, v.payloadMode, v.signing) };
}

/** What a streaming operation needs from SigV4: who signed, and what the body must be checked against as it streams. */
export interface HeadAuthResult {
  principal: Principal;
  payload: PayloadPlan;
}

/**
 * Verifies a request from its head alone (streaming operations): the body is
 * not read. What depends on the body (chunk signatures, a signed hex payload
 * hash, or the signature itself when the service signs the body's hash)
 * becomes the returned plan, checked by the PayloadStream as the body passes.
 */
export function authenticateHead(service: ServiceDefinition, head: WireRequest, o: AuthOptions): HeadAuthResult {
  const v = verify(service, head, o, true);
  const mode = v.payloadMode;
  if (mode.kind === 'body') {
    return { principal: v.principal, payload: { encoding: 'plain', chunkSigning: null, signedTrailer: false, verifyBodyHash: v.verifyBodyHash } };
  }
  if (mode.value === UNSIGNED_PAYLOAD) return { principal: v.principal, payload: { encoding: 'plain', chunkSigning: null, signedTrailer: false } };
  if (HEX64.test(mode.value)) {
    // Unverified keys (enforce off) are not held to the hash, as on the buffered path.
    const plan: PayloadPlan = v.signing ? { encoding: 'plain', chunkSigning: null, signedTrailer: false, expectSha256Hex: mode.value } : { encoding: 'plain', chunkSigning: null, signedTrailer: false };
    return { principal: v.principal, payload: plan };
  }
  const signed = mode.value !== STREAMING_UNSIGNED_TRAILER;
  return {
    principal: v.principal,
    payload: { encoding: 'aws-chunked', chunkSigning: signed ? v.signing : null, signedTrailer: mode.value === STREAMING_SIGNED_TRAILER },
  };
}

interface Verified {
  principal: Principal;
  payloadMode: PayloadMode;
  /** Enforced auth: the chunk-signing context. */
  signing: ChunkSigning | null;
  /** `deferBodyHash` and a body-hash service: checks the signature once the body's SHA-256 is known. */
  verifyBodyHash?: (sha256Hex: string) => void;
}

function verify(service: ServiceDefinition, req: WireRequest, o: AuthOptions, deferBodyHash: boolean): Verified {
  const errs = service.authErrors;
  if (!hasAuthentication(req)) throw errs.missing();
  const parts = signedParts(service, req, o.parsedAuthorization);
  const t = parseAmzDate(parts.amzDate);
  if (t === null) throw errs.incomplete(`Date must be in ISO-8601 'basic format'. Got '${parts.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`, parts.presigned);
  if (o.enforce) checkTime(service, parts, t, o.now);
  if (!parts.signedHeaders.includes('host')) throw errs.invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  if (parts.algorithm !== ALGORITHM) throw errs.incomplete(`Unsupported AWS 'algorithm': '${parts.algorithm}' (only AWS4-HMAC-SHA256 for now). `, parts.presigned);
  const cred = parseCredential(parts.credential);
  if ('problem' in cred) throw errs.incomplete(cred.problem, parts.presigned);
  const scopeProblems: string[] = [];
  if (!/^[a-z0-9-]+$/.test(cred.region)) scopeProblems.push(`Credential should be scoped to a valid region, not '${cred.region}'.`);
  if (cred.service !== service.signingName) scopeProblems.push(`Credential should be scoped to correct service: '${service.signingName}'.`);
  if (cred.terminator !== 'aws4_request') scopeProblems.push(`Credential should be scoped with a valid terminator: 'aws4_request', not '${cred.terminator}'.`);
  if (cred.date !== parts.amzDate.slice(0, 8)) {
    scopeProblems.push(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${cred.date}' != '${parts.amzDate.slice(0, 8)}', from '${parts.amzDate}'.`);
  }
  if (scopeProblems.length > 0) throw errs.invalidSignature(scopeProblems.join(' '));

  const token = header(req, 'x-amz-security-token') ?? queryValue(req, 'X-Amz-Security-Token');
  const resolved = o.credentials.resolve(cred.accessKeyId, token);
  const payloadMode = payloadHashMode(service, req, parts.presigned);
  if (!o.enforce) {
    const principal: Principal = resolved.ok ? resolved.principal : { kind: 'unverified', accessKeyId: cred.accessKeyId };
    return { principal, payloadMode, signing: null };
  }
  if (!resolved.ok) throw errs.unknownKey(cred.accessKeyId);

  const scope = credentialScope(cred.date, cred.region, cred.service);
  const key = signingKey(resolved.secretAccessKey, cred.date, cred.region, cred.service);
  const headersBlock = canonicalHeaders(req.headers, parts.signedHeaders);
  const query = canonicalQuery(req.query);
  const check = (payloadHash: string): void => {
    const tryUri = (uri: string): { creq: string; sts: string; ok: boolean } => {
      const creq = canonicalRequest(req.method, uri, query, headersBlock, parts.signedHeaders, payloadHash);
      const sts = stringToSign(parts.amzDate, scope, creq);
      return { creq, sts, ok: signatureMatches(key, sts, parts.signature) };
    };
    let attempt = tryUri(canonicalUri(req.path, service.singleEncodePath === true));
    // Clients that do not normalize the path (or encode it once more than the SDK) sign the path as sent.
    if (!attempt.ok && service.singleEncodePath !== true) {
      const raw = tryUri(escapeUri(req.path === '' ? '/' : req.path).replace(/%2F/g, '/'));
      if (raw.ok) attempt = raw;
    }
    if (!attempt.ok) {
      throw errs.signatureMismatch({ accessKeyId: cred.accessKeyId, canonicalRequest: attempt.creq, stringToSign: attempt.sts, signatureProvided: parts.signature });
    }
  };
  let verifyBodyHash: ((sha256Hex: string) => void) | undefined;
  if (payloadMode.kind === 'literal') check(payloadMode.value);
  else if (deferBodyHash) verifyBodyHash = check;
  else check(sha256Hex(req.body));
  if (resolved.needsToken && resolved.expiration !== undefined && resolved.expiration <= o.now) throw errs.expiredToken();
  // A session token sent with the admin key is ignored rather than refused, so
  // that tools configured with a placeholder token (test/test/...) still work.
  const signing: ChunkSigning = { key, amzDate: parts.amzDate, scope, seedSignature: parts.signature };
  return verifyBodyHash ? { principal: resolved.principal, payloadMode, signing, verifyBodyHash } : { principal: resolved.principal, payloadMode, signing };
}

function signedParts(service: ServiceDefinition, req: WireRequest, preParsed: ReturnType<typeof parseAuthorization> | undefined): SignedParts {
  const errs = service.authErrors;
  const auth = header(req, 'authorization');
  if (auth !== undefined && auth.trim().startsWith('AWS4-')) {
    const parsed = preParsed ?? parseAuthorization(auth);
    const date = header(req, 'x-amz-date') ?? httpDateToAmz(header(req, 'date'));
    const problems = 'problems' in parsed ? [...parsed.problems] : [];
    if (date === undefined) problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    if (problems.length > 0 || 'problems' in parsed) throw errs.incomplete(`${problems.join(' ')} Authorization=${auth}`, false);
    return { presigned: false, algorithm: parsed.algorithm, credential: parsed.credential, signedHeaders: parsed.signedHeaders, signature: parsed.signature, amzDate: date! };
  }
  const q = (k: string): string | undefined => queryValue(req, k);
  const algorithm = q('X-Amz-Algorithm');
  const credential = q('X-Amz-Credential');
  const amzDate = q('X-Amz-Date');
  const signedHeaders = q('X-Amz-SignedHeaders');
  const sig = q('X-Amz-Signature');
  const expires = q('X-Amz-Expires');
  if (algorithm === undefined || credential === undefined || amzDate === undefined || signedHeaders === undefined || sig === undefined || (expires === undefined && service.allowUnsignedPayload)) {
    throw errs.incomplete(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      true,
    );
  }
  let exp: number | undefined;
  if (expires !== undefined) {
    if (!/^-?\d+$/.test(expires)) throw errs.incomplete('X-Amz-Expires should be a number', true);
    exp = Number(expires);
    if (exp < 0) throw errs.incomplete('X-Amz-Expires must be non-negative', true);
    if (exp > MAX_PRESIGNED_EXPIRES) throw errs.incomplete(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES}`, true);
  }
  return {
    presigned: true,
    algorithm,
    credential,
    signedHeaders: signedHeaders.split(';').filter((h) => h !== '').map((h) => h.toLowerCase()),
    signature: sig,
    amzDate,
    expires: exp,
  };
}

function httpDateToAmz(d: string | undefined): string | undefined {
  if (d === undefined) return undefined;
  const t = Date.parse(d);
  return Number.isNaN(t) ? d : formatAmzDate(t);
}

function checkTime(service: ServiceDefinition, parts: SignedParts, t: number, now: number): void {
  const errs = service.authErrors;
  // Formatted only for an error: this runs on every request.
  if (t <= now + MAX_SKEW_MS && (parts.presigned && parts.expires !== undefined ? now <= t + parts.expires * 1000 : t >= now - MAX_SKEW_MS)) return;
  const serverTime = formatAmzDate(now);
  if (t > now + MAX_SKEW_MS) {
    throw errs.expired(`Signature not yet current: ${parts.amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${serverTime} + 15 min.)`, {
      requestTime: parts.amzDate,
      serverTime,
      presigned: parts.presigned,
    });
  }
  if (parts.presigned && parts.expires !== undefined) {
    if (now > t + parts.expires * 1000) {
      throw errs.expired(`Signature expired: ${parts.amzDate} is now earlier than ${formatAmzDate(now - parts.expires * 1000)} (${serverTime} - ${parts.expires} sec.)`, {
        requestTime: formatAmzDate(t + parts.expires * 1000),
        serverTime,
        expires: String(parts.expires),
        presigned: true,
      });
    }
    return;
  }
  if (t < now - MAX_SKEW_MS) {
    throw errs.expired(`Signature expired: ${parts.amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${serverTime} - 15 min.)`, {
      requestTime: parts.amzDate,
      serverTime,
      presigned: parts.presigned,
    });
  }
}

type PayloadMode = { kind: 'body' } | { kind: 'literal'; value: string };

/** What the canonical request's payload hash is for this request. */
function payloadHashMode(service: ServiceDefinition, req: WireRequest, presigned: boolean): PayloadMode {
  if (!service.allowUnsignedPayload) return { kind: 'body' };
  // The S3 presigner hoists the header into the query under its lower-case name.
  const declared = header(req, 'x-amz-content-sha256') ?? req.query.find(([k]) => k.toLowerCase() === 'x-amz-content-sha256')?.[1];
  if (declared === undefined) return presigned ? { kind: 'literal', value: UNSIGNED_PAYLOAD } : { kind: 'body' };
  if (declared === UNSIGNED_PAYLOAD || declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER || declared === STREAMING_UNSIGNED_TRAILER || HEX64.test(declared)) {
    return { kind: 'literal', value: declared };
  }
  throw service.authErrors.contentMismatch(
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    { invalidValue: true, provided: declared },
  );
}

function decodeBody(
  service: ServiceDefinition,
  req: WireRequest,
  mode: PayloadMode,
  signing: ChunkSigning | null,
): { body: Buffer; trailers?: Map<string, string> } {
  if (mode.kind === 'body' || mode.value === UNSIGNED_PAYLOAD) return { body: req.body };
  const errs = service.authErrors;
  if (HEX64.test(mode.value)) {
    const computed = sha256Hex(req.body);
    if (signing && computed !== mode.value) throw errs.contentMismatch('x-amz-content-sha256 mismatch', { computed, provided: mode.value });
    return { body: req.body };
  }
  const signed = mode.value !== STREAMING_UNSIGNED_TRAILER;
  try {
    const decoded = decodeAwsChunked(req.body, signed ? signing : null);
    const declared = header(req, 'x-amz-decoded-content-length');
    if (declared !== undefined && Number(declared) !== decoded.payload.length) {
      throw new ChunkedPayloadError(`x-amz-decoded-content-length is ${declared} but the payload has ${decoded.payload.length} bytes`);
    }
    return { body: decoded.payload, trailers: decoded.trailers };
  } catch (e) {
    if (!(e instanceof ChunkedPayloadError)) throw e;
    if (/signature mismatch/.test(e.message) && signing) {
      throw errs.signatureMismatch({ accessKeyId: '', canonicalRequest: '', stringToSign: '', signatureProvided: '' });
    }
    throw errs.contentMismatch(`The aws-chunked payload is malformed: ${e.message}`, {});
  }
}

/**
 * A SigV4 signature the request carries in its body (S3 POST uploads: the
 * form's `x-amz-signature` over the base64 policy, "Calculating a Signature"
 * in the S3 API reference's browser-based upload pages): the signing key
 * derived from the credential's scope, an HMAC of `stringToSign`. There is no
 * clock check: the policy's own expiration governs. Enforcement off accepts
 * any well-formed credential, as for headers.
 */
export function verifyFormSignature(service: ServiceDefinition, f: FormSignature, o: Omit<AuthOptions, 'parsedAuthorization'>): Principal {
  const errs = service.authErrors;
  if (f.algorithm !== ALGORITHM) throw errs.incomplete(`Unsupported AWS 'algorithm': '${f.algorithm}' (only AWS4-HMAC-SHA256 for now). `, false);
  if (parseAmzDate(f.amzDate) === null) throw errs.incomplete(`Date must be in ISO-8601 'basic format'. Got '${f.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`, false);
  const cred = parseCredential(f.credential);
  if ('problem' in cred) throw errs.incomplete(cred.problem, false);
  if (cred.service !== service.signingName) throw errs.invalidSignature(`Credential should be scoped to correct service: '${service.signingName}'.`);
  if (cred.terminator !== 'aws4_request') throw errs.invalidSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${cred.terminator}'.`);
  const resolved = o.credentials.resolve(cred.accessKeyId, f.securityToken);
  if (!o.enforce) return resolved.ok ? resolved.principal : { kind: 'unverified', accessKeyId: cred.accessKeyId };
  if (!resolved.ok) throw errs.unknownKey(cred.accessKeyId);
  const key = signingKey(resolved.secretAccessKey, cred.date, cred.region, cred.service);
  if (!signatureMatches(key, f.stringToSign, f.signature)) {
    throw errs.signatureMismatch({ accessKeyId: cred.accessKeyId, canonicalRequest: '', stringToSign: f.stringToSign, signatureProvided: f.signature });
  }
  if (resolved.needsToken && resolved.expiration !== undefined && resolved.expiration <= o.now) throw errs.expiredToken();
  return resolved.principal;
}
