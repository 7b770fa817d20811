/**
 * HTTP API (`httpApi` events) Lambda proxy integration event, payload format 2.0.
 *
 * Shape: "Payload format version",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * - "Format 2.0 doesn't have multiValueHeaders or multiValueQueryStringParameters fields.
 *   Duplicate headers are combined with commas and included in the headers field.
 *   Duplicate query strings are combined with commas and included in the
 *   queryStringParameters field." Header names are lower case.
 * - "Format 2.0 includes a new cookies field. All cookie headers in the request are
 *   combined with commas and added to the cookies field" (one array entry per cookie; the
 *   cookie header itself is not repeated in `headers`).
 * - `cookies`, `queryStringParameters`, `pathParameters`, `body` and `stageVariables` are
 *   omitted when empty; `requestContext.stage` is `$default`.
 * - HTTP APIs decode the path: `rawPath` and `requestContext.http.path` are the decoded
 *   path (captured live in fastify/aws-lambda-fastify#169: `/a%2Fb` arrives as `/a/b`).
 * - Body encoding: HTTP APIs have no binaryMediaTypes; the body is sent as utf8 text only
 *   for `text/*`, `application/json`, `application/xml` and `application/javascript`,
 *   everything else (a missing Content-Type and `application/x-www-form-urlencoded`
 *   included) is base64 with `isBase64Encoded: true` (verified against AWS in
 *   ministackorg/ministack#766; AWS's docs only say "If the content type of the request is
 *   binary, the body is base64-encoded").
 * - `requestId` has AWS's short form (`JKJaXmPLvHcESHA=`), echoed as `apigw-requestid`.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { clfTime, domainPrefix, mediaType, parseQuery } from './common';
import { safeDecode } from './router';
import type { GatewayRequest } from './types';

export interface V2Target {
  apiId: string;
  accountId: string;
  /** `GET /users/{id}` or `$default`. */
  routeKey: string;
  pathParameters: Record<string, string> | null;
}

/** Whether an HTTP API passes this request body as text (else base64). */
export function isTextContentType(contentType: string | undefined): boolean {
  const mt = mediaType(contentType);
  if (mt.length === 0) return false;
  if (mt.startsWith('text/')) return true;
  return mt === 'application/json' || mt === 'application/xml' || mt === 'application/javascript';
}

export function buildV2Event(req: GatewayRequest, t: V2Target): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  let userAgent = '';
  let contentType: string | undefined;
  let hasTrace = false;
  let xff: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (lower === 'cookie') {
      cookies ??= [];
      for (const c of value.split(';')) {
        const trimmed = c.trim();
        if (trimmed.length > 0) cookies.push(trimmed);
      }
      continue;
    }
    if (lower === 'x-forwarded-for') {
      xff = xff === undefined ? value : xff + ', ' + value;
      continue;
    }
    if (lower === 'x-forwarded-port' || lower === 'x-forwarded-proto') continue;
    if (lower === 'x-amzn-trace-id') hasTrace = true;
    else if (lower === 'user-agent') userAgent = value;
    else if (lower === 'content-type') contentType = value;
    const prev = headers[lower];
    headers[lower] = prev === undefined ? value : prev + ',' + value;
  }
  if (!hasTrace) headers['x-amzn-trace-id'] = req.traceId;
  headers['x-forwarded-for'] = xff === undefined ? req.sourceIp : xff + ', ' + req.sourceIp;
  headers['x-forwarded-port'] = String(req.localPort);
  headers['x-forwarded-proto'] = req.scheme;

  let qs: Record<string, string> | undefined;
  if (req.rawQueryString.length > 0) {
    const pairs = parseQuery(req.rawQueryString);
    if (pairs.length > 0) {
      qs = {};
      for (const [k, v] of pairs) {
        const prev = qs[k];
        qs[k] = prev === undefined ? v : prev + ',' + v;
      }
    }
  }

  const path = safeDecode(req.rawPath);
  const host = req.host || `${t.apiId}.execute-api.localhost`;

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: t.routeKey,
    rawPath: path,
    rawQueryString: req.rawQueryString,
    headers,
    requestContext: {
      accountId: t.accountId,
      apiId: t.apiId,
      domainName: host,
      domainPrefix: domainPrefix(host),
      http: {
        method: req.method,
        path,
        protocol: req.protocol,
        sourceIp: req.sourceIp,
        userAgent,
      },
      requestId: req.requestId,
      routeKey: t.routeKey,
      stage: '$default',
      time: clfTime(req.timeEpoch),
      timeEpoch: req.timeEpoch,
    },
    isBase64Encoded: false,
  };
  if (cookies !== undefined) event.cookies = cookies;
  if (qs !== undefined) event.queryStringParameters = qs;
  if (t.pathParameters !== null) event.pathParameters = t.pathParameters;
  if (req.body !== null) {
    if (isTextContentType(contentType)) {
      event.body = req.body.toString('utf8');
    } else {
      event.body = req.body.toString('base64');
      event.isBase64Encoded = true;
    }
  }
  return event;
}
