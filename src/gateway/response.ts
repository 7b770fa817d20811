/**
 * Function result -> HTTP response, as API Gateway maps it, plus the gateway's own error
 * responses.
 *
 * REST (payload 1.0): the result must be `{statusCode, headers, multiValueHeaders, body,
 * isBase64Encoded}`; "If the function output is of a different format, API Gateway
 * returns a 502 Bad Gateway error response"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format).
 * `headers` and `multiValueHeaders` merge, multiValueHeaders winning for a name in both
 * (same page). `body` must be a string (an object body is the classic "Malformed Lambda
 * proxy response", https://repost.aws/knowledge-center/malformed-502-api-gateway).
 *
 * Errors, per "Handling Lambda errors with an API Gateway API"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html):
 * "If the Lambda API rejects the invocation request, API Gateway returns a 500 error code.
 * If the function runs but returns an error, or returns a response in the wrong format,
 * API Gateway returns a 502. In both cases, the body of the response from API Gateway is
 * {"message": "Internal server error"}." A throttled invocation (Lambda 429
 * TooManyRequestsException) is such a rejection: REST clients get 500, never 429
 * (also https://repost.aws/questions/QUfI6bsdd0SOiPeyimzxSkfQ).
 *
 * HTTP API (payload 2.0), https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.response:
 * "API Gateway can infer the response format for you ... if your Lambda function returns
 * valid JSON and doesn't return a statusCode: isBase64Encoded is false, statusCode is 200,
 * content-type is application/json, body is the function's response." The documented
 * example maps the output `"Hello from Lambda!"` to the body `Hello from Lambda!`: a
 * string result is the body itself, any other value its JSON. A structured response's
 * `cookies` each become a set-cookie header. Failures answer
 * `{"message":"Internal Server Error"}` with 500
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
 */
import { isCorsHeader } from './cors';
import { matchesBinaryMediaType } from './common';
import type { GatewayResponse } from './types';
import { LAMBDA_SYNC_PAYLOAD_LIMIT } from './types';

export type ApiKind = 'rest' | 'http';

// Exact bodies AWS sends. REST's internal error has a space after the colon (as documented);
// its other gateway responses do not.
export const REST_INTERNAL_ERROR_BODY = '{"message": "Internal server error"}';
export const REST_MISSING_TOKEN_BODY = '{"message":"Missing Authentication Token"}';
export const REST_FORBIDDEN_BODY = '{"message":"Forbidden"}';
export const HTTP_INTERNAL_ERROR_BODY = '{"message":"Internal Server Error"}';
export const HTTP_NOT_FOUND_BODY = '{"message":"Not Found"}';
/**
 * Over 10 MB, API Gateway's front door answers before any API logic: 413 with this plain
 * text body (observed on a REST API with an 11 MB body, recorded in a public parity probe;
 * AWS documents the 10 MB quota, not the body).
 */
export const PAYLOAD_TOO_LARGE_BODY = 'HTTP content length exceeded 10485760 bytes.';

function json(statusCode: number, body: string, extra?: Record<string, string>): GatewayResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (extra) Object.assign(headers, extra);
  return { statusCode, headers, body };
}

/** REST: no resource or no method for the request ("including the cases when the client attempts to invoke an unsupported API method or resource", MISSING_AUTHENTICATION_TOKEN, https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html). */
export function restMissingToken(): GatewayResponse {
  return json(403, REST_MISSING_TOKEN_BODY, { 'x-amzn-ErrorType': 'MissingAuthenticationTokenException' });
}

/** REST 500 (invocation rejected) or 502 (function error / malformed result). */
export function restInternalError(statusCode: 500 | 502): GatewayResponse {
  return json(statusCode, REST_INTERNAL_ERROR_BODY, { 'x-amzn-ErrorType': 'InternalServerErrorException' });
}

export function restForbidden(): GatewayResponse {
  return json(403, REST_FORBIDDEN_BODY, { 'x-amzn-ErrorType': 'ForbiddenException' });
}

/** HTTP API: no route (and no $default) for the request. */
export function httpNotFound(): GatewayResponse {
  return json(404, HTTP_NOT_FOUND_BODY);
}

export function httpInternalError(): GatewayResponse {
  return json(500, HTTP_INTERNAL_ERROR_BODY);
}

export function payloadTooLarge(): GatewayResponse {
  return { statusCode: 413, headers: { 'content-type': 'text/plain' }, body: PAYLOAD_TOO_LARGE_BODY };
}

/** The function ran and failed (X-Amz-Function-Error), or its result was unusable. */
export function functionErrorResponse(kind: ApiKind): GatewayResponse {
  return kind === 'rest' ? restInternalError(502) : httpInternalError();
}

/** Lambda refused the invocation (throttled, payload over 6 MB, function missing, service fault). */
export function invokeRejectedResponse(kind: ApiKind): GatewayResponse {
  return kind === 'rest' ? restInternalError(500) : httpInternalError();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statusOf(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.length > 0 && v.length <= 3) {
    n = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return null;
      n = n * 10 + c;
    }
  } else return null;
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : null;
}

function scalarString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function hasHeader(headers: Record<string, string | string[]>, lower: string): boolean {
  for (const k in headers) if (k.toLowerCase() === lower) return true;
  return false;
}

function parsePayload(payload: Buffer): { ok: true; value: unknown; text: string } | { ok: false } {
  if (payload.length > LAMBDA_SYNC_PAYLOAD_LIMIT) return { ok: false };
  const text = payload.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch {
    return { ok: false };
  }
}

export interface V1MapOptions {
  binaryMediaTypes: readonly string[];
  /** The request's Accept header: a base64 body is sent decoded only if its first media type is binary. */
  accept: string | undefined;
}

/**
 * Maps a REST (payload 1.0) function result. Gateway-added headers (request ids) are not
 * included; the caller adds them.
 */
export function mapV1Result(payload: Buffer, opts: V1MapOptions): GatewayResponse {
  const parsed = parsePayload(payload);
  if (!parsed.ok || !isPlainObject(parsed.value)) return restInternalError(502);
  const r = parsed.value;
  const statusCode = statusOf(r.statusCode);
  if (statusCode === null) return restInternalError(502);

  // Merge headers and multiValueHeaders by case-insensitive name; multiValueHeaders wins.
  const merged = new Map<string, [string, string[]]>();
  if (r.headers !== undefined && r.headers !== null) {
    if (!isPlainObject(r.headers)) return restInternalError(502);
    for (const name in r.headers) {
      const s = scalarString(r.headers[name]);
      if (s === null) {
        if (r.headers[name] === null) continue;
        return restInternalError(502);
      }
      merged.set(name.toLowerCase(), [name, [s]]);
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (!isPlainObject(r.multiValueHeaders)) return restInternalError(502);
    for (const name in r.multiValueHeaders) {
      const vals = r.multiValueHeaders[name];
      if (vals === null) continue;
      if (!Array.isArray(vals)) return restInternalError(502);
      const out: string[] = [];
      for (const v of vals) {
        const s = scalarString(v);
        if (s === null) return restInternalError(502);
        out.push(s);
      }
      merged.set(name.toLowerCase(), [name, out]);
    }
  }
  const headers: Record<string, string | string[]> = {};
  for (const [, [name, vals]] of merged) headers[name] = vals.length === 1 ? vals[0] : vals;

  let body: Buffer | string = '';
  if (r.body !== undefined && r.body !== null) {
    if (typeof r.body !== 'string') return restInternalError(502);
    body = r.body;
  }
  const b64 = r.isBase64Encoded;
  if (b64 !== undefined && b64 !== null && typeof b64 !== 'boolean') return restInternalError(502);
  if (b64 === true && typeof body === 'string') {
    // With binaryMediaTypes matching the request's Accept the body is decoded; otherwise
    // REST sends the base64 text as is (api-gateway-payload-encodings.html; observed in
    // ministackorg/ministack#767).
    const first = opts.accept === undefined ? undefined : opts.accept.split(',')[0];
    if (matchesBinaryMediaType(first, opts.binaryMediaTypes)) body = Buffer.from(body, 'base64');
  }
  if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
  return { statusCode, headers, body };
}

export interface V2MapOptions {
  /** When the API has CORS configured and the request had an Origin: headers to add (backend CORS headers are dropped). */
  corsHeaders: Record<string, string> | null;
  /** Whether the API has CORS configured (then backend Access-Control-* headers are dropped). */
  corsConfigured: boolean;
}

/** Maps an HTTP API (payload 2.0) function result. */
export function mapV2Result(payload: Buffer, opts: V2MapOptions): GatewayResponse {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return httpInternalError();
  const v = parsed.value;
  let out: GatewayResponse;
  if (isPlainObject(v) && 'statusCode' in v) {
    const statusCode = statusOf(v.statusCode);
    if (statusCode === null) return httpInternalError();
    const headers: Record<string, string | string[]> = {};
    if (v.headers !== undefined && v.headers !== null) {
      if (!isPlainObject(v.headers)) return httpInternalError();
      for (const name in v.headers) {
        const s = scalarString(v.headers[name]);
        if (s === null) {
          if (v.headers[name] === null) continue;
          return httpInternalError();
        }
        if (opts.corsConfigured && isCorsHeader(name)) continue;
        headers[name] = s;
      }
    }
    if (v.cookies !== undefined && v.cookies !== null) {
      if (!Array.isArray(v.cookies)) return httpInternalError();
      const cookies: string[] = [];
      for (const c of v.cookies) {
        if (typeof c !== 'string') return httpInternalError();
        cookies.push(c);
      }
      if (cookies.length > 0) {
        // A set-cookie from `headers` is kept, the cookies array follows it.
        let existing: string | undefined;
        for (const k in headers) {
          if (k.toLowerCase() === 'set-cookie') {
            existing = headers[k] as string;
            delete headers[k];
          }
        }
        headers['set-cookie'] = existing === undefined ? cookies : [existing, ...cookies];
      }
    }
    let body: Buffer | string = '';
    if (v.body !== undefined && v.body !== null) {
      if (typeof v.body !== 'string') return httpInternalError();
      body = v.body;
    }
    const b64 = v.isBase64Encoded;
    if (b64 !== undefined && b64 !== null && typeof b64 !== 'boolean') return httpInternalError();
    // HTTP APIs decode isBase64Encoded bodies unconditionally (no binaryMediaTypes).
    if (b64 === true && typeof body === 'string') body = Buffer.from(body, 'base64');
    // Without a content-type from the function HTTP APIs send text/plain (assumed from
    // observed responses; not documented).
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'text/plain; charset=utf-8';
    out = { statusCode, headers, body };
  } else {
    out = {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: typeof v === 'string' ? v : parsed.text,
    };
  }
  if (opts.corsHeaders) Object.assign(out.headers, opts.corsHeaders);
  return out;
}
