/**
 * A live Nimbus with its AWS endpoint serving the Lambda API, and clients for
 * it. Until the composition root builds the endpoint itself, the helper
 * attaches one over the platform's Lambda backend (exactly what platform.ts
 * will do); once it does, the platform's own endpoint is used.
 */
import * as crypto from 'node:crypto';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsEndpoint, Credentials, attachAwsEndpoint, awsEndpointOf } from '../../../src/aws';
import type { Platform, PlatformOptions } from '../../../src/platform';
import { PlatformLambdaBackend } from '../../../src/platform-lambda';
import { lambdaService } from '../../../src/services/lambda/service';
import { startNimbus } from '../../helpers/nimbus';

export async function startLambdaNimbus(opts: PlatformOptions = {}): Promise<{ nimbus: Platform; endpoint: AwsEndpoint }> {
  const nimbus = await startNimbus(opts);
  let endpoint = awsEndpointOf(nimbus);
  if (!endpoint) {
    endpoint = new AwsEndpoint({
      services: [lambdaService(new PlatformLambdaBackend(nimbus))],
      credentials: new Credentials(),
      region: nimbus.opts.region,
      accountId: nimbus.accountId,
    });
    attachAwsEndpoint(nimbus, endpoint);
  }
  return { nimbus, endpoint };
}

export const ADMIN = { accessKeyId: 'test', secretAccessKey: 'test' };

export function lambdaClient(url: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = ADMIN): LambdaClient {
  return new LambdaClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
}

/** SHA-256 for @smithy/signature-v4, over node:crypto. */
export class Sha256 {
  private readonly h: crypto.Hash | crypto.Hmac;
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? crypto.createHash('sha256') : crypto.createHmac('sha256', toBuffer(secret));
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

function toBuffer(d: string | Uint8Array | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (d instanceof ArrayBuffer) return Buffer.from(d);
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

export function signer(o: { service?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; uriEscapePath?: boolean } = {}): SignatureV4 {
  return new SignatureV4({
    service: o.service ?? 'lambda',
    region: o.region ?? 'us-east-1',
    credentials: o.credentials ?? ADMIN,
    sha256: Sha256,
    uriEscapePath: o.uriEscapePath ?? true,
  });
}

export interface RawRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Signs a request (Authorization header) with @smithy/signature-v4 and sends it with fetch. */
export async function signedFetch(baseUrl: string, r: RawRequest, o: Parameters<typeof signer>[0] & { signingDate?: Date } = {}): Promise<Response> {
  const u = new URL(baseUrl);
  const headers: Record<string, string> = { host: u.host, ...(r.headers ?? {}) };
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  const signed = await signer(o).sign({ method: r.method, protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: r.path, query: r.query ?? {}, headers, body: r.body }, { signingDate: o.signingDate });
  return send(baseUrl, { ...r, headers: signed.headers as Record<string, string> }, signed.query as Record<string, string> | undefined);
}

/** A presigned URL for the request (query-string authentication). */
export async function presignedFetch(baseUrl: string, r: RawRequest, o: Parameters<typeof signer>[0] & { signingDate?: Date; expiresIn?: number } = {}): Promise<Response> {
  const u = new URL(baseUrl);
  const presigned = await signer(o).presign(
    { method: r.method, protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: r.path, query: r.query ?? {}, headers: { host: u.host, ...(r.headers ?? {}) }, body: r.body },
    { signingDate: o.signingDate, expiresIn: o.expiresIn },
  );
  return send(baseUrl, { ...r, headers: r.headers }, presigned.query as Record<string, string>);
}

function send(baseUrl: string, r: RawRequest, query: Record<string, string | string[]> | undefined): Promise<Response> {
  const qs = Object.entries(query ?? r.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  const headers = { ...(r.headers ?? {}) };
  delete headers.host;
  return fetch(`${baseUrl}${r.path}${qs ? '?' + qs : ''}`, { method: r.method, headers, body: r.body });
}
