/**
 * The AWS endpoint: one HTTP listener for every AWS-compatible service. For
 * each request it detects the service (SigV4 credential scope, `X-Amz-Target`,
 * REST route, `Action`), recognises the operation, verifies SigV4, decodes and
 * validates the input, calls the operation, and serializes the output or the
 * service error the way that service's protocol does. One request id per
 * request, echoed in that service's headers.
 *
 * Nothing here throws at the caller: every failure is an AWS-shaped response,
 * and an unexpected exception in a handler is the service's internal error.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { pipeline } from 'node:stream';
import { authenticate, authenticateHead, hasAuthentication, verifyFormSignature } from './auth';
import { validate } from './codec';
import { Credentials } from './credentials';
import { ServiceError, isServiceError } from './errors';
import { PROTOCOLS } from './protocols';
import type { Resolution } from './protocols/protocol';
import { restPathMatches } from './protocols/rest';
import { queryParams } from './protocols/query';
import { parseAuthorization, parseCredential, type ParsedAuthorization } from './sigv4';
import { PayloadAbortedError, createPayloadStream, type PayloadStreamHandle } from './stream';
import type { FormSignature, Operation, OperationContext, Principal, ServiceDefinition, ValidatedInput } from './types';
import { header, queryValue, wireRequestFromRaw, type WireRequest, type WireResponse } from './wire';
import { readCappedBody } from '../http-body';

export interface AwsEndpointOptions {
  /** The services this endpoint serves (each a folder under src/services/). */
  services: readonly ServiceDefinition[];
  /** Accepted keys (default: admin `test` / `test`, a random secret for session credentials). */
  credentials?: Credentials;
  region: string;
  accountId: string;
  /**
   * Verify SigV4 signatures, keys, tokens and clock skew (default true). With
   * false, any well-formed signature from any key is accepted: for purely local
   * use where tools sign with arbitrary keys.
   */
  enforceAuth?: boolean;
  /** The clock (tests). */
  now?: () => number;
  /** Where unexpected handler failures are reported (default console.error). */
  onInternalError?: (e: unknown, where: { service: string; operation?: string }) => void;
}

/** Which service a request is for, with the parsed Authorization header that told (parsed once per request). */
interface Detected {
  service: ServiceDefinition | null;
  scopeName?: string;
  authorization?: ParsedAuthorization | { problems: string[] };
  /** Told by the signature's scope or X-Amz-Target alone: the body (a query `Action`) cannot change the answer. */
  final: boolean;
}

/** Bodies of requests whose service is unknown are read up to this. */
const DEFAULT_MAX_BODY = 1024 * 1024;

export class AwsEndpoint {
  readonly credentials: Credentials;
  readonly region: string;
  readonly accountId: string;
  readonly enforceAuth: boolean;
  private readonly services: readonly ServiceDefinition[];
  private readonly bySigningName = new Map<string, ServiceDefinition>();
  private readonly byTargetPrefix = new Map<string, ServiceDefinition>();
  /** Services with a `streamingInput` operation: only their requests are resolved from the head before the body is read. */
  private readonly streaming = new Set<ServiceDefinition>();
  private readonly now: () => number;
  private readonly onInternalError: (e: unknown, where: { service: string; operation?: string }) => void;

  constructor(opts: AwsEndpointOptions) {
    this.services = opts.services;
    this.credentials = opts.credentials ?? new Credentials();
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.enforceAuth = opts.enforceAuth ?? true;
    this.now = opts.now ?? Date.now;
    this.onInternalError = opts.onInternalError ?? ((e, w) => console.error(`nimbus: internal error in ${w.service}${w.operation ? '.' + w.operation : ''}:`, e));
    for (const s of opts.services) {
      this.bySigningName.set(s.signingName, s);
      if (s.targetPrefix) this.byTargetPrefix.set(s.targetPrefix, s);
      if ((Object.values(s.operations) as Operation[]).some((op) => op.streamingInput === true)) this.streaming.add(s);
    }
  }

  /** The HTTP listener. Never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.on('error', ignore);
    res.on('error', ignore);
    const url = rawUrl(req.url ?? '/');
    const head = wireRequestFromRaw(req.method ?? 'GET', url, req.rawHeaders);
    const detected = this.sniff(head);
    if (detected.service?.cors !== undefined && head.method === 'OPTIONS') {
      // A browser's preflight: answered from the service's CORS rules, never signed, body ignored.
      req.resume();
      const service = detected.service;
      void this.preflight(service, head).then((r) => this.write(res, head.method, r, false));
      return;
    }
    if (detected.service !== null && this.streaming.has(detected.service)) {
      const routed = routedRequest(detected.service, head);
      const streamed = this.streamedOperation(detected.service, routed);
      if (streamed) {
        void this.handleStreaming(req, res, head, routed, detected, streamed.op, streamed.labels);
        return;
      }
    }
    const limit = detected.service?.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      // Do not read (or wait for) an upload we will refuse: answer and close.
      this.write(res, head.method, this.tooLarge(detected.service, limit), true);
      req.resume();
      return;
    }
    void readCappedBody(req, limit).then((body) => {
      if (body === null) {
        this.write(res, head.method, this.tooLarge(detected.service, limit), false);
        return;
      }
      const wire: WireRequest = { ...head, body };
      this.dispatchDetected(wire, detected.final ? detected : this.sniff(wire)).then(
        (r) => this.write(res, head.method, r, false),
        (e: unknown) => {
          this.onInternalError(e, { service: detected.service?.signingName ?? 'unknown' });
          this.write(res, head.method, { status: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal error"}' }, false);
        },
      );
    }, () => res.destroy());
  }

  /** The streaming operation a request head is for, if it is for one. */
  private streamedOperation(service: ServiceDefinition, head: WireRequest): { op: Operation; labels: ReadonlyMap<string, string> } | null {
    let resolution: Resolution;
    try {
      resolution = PROTOCOLS[service.protocol].resolve(service, head);
    } catch {
      // A malformed path: the buffered path answers it.
      return null;
    }
    return resolution.kind === 'operation' && resolution.op.streamingInput === true ? { op: resolution.op, labels: resolution.labels } : null;
  }

  /**
   * A `streamingInput` operation: authenticate the head, hand the handler the
   * body as a PayloadStream (decoded and verified as it is read, with
   * backpressure), answer once it returns. Whatever the handler left unread is
   * drained (or the connection closed) so that the client gets the answer.
   */
  private async handleStreaming(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    head: WireRequest,
    routed: WireRequest,
    detected: Detected,
    op: Operation,
    labels: ReadonlyMap<string, string>,
  ): Promise<void> {
    const service = detected.service!;
    const codec = PROTOCOLS[service.protocol];
    const requestId = crypto.randomUUID();
    let stream: PayloadStreamHandle | undefined;
    let response: WireResponse;
    try {
      // An operation that authenticates from its body (S3 POST's signed policy) may come unsigned.
      const auth =
        op.formAuthenticated === true && !hasAuthentication(head)
          ? { principal: ANONYMOUS, payload: UNVERIFIED_PLAIN }
          : authenticateHead(service, head, {
              credentials: this.credentials,
              enforce: this.enforceAuth,
              now: this.now(),
              parsedAuthorization: detected.authorization,
            });
      const input = codec.parseInput(service, op, routed, labels, EMPTY_BODY);
      validate(op.input, input);
      // Not `for await (... of req)`: returning early from that destroys the socket we still answer on.
      stream = createPayloadStream(req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>, { head, plan: auth.payload, authErrors: service.authErrors });
      const member = payloadMember(op);
      const streamed: Record<string, unknown> = input;
      if (member !== undefined) streamed[member] = stream;
      const ctx: OperationContext = {
        requestId,
        principal: auth.principal,
        traceId: header(head, 'x-amzn-trace-id'),
        region: this.region,
        accountId: this.accountId,
        service: service.signingName,
        operation: op.name,
        ...(op.formAuthenticated === true ? { verifyFormSignature: (f: FormSignature) => this.verifyForm(service, f) } : {}),
      };
      const output = await op.run(input as unknown as ValidatedInput, ctx);
      // Never acknowledge a body that failed verification, whatever the handler did with it.
      if (stream.ended) await stream.done();
      response = codec.serializeOutput(service, op, output, requestId);
    } catch (e) {
      if (stream?.aborted || e instanceof PayloadAbortedError || req.socket.destroyed) {
        // The client is gone: nobody to answer.
        res.destroy();
        return;
      }
      let err: ServiceError;
      if (isServiceError(e)) err = e;
      else {
        this.onInternalError(e, { service: service.signingName, operation: op.name });
        err = service.internalError(e);
      }
      response = codec.serializeError(service, err, requestId);
    }
    if (service.cors !== undefined) response = await this.withCors(service, routed, response);
    if (res.destroyed) return;
    // Body left unread (an error before or while reading it, or a handler that
    // did not need it): drop the rest, and close rather than wait for it.
    const unread = !req.complete;
    if (unread) req.resume();
    this.write(res, head.method, response, unread);
  }

  /** The whole pipeline on plain data. Never rejects for AWS-level failures (they are responses). */
  dispatch(req: WireRequest): Promise<WireResponse> {
    return this.dispatchDetected(req, this.sniff(req));
  }

  private dispatchDetected(req: WireRequest, detected: Detected): Promise<WireResponse> {
    const requestId = crypto.randomUUID();
    const { service, scopeName } = detected;
    if (!service) return Promise.resolve(noService(requestId, scopeName));
    const codec = PROTOCOLS[service.protocol];
    // Routing sees a virtual-hosted request path-style; SigV4 sees it as sent.
    const routed = routedRequest(service, req);
    const response = this.dispatchRouted(service, codec, req, routed, detected, requestId);
    // Not one more await on the hot path of services without CORS rules.
    return service.cors !== undefined ? response.then((r) => this.withCors(service, routed, r)) : response;
  }

  private async dispatchRouted(
    service: ServiceDefinition,
    codec: (typeof PROTOCOLS)[keyof typeof PROTOCOLS],
    req: WireRequest,
    routed: WireRequest,
    detected: Detected,
    requestId: string,
  ): Promise<WireResponse> {
    let operation: string | undefined;
    try {
      const resolution = codec.resolve(service, routed);
      if (resolution.kind !== 'operation') return codec.unknownOperation(service, requestId, resolution, routed);
      const { op, labels } = resolution;
      operation = op.name;
      const auth = authenticate(service, req, {
        credentials: this.credentials,
        enforce: this.enforceAuth,
        now: this.now(),
        parsedAuthorization: detected.authorization,
      });
      const input = codec.parseInput(service, op, routed, labels, auth.body);
      validate(op.input, input);
      const ctx: OperationContext = {
        requestId,
        principal: auth.principal,
        traceId: header(req, 'x-amzn-trace-id'),
        region: this.region,
        accountId: this.accountId,
        service: service.signingName,
        operation: op.name,
      };
      // The one cast: `input` has just been validated against `op.input`.
      const output = await op.run(input as unknown as ValidatedInput, ctx);
      return codec.serializeOutput(service, op, output, requestId);
    } catch (e) {
      let err: ServiceError;
      if (isServiceError(e)) err = e;
      else {
        this.onInternalError(e, { service: service.signingName, operation });
        err = service.internalError(e);
      }
      return codec.serializeError(service, err, requestId);
    }
  }

  /** Which service a request is for, and the signing name its credential scope gives (if any). */
  detect(req: WireRequest): { service: ServiceDefinition | null; scopeName?: string } {
    const { service, scopeName } = this.sniff(req);
    return scopeName === undefined ? { service } : { service, scopeName };
  }

  private sniff(req: WireRequest): Detected {
    const { scopeName, authorization } = scopeService(req);
    const target = header(req, 'x-amz-target');
    // Two services can share a signing name (DynamoDB and DynamoDB Streams both
    // sign as `dynamodb`); their X-Amz-Target prefixes tell them apart.
    const byTarget = target !== undefined ? this.byTargetPrefix.get(target.slice(0, target.lastIndexOf('.'))) : undefined;
    if (scopeName !== undefined) {
      if (byTarget && byTarget.signingName === scopeName) return { service: byTarget, scopeName, authorization, final: true };
      return { service: this.bySigningName.get(scopeName) ?? null, scopeName, authorization, final: true };
    }
    if (byTarget) return { service: byTarget, authorization, final: true };
    if (queryValue(req, 'Action') !== undefined || (req.method === 'POST' && queryParams(req).has('Action'))) {
      const s = this.services.find((x) => x.protocol === 'awsQuery');
      if (s) return { service: s, authorization, final: false };
    }
    // Unsigned requests (presigned URLs carry a scope): a virtual host names its service, then the REST path does.
    const host = header(req, 'host');
    if (host !== undefined) {
      for (const s of this.services) if (s.virtualHost?.(host) != null) return { service: s, authorization, final: false };
    }
    const preflight = req.method === 'OPTIONS';
    for (const s of this.services) {
      if (preflight && s.cors === undefined) continue;
      if ((s.protocol === 'restJson1' || s.protocol === 'restXml') && restPathMatches(s, req)) return { service: s, authorization, final: false };
    }
    return { service: this.services.length === 1 ? this.services[0]! : null, authorization, final: false };
  }

  /** A CORS preflight, answered by the service's rules: 200 with its headers, or its refusal. */
  private async preflight(service: ServiceDefinition, head: WireRequest): Promise<WireResponse> {
    const requestId = crypto.randomUUID();
    const codec = PROTOCOLS[service.protocol];
    try {
      const headers = await service.cors!.preflight(routedRequest(service, head));
      return { status: 200, headers: { ...service.requestIdHeaders?.(requestId), ...headers }, body: '' };
    } catch (e) {
      let err: ServiceError;
      if (isServiceError(e)) err = e;
      else {
        this.onInternalError(e, { service: service.signingName, operation: 'OPTIONS' });
        err = service.internalError(e);
      }
      return codec.serializeError(service, err, requestId);
    }
  }

  /** Adds the service's CORS headers to the answer of a request that carries `Origin` (success or error alike). */
  private async withCors(service: ServiceDefinition, routed: WireRequest, r: WireResponse): Promise<WireResponse> {
    if (!routed.headers.has('origin')) return r;
    try {
      Object.assign(r.headers, await service.cors!.responseHeaders(routed));
    } catch (e) {
      // The answer stands without CORS headers: a browser then refuses it, which is the safe side.
      this.onInternalError(e, { service: service.signingName, operation: 'CORS' });
    }
    return r;
  }

  private verifyForm(service: ServiceDefinition, f: FormSignature): Principal {
    return verifyFormSignature(service, f, { credentials: this.credentials, enforce: this.enforceAuth, now: this.now() });
  }

  private tooLarge(service: ServiceDefinition | null, limit: number): WireResponse {
    const requestId = crypto.randomUUID();
    if (!service) return noService(requestId, undefined);
    const err = new ServiceError('RequestEntityTooLargeException', 413, `Request must be smaller than ${limit} bytes for the ${service.signingName} service`);
    return PROTOCOLS[service.protocol].serializeError(service, err, requestId);
  }

  private write(res: http.ServerResponse, method: string, r: WireResponse, close: boolean): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (r.stream) {
      this.writeStream(res, method, r, r.stream, close);
      return;
    }
    // A string body goes to Node as is: it sends the head and a string body in
    // one write, where a Buffer would first be copied out of the string.
    const length = typeof r.body === 'string' ? Buffer.byteLength(r.body, 'utf8') : r.body.length;
    // The response is ours alone by now: add to its headers rather than copy them.
    const headers = r.headers;
    // HEAD answers with the length a GET would have (S3 HeadObject's Content-Length member), and no body.
    if (method !== 'HEAD' || headers['content-length'] === undefined) headers['content-length'] = String(length);
    if (close) headers.connection = 'close';
    res.writeHead(r.status, headers);
    if (method === 'HEAD') res.end();
    else if (typeof r.body === 'string') res.end(r.body, 'utf8');
    else res.end(r.body);
  }

  /**
   * Pipes a streamed body with backpressure. Its length is the handler's (a
   * Content-Length member); without one Node sends it chunked. A failure after
   * the head went out can only cut the connection: the client sees a short
   * body, never a complete-looking wrong one.
   */
  private writeStream(res: http.ServerResponse, method: string, r: WireResponse, source: AsyncIterable<Uint8Array>, close: boolean): void {
    const headers = r.headers;
    if (close) headers.connection = 'close';
    res.writeHead(r.status, headers);
    if (method === 'HEAD') {
      res.end();
      closeSource(source);
      return;
    }
    pipeline(source, res, (err) => {
      if (err) res.destroy();
    });
  }
}

/** Releases a stream that will not be read (HEAD): a Readable is destroyed (its file closed), an iterator returned. */
function closeSource(source: AsyncIterable<Uint8Array>): void {
  const destroy = (source as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') {
    (destroy as () => void).call(source);
    return;
  }
  void source[Symbol.asyncIterator]().return?.()?.catch?.(() => undefined);
}

const EMPTY_BODY = Buffer.alloc(0);
const ANONYMOUS: Principal = { kind: 'anonymous', accessKeyId: '' };
/** The body of an unsigned `formAuthenticated` request: read as it is, verified by nothing but its own form. */
const UNVERIFIED_PLAIN = { encoding: 'plain', chunkSigning: null, signedTrailer: false } as const;

/**
 * The request as the service's routes see it: a virtual-hosted-style request
 * (`Host: <bucket>.s3.amazonaws.com`, `/<key>`) becomes `/<bucket>/<key>`.
 * Only the path changes; the signature is checked on the request as sent.
 */
function routedRequest(service: ServiceDefinition, req: WireRequest): WireRequest {
  if (service.virtualHost === undefined) return req;
  const host = header(req, 'host');
  const first = host === undefined ? null : service.virtualHost(host);
  if (first === null) return req;
  return { ...req, path: req.path === '' || req.path === '/' ? `/${first}` : `/${first}${req.path.startsWith('/') ? '' : '/'}${req.path}` };
}

/** The blob `payload` member of a streaming operation (the one that gets the PayloadStream), cached per operation. */
const payloadMembers = new WeakMap<Operation, string | undefined>();

function payloadMember(op: Operation): string | undefined {
  if (payloadMembers.has(op)) return payloadMembers.get(op);
  let found: string | undefined;
  for (const [name, m] of Object.entries(op.input.members)) if (m.location === 'payload' && m.shape.kind === 'blob') found = name;
  payloadMembers.set(op, found);
  return found;
}

/** For 'error' events that the response already deals with (one function, not a closure per request). */
function ignore(): void {}

/** `http://host/path?q` (absolute-form) -> `/path?q`. */
function rawUrl(url: string): string {
  if (url.startsWith('/')) return url;
  const m = /^[a-z]+:\/\/[^/?]*(.*)$/i.exec(url);
  return m ? m[1] || '/' : '/' + url;
}

/** The service name of the SigV4 credential scope, from the Authorization header or a presigned query. */
function scopeService(req: WireRequest): { scopeName?: string; authorization?: ParsedAuthorization | { problems: string[] } } {
  let credential: string | undefined;
  let authorization: ParsedAuthorization | { problems: string[] } | undefined;
  const auth = header(req, 'authorization');
  if (auth !== undefined && auth.trim().startsWith('AWS4-')) {
    authorization = parseAuthorization(auth);
    if (!('problems' in authorization)) credential = authorization.credential;
  } else {
    credential = queryValue(req, 'X-Amz-Credential');
  }
  if (credential === undefined) return { authorization };
  const c = parseCredential(credential);
  return { scopeName: 'problem' in c ? undefined : c.service, authorization };
}

/** A request for a service Nimbus does not have (yet). */
function noService(requestId: string, scopeName: string | undefined): WireResponse {
  const message = scopeName ? `Nimbus does not implement the AWS service '${scopeName}' yet` : 'Nimbus could not tell which AWS service this request is for';
  return {
    status: 404,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': 'UnknownOperationException' },
    body: JSON.stringify({ __type: 'UnknownOperationException', message }),
  };
}

/**
 * The platform's AWS endpoint, looked up by the HTTP server that also serves the
 * control API (src/control/control-api.ts routes every non-`/_nimbus/` request
 * here). The composition root attaches its endpoint to itself once.
 */
const attached = new WeakMap<object, AwsEndpoint>();

export function attachAwsEndpoint(host: object, endpoint: AwsEndpoint): void {
  attached.set(host, endpoint);
}

/** The endpoint attached to a host, if any. */
export function awsEndpointOf(host: object): AwsEndpoint | undefined {
  return attached.get(host);
}

export function handleAwsRequest(host: object, req: http.IncomingMessage, res: http.ServerResponse): void {
  const endpoint = attached.get(host);
  if (endpoint) {
    endpoint.handle(req, res);
    return;
  }
  // No endpoint attached (a host that serves no AWS services): the answer Nimbus gave before it had any.
  req.resume();
  res.on('error', () => undefined);
  const body = JSON.stringify({ __type: 'UnrecognizedClientException', message: 'The AWS endpoint is not available on this Nimbus' });
  res.writeHead(404, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(body);
}
