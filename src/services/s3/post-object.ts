/**
 * PostObject: browser-based uploads with a signed POST policy ("Browser-based
 * uploads using POST (AWS Signature Version 4)", "Creating a POST policy",
 * "POST Object" in the S3 API reference). `POST /<bucket>` (or `/` on the
 * bucket's virtual host) with a multipart/form-data body: the fields, then
 * `file`, which must come last (S3 ignores what follows it).
 *
 * The request carries no SigV4 header: `x-amz-signature` is the HMAC of the
 * base64 policy under the signing key of `x-amz-credential`, checked before
 * anything else. Then the policy: not expired, every condition met (exact
 * `{"field": value}` and `["eq", "$field", value]`, `["starts-with",
 * "$field", prefix]`, `["content-length-range", min, max]`), and every form
 * field named by some condition but `policy`, `x-amz-signature`, `file` and
 * `x-ignore-*` ("Each form field that you specify in a form (except
 * x-amz-signature, file, policy, and field names that have an x-ignore-
 * prefix) must appear in the list of conditions"). Field names are
 * case-insensitive. Only then is the file streamed into a blob (counted and
 * hashed as it passes, never buffered); its size is checked against
 * content-length-range.
 *
 * Error wording is S3's as recorded by projects that test against it (MinIO's
 * and Ceph's post-policy tests, S3's error code list): AccessDenied "Invalid
 * according to Policy: Policy expired." / "...: Policy Condition failed:
 * ["eq", "$key", "x"]" / "...: Extra input fields: x", InvalidPolicyDocument
 * "Invalid Policy: ...", EntityTooSmall / EntityTooLarge, InvalidArgument
 * "POST requires exactly one file upload per request.", MalformedPOSTRequest,
 * MaxPostPreDataLengthExceededError.
 */
import { createHash } from 'node:crypto';
import { blob, defineOperation, header, label, member, payload, responseCode, ServiceError, str, struct, type Operation } from '../../aws';
import { parseXml } from '../../aws/xml';
import type { ObjectMeta, S3Engine } from './engine';
import { accessDenied, entityTooLarge, invalidArgument } from './errors';
import { MalformedFormError, MultipartReader, formBoundary, type FormPartHead } from './form-data';
import { checkKey } from './names';
import { metaFromInput } from './object-headers';
import { tagsFromSet } from './object-tagging';
import { objectEvents } from './put-object';

/** S3's limit on the fields before the file ("MaxPostPreDataLengthExceededError": 20 KB). */
const MAX_PRE_DATA = 20 * 1024;
/** After the file, S3 ignores the rest of the form: read (and drop) this much of it at most. */
const MAX_TRAILING = 1024 * 1024;

function s3(code: string, status: number, message: string, fields: Record<string, string | number> = {}): ServiceError {
  return new ServiceError(code, status, message, { fields, messageKey: 'Message' });
}

const malformedPost = () => s3('MalformedPOSTRequest', 400, 'The body of your POST request is not well-formed multipart/form-data.');
const policyDenied = (detail: string) => accessDenied(`Invalid according to Policy: ${detail}`);
const invalidPolicy = (detail: string) => s3('InvalidPolicyDocument', 400, `Invalid Policy: ${detail}`);
const missingField = (name: string) => invalidArgument(`Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, name, '');
const entityTooSmall = (size: number, min: number) => s3('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: size, MinSizeAllowed: min });

/** Fields that never need a condition. */
function exempt(name: string): boolean {
  return name === 'policy' || name === 'x-amz-signature' || name === 'file' || name.startsWith('x-ignore-');
}

interface Policy {
  expiration: number;
  conditions: unknown[];
}

function parsePolicy(base64: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('Invalid JSON.');
  const o = doc as Record<string, unknown>;
  if (o.expiration === undefined) throw invalidPolicy('Missing expiration.');
  const expiration = typeof o.expiration === 'string' ? Date.parse(o.expiration) : NaN;
  if (Number.isNaN(expiration)) throw invalidPolicy('Invalid expiration.');
  if (!Array.isArray(o.conditions)) throw invalidPolicy('Missing conditions.');
  return { expiration, conditions: o.conditions };
}

/** `["eq", "$key", "x"]`: how S3 prints a failed condition. */
function printed(op: string, name: string, value: string): string {
  return `[${JSON.stringify(op)}, ${JSON.stringify('$' + name)}, ${JSON.stringify(value)}]`;
}

interface Checked {
  /** Field names (lower case) some condition names. */
  covered: Set<string>;
  range: { min: number; max: number } | null;
}

/** Evaluates the conditions but content-length-range (returned: it needs the file's size). */
function checkConditions(conditions: unknown[], value: (name: string) => string): Checked {
  const covered = new Set<string>();
  let range: { min: number; max: number } | null = null;
  const test = (op: string, rawName: string, expected: string): void => {
    const name = rawName.toLowerCase();
    covered.add(name);
    const actual = value(name);
    const opl = op.toLowerCase();
    let ok: boolean;
    if (opl === 'eq') ok = actual === expected;
    // Content-Type may list several types: each must match ("Condition matching", S3 API reference).
    else if (opl === 'starts-with') ok = name === 'content-type' ? actual.split(',').every((t) => t.trim().startsWith(expected)) : actual.startsWith(expected);
    else throw invalidPolicy(`Invalid Condition: unknown operation ${JSON.stringify(op)}.`);
    if (!ok) throw policyDenied(`Policy Condition failed: ${printed(op, rawName, expected)}`);
  };
  for (const c of conditions) {
    if (Array.isArray(c)) {
      const [op, a, b] = c as unknown[];
      if (typeof op === 'string' && op.toLowerCase() === 'content-length-range') {
        const min = Number(a);
        const max = Number(b);
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) throw invalidPolicy('Invalid content-length-range.');
        range = range ? { min: Math.max(range.min, min), max: Math.min(range.max, max) } : { min, max };
        continue;
      }
      if (c.length !== 3 || typeof op !== 'string' || typeof a !== 'string' || !a.startsWith('$') || typeof b !== 'string') throw invalidPolicy('Invalid Condition.');
      test(op, a.slice(1), b);
    } else if (typeof c === 'object' && c !== null) {
      const entries = Object.entries(c as Record<string, unknown>);
      if (entries.length !== 1) throw invalidPolicy('Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.');
      const [name, v] = entries[0]!;
      if (typeof v !== 'string') throw invalidPolicy('Invalid Simple-Condition: value must be a string.');
      test('eq', name, v);
    } else {
      throw invalidPolicy('Invalid Condition.');
    }
  }
  return { covered, range };
}

/** The `tagging` field: a `<Tagging><TagSet><Tag><Key/><Value/></Tag>...` document, as PutObjectTagging takes it. */
function tagsOf(xml: string): Record<string, string> {
  let root;
  try {
    root = parseXml(xml);
  } catch {
    throw s3('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
  }
  const set = root.children.find((c) => c.name === 'TagSet')?.children.filter((c) => c.name === 'Tag') ?? [];
  return tagsFromSet(set.map((t) => ({ Key: t.children.find((c) => c.name === 'Key')?.text ?? '', Value: t.children.find((c) => c.name === 'Value')?.text ?? '' })));
}

function objectUrl(host: string | undefined, bucket: string, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  const h = host ?? 's3.amazonaws.com';
  return h.toLowerCase().startsWith(`${bucket}.`) ? `http://${h}/${path}` : `http://${h}/${bucket}/${path}`;
}

export function postObject(engine: S3Engine): Operation<'PostObject'> {
  return defineOperation({
    name: 'PostObject',
    http: { method: 'POST', path: '/{Bucket}', code: 204 },
    streamingInput: true,
    formAuthenticated: true,
    input: struct({
      Bucket: label(str()),
      ContentType: header('Content-Type', str()),
      Host: header('Host', str()),
      Body: payload(blob()),
    }),
    output: struct({
      Status: responseCode(),
      ETag: header('ETag', str()),
      Location: header('Location', str()),
      ServerSideEncryption: header('x-amz-server-side-encryption', str()),
      Document: payload(struct({ Location: member(str()), Bucket: member(str()), Key: member(str()), ETag: member(str()) })),
    }),
    xmlRoot: { output: 'PostResponse' },
    handler: async (i, ctx) => {
      const boundary = formBoundary(i.ContentType);
      if (boundary === null) throw malformedPost();
      await engine.bucket(i.Bucket);
      const reader = new MultipartReader(i.Body, boundary);
      // Lower-cased names -> values, and the names as sent, in order (S3 keeps the first of a repeated field).
      const fields = new Map<string, string>();
      const names: string[] = [];
      let file: FormPartHead | null = null;
      let preData = 0;
      try {
        for (let part = await reader.next(); part !== null; part = await reader.next()) {
          if (part.name.toLowerCase() === 'file') {
            file = part;
            break;
          }
          const v = await reader.text(MAX_PRE_DATA - preData);
          preData += part.name.length + (v?.length ?? MAX_PRE_DATA);
          if (v === null || preData > MAX_PRE_DATA) {
            throw s3('MaxPostPreDataLengthExceededError', 400, 'Your POST request fields preceding the upload file were too large.', { MaxPostPreDataLength: MAX_PRE_DATA });
          }
          const k = part.name.toLowerCase();
          if (!fields.has(k)) {
            fields.set(k, v);
            names.push(part.name);
          }
        }
      } catch (e) {
        throw e instanceof MalformedFormError ? malformedPost() : e;
      }
      if (file === null) throw invalidArgument('POST requires exactly one file upload per request.', 'file', '0');

      // Authentication: the signature over the policy, before the policy is read.
      const policyText = fields.get('policy');
      if (policyText === undefined) throw accessDenied();
      for (const f of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature']) if (!fields.has(f)) throw missingField(f);
      const principal = ctx.verifyFormSignature!({
        algorithm: fields.get('x-amz-algorithm')!,
        credential: fields.get('x-amz-credential')!,
        amzDate: fields.get('x-amz-date')!,
        signature: fields.get('x-amz-signature')!,
        stringToSign: policyText,
        ...(fields.has('x-amz-security-token') ? { securityToken: fields.get('x-amz-security-token')! } : {}),
      });
      const rawKey = fields.get('key');
      if (rawKey === undefined || rawKey === '') throw missingField('key');
      const key = rawKey.split('${filename}').join(file.filename ?? '');
      checkKey(key);

      const policy = parsePolicy(policyText);
      if (policy.expiration < Date.now()) throw policyDenied('Policy expired.');
      const { covered, range } = checkConditions(policy.conditions, (name) => (name === 'bucket' ? i.Bucket : name === 'key' ? key : (fields.get(name) ?? '')));
      const extra = names.find((n) => !exempt(n.toLowerCase()) && !covered.has(n.toLowerCase()));
      if (extra !== undefined) throw policyDenied(`Extra input fields: ${extra}`);

      const g = (n: string): string | undefined => fields.get(n);
      const metadata: Record<string, string> = {};
      for (const [k, v] of fields) if (k.startsWith('x-amz-meta-')) metadata[k.slice('x-amz-meta-'.length)] = v;
      const meta: ObjectMeta = metaFromInput({
        ContentType: g('content-type'),
        CacheControl: g('cache-control'),
        ContentDisposition: g('content-disposition'),
        ContentEncoding: g('content-encoding'),
        Expires: g('expires'),
        StorageClass: g('x-amz-storage-class'),
        Metadata: metadata,
      });
      const tagging = g('tagging');
      if (tagging !== undefined && tagging.trim() !== '') {
        const tags = tagsOf(tagging);
        if (Object.keys(tags).length > 0) meta.tags = tags;
      }

      // The file: counted and hashed as it streams into a blob; past the policy's maximum nothing more is kept.
      const md5 = createHash('md5');
      let size = 0;
      let tooLarge = false;
      const body = reader.body();
      async function* kept(): AsyncGenerator<Buffer> {
        for await (const piece of body) {
          size += piece.length;
          if (range && size > range.max) {
            tooLarge = true;
            return;
          }
          md5.update(piece);
          yield piece;
        }
      }
      let written: { id: string; size: number };
      try {
        written = await engine.blobs.write(kept());
        if (tooLarge) {
          await engine.blobs.delete(written.id).catch(() => undefined);
          // Read the rest of the file (the client is sending it anyway) to report its size, as S3 does.
          for await (const piece of body) size += piece.length;
        }
        await reader.drain(MAX_TRAILING);
      } catch (e) {
        throw e instanceof MalformedFormError ? malformedPost() : e;
      }
      if (tooLarge) throw entityTooLarge(size, range!.max);
      if (range && size < range.min) {
        await engine.blobs.delete(written.id).catch(() => undefined);
        throw entityTooSmall(size, range.min);
      }

      const etag = `"${md5.digest('hex')}"`;
      const events = objectEvents(engine, 'ObjectCreated:Post', i.Bucket, size, etag, { ...ctx, principal });
      const r = await engine.commit(written.id, () =>
        engine.store.putObject({ bucket: i.Bucket, key, blobId: written.id, size, etag, lastModified: Date.now(), meta: JSON.stringify(meta) }, events.outbox),
      );
      engine.retire(r.previousBlobId);
      engine.announce(events);

      const location = objectUrl(i.Host, i.Bucket, key);
      const redirect = g('success_action_redirect') ?? g('redirect');
      if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
        const q = `bucket=${encodeURIComponent(i.Bucket)}&key=${encodeURIComponent(key)}&etag=${encodeURIComponent(etag)}`;
        return { Status: 303, ETag: etag, Location: `${redirect}${redirect.includes('?') ? '&' : '?'}${q}`, ServerSideEncryption: 'AES256' };
      }
      const status = g('success_action_status');
      if (status === '201') return { Status: 201, ETag: etag, Location: location, ServerSideEncryption: 'AES256', Document: { Location: location, Bucket: i.Bucket, Key: key, ETag: etag } };
      // Anything but 200 or 201 is 204, S3's default.
      return { Status: status === '200' ? 200 : 204, ETag: etag, Location: location, ServerSideEncryption: 'AES256' };
    },
  });
}
