import type { CorsConfig, HttpRoute } from '../app/stack';

/**
 * One API the gateway serves. A serverless.yml app usually has a REST API (`http` events)
 * and/or an HTTP API (`httpApi` events); one GatewayApi may carry routes of both kinds
 * (each route's `kind` decides its payload format and URL shape).
 */
export interface GatewayApi {
  /** API id: the `<apiId>` of `<apiId>.execute-api.localhost`, and `requestContext.apiId`. */
  id: string;
  name: string;
  /** REST stage (`dev`): REST routes answer at `/<path>` and `/<stage>/<path>`. HTTP API routes use `$default`. */
  stage: string;
  routes: HttpRoute[];
  /** provider.httpApi.cors, applied to the HTTP API routes of this API; null when off. */
  httpApiCors: CorsConfig | null;
  /**
   * REST only: provider.apiGateway.binaryMediaTypes. AWS's default is none, so REST
   * request bodies reach the function as utf8 text and `isBase64Encoded: true` responses
   * are sent as the literal base64 text. Omitted = [].
   */
  binaryMediaTypes?: string[];
}

/** The request facts both payload builders read. Built once per request by the gateway. */
export interface GatewayRequest {
  /** Upper-case method as received. */
  method: string;
  /** Request path as received: percent-encoded, without the query string. */
  rawPath: string;
  /** Query string as received, without `?` ('' when none). */
  rawQueryString: string;
  /** node's `req.rawHeaders`: [name, value, name, value, ...] with the client's casing and order. */
  rawHeaders: string[];
  /** Request body; null when the request has none. */
  body: Buffer | null;
  sourceIp: string;
  /** `HTTP/1.1` */
  protocol: string;
  /** Host header value ('' when absent). */
  host: string;
  /** Port the gateway received the request on (X-Forwarded-Port). */
  localPort: number;
  /** Scheme the gateway received the request on (X-Forwarded-Proto). */
  scheme: string;
  /** REST: a UUID. HTTP API: the short form AWS uses (`JKJaXmPLvHcESHA=`). */
  requestId: string;
  /** REST `extendedRequestId` / `x-amz-apigw-id` (short form). */
  extendedRequestId: string;
  /** ms since epoch when the request arrived. */
  timeEpoch: number;
  /** X-Amzn-Trace-Id of this request (incoming, or a new root). */
  traceId: string;
}

/** What the gateway sends back: status, headers (node's OutgoingHttpHeaders shape) and body. */
export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
}

/** Lambda's synchronous invocation payload limit, request and response (6 MB). */
export const LAMBDA_SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/** API Gateway's request payload limit (10 MB), REST and HTTP APIs. */
export const API_PAYLOAD_LIMIT = 10 * 1024 * 1024;
