/**
 * The keys Nimbus accepts: one admin key pair from configuration (default
 * `test` / `test`, as local AWS tooling expects) and short-lived session
 * credentials issued to functions (`ASIA...` key, secret, session token,
 * expiration), as Lambda hands its execution role's credentials to a function.
 *
 * Session credentials are stateless: the token carries the key id, principal
 * and expiry under an HMAC with the store's secret, and the secret access key
 * is derived from the token. Any node holding the same secret verifies them, a
 * restart does not invalidate them, and nothing needs storing or expiring.
 */
import * as crypto from 'node:crypto';
import type { Principal } from './types';

export interface CredentialsOptions {
  /** Admin access key id (default `test`). */
  accessKeyId?: string;
  /** Admin secret access key (default `test`). */
  secretAccessKey?: string;
  /** Key for session credentials. Give the same value to every node (and across restarts); default: random per process. */
  secret?: string | Buffer;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export type IssuablePrincipal = { kind: 'function'; functionName: string };

export type Resolution =
  | { ok: true; secretAccessKey: string; principal: Principal; expiration?: number; needsToken: boolean }
  | { ok: false; reason: 'unknown-key' };

interface TokenBody {
  v: 1;
  k: string;
  p: IssuablePrincipal;
  e: number;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class Credentials {
  readonly adminAccessKeyId: string;
  private readonly adminSecret: string;
  private readonly secret: Buffer;

  constructor(opts: CredentialsOptions = {}) {
    this.adminAccessKeyId = opts.accessKeyId ?? 'test';
    this.adminSecret = opts.secretAccessKey ?? 'test';
    this.secret = opts.secret === undefined ? crypto.randomBytes(32) : Buffer.from(opts.secret);
  }

  /** Issues session credentials for a principal, valid for `ttlMs`. */
  issue(principal: IssuablePrincipal, ttlMs: number): IssuedCredentials {
    const bytes = crypto.randomBytes(16);
    const accessKeyId = 'ASIA' + Array.from(bytes, (b) => KEY_ALPHABET[b % 32]).join('');
    const expiration = Date.now() + ttlMs;
    const body: TokenBody = { v: 1, k: accessKeyId, p: principal, e: expiration };
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    const sessionToken = `${payload}.${this.mac('token:' + payload)}`;
    return { accessKeyId, secretAccessKey: this.deriveSecret(payload), sessionToken, expiration: new Date(expiration) };
  }

  /**
   * The secret and principal of a key. Session keys need their token to be
   * resolved; a missing, forged or foreign token resolves as an unknown key,
   * which is what AWS answers for an invalid token. Expiry is the caller's to
   * check (after the signature, as AWS does).
   */
  resolve(accessKeyId: string, sessionToken: string | undefined): Resolution {
    if (accessKeyId === this.adminAccessKeyId) {
      return { ok: true, secretAccessKey: this.adminSecret, principal: { kind: 'admin', accessKeyId }, needsToken: false };
    }
    if (sessionToken === undefined) return { ok: false, reason: 'unknown-key' };
    const dot = sessionToken.indexOf('.');
    if (dot < 0) return { ok: false, reason: 'unknown-key' };
    const payload = sessionToken.slice(0, dot);
    const given = Buffer.from(sessionToken.slice(dot + 1));
    const expected = Buffer.from(this.mac('token:' + payload));
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'unknown-key' };
    let body: TokenBody;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenBody;
    } catch {
      return { ok: false, reason: 'unknown-key' };
    }
    if (body.v !== 1 || body.k !== accessKeyId || body.p?.kind !== 'function') return { ok: false, reason: 'unknown-key' };
    return {
      ok: true,
      secretAccessKey: this.deriveSecret(payload),
      principal: { kind: 'function', functionName: body.p.functionName, accessKeyId },
      expiration: body.e,
      needsToken: true,
    };
  }

  private mac(data: string): string {
    return crypto.createHmac('sha256', this.secret).update(data).digest('base64url');
  }

  private deriveSecret(payload: string): string {
    return this.mac('secret:' + payload).slice(0, 40);
  }
}
