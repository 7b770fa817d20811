/**
 * S3 durability on both stores:
 * - `kill -9` of Nimbus while PutObjects (small and multi-MB) and multipart
 *   uploads are in flight: every acknowledged upload reads back
 *   byte-identical after a restart, nothing is visible with partial data,
 *   every acknowledged upload's notification reaches its function, and a
 *   sweep (graceMs 0) removes the temp files, unreferenced blobs and
 *   abandoned uploads the kill left, keeping every referenced blob;
 * - the outbox: an object write and its event commit together (or neither);
 * - on the normal path every event is delivered exactly once.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { S3Event } from 'aws-lambda';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Client } from 'pg';
import { main } from '../../../src/cli/main';
import { S3Engine, S3_EVENTS_QUEUE } from '../../../src/services/s3/engine';
import { S3Maintenance } from '../../../src/services/s3/maintenance';
import { BlobStore } from '../../../src/store/blobs';
import { GoneError } from '../../../src/store/objects-repo';
import { openStore, type SqlStore } from '../../../src/store/open';
import type { ObjectOutbox, ObjectRow } from '../../../src/store/types';
import { copyFixture, REPO, tmpDir, waitFor } from '../../helpers/nimbus';
import { bucketName, s3Client, startS3 } from './helpers';

const PG = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MB = 1024 * 1024;
const TOKEN = 's3-durability-token';
const RECORD_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:s3notify-dev-record';

const sha = (b: Buffer | Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

interface Server {
  proc: ChildProcess;
  awsUrl: string;
}

/** durability-server.ts in a child process (so it can be killed with SIGKILL); resolves once it listens. */
function startServer(dataDir: string, store: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const proc = spawn(process.execPath, [path.join(__dirname, 'durability-server.js'), dataDir, store], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not come up:\n${out}`)), 20_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /AWS endpoint\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, awsUrl: m[1]! });
      }
    });
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${out}`)));
  });
}

function kill(server: Server | null): Promise<void> {
  if (!server || server.proc.exitCode !== null || server.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.proc.once('exit', () => resolve());
    server.proc.kill('SIGKILL');
  });
}

async function dropSchema(schema: string): Promise<void> {
  const c = new Client({ connectionString: PG });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

/** Keys of the ObjectCreated events recorded for `bucket` (record.jsonl of the s3-notify fixture). */
function recordedKeys(out: string, bucket: string): string[] {
  const file = path.join(out, 'record.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as S3Event).Records[0])
    .filter((r) => r.s3.bucket.name === bucket && r.eventName.startsWith('ObjectCreated'))
    .map((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')));
}

async function readAll(s3: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function listAll(s3: S3Client, Bucket: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.set(o.Key!, o.Size!);
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function multipart(s3: S3Client, Bucket: string, Key: string, parts: Buffer[]): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const done: { PartNumber: number; ETag: string }[] = [];
  for (let n = 0; n < parts.length; n++) {
    const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: n + 1, Body: parts[n] }));
    done.push({ PartNumber: n + 1, ETag: r.ETag! });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }));
}

/**
 * A PUT that sends `sent` of its announced `length` bytes and then stalls: the
 * server is streaming it into a temp file when it dies.
 */
async function stalledPut(s3: S3Client, Bucket: string, Key: string, length: number, sent: number): Promise<http.ClientRequest> {
  const url = new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key }), { expiresIn: 300 }));
  const req = http.request(url, { method: 'PUT', headers: { 'content-length': String(length) } });
  req.on('error', () => undefined);
  req.write(crypto.randomBytes(sent));
  return req;
}

async function blobIdsOnDisk(blobs: BlobStore): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const id of blobs.listIds()) ids.add(id);
  return ids;
}

describe('S3 durability', { concurrency: true }, () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    describe(`kill -9 during uploads (${backend})`, () => {
      const schema = `t_s3_durable_${crypto.randomBytes(4).toString('hex')}`;
      const dataDir = tmpDir('nimbus-s3-durable-');
      const store = backend === 'sqlite' ? path.join(dataDir, 'nimbus.db') : `${PG}?schema=${schema}`;
      const out = tmpDir('nimbus-s3-durable-out-');
      const env = { NIMBUS_ADMIN_TOKEN: TOKEN, NIMBUS_S3_NOTIFY_OUT: out };
      let server: Server | null = null;
      let opened: SqlStore | null = null;

      after(async () => {
        await kill(server);
        await opened?.close().catch(() => undefined);
        if (backend === 'postgres') await dropSchema(schema);
      });

      it('keeps acknowledged uploads whole with their notifications; the sweep removes only what the kill left', async () => {
        server = await startServer(dataDir, store, env);
        const quiet = { stdout: { write: () => true }, stderr: { write: () => true }, env: { ...process.env, ...env }, cwd: REPO };
        assert.equal(await main(['deploy', copyFixture('s3-notify'), '--endpoint', server.awsUrl, '--token', TOKEN], quiet), 0);
        let s3 = s3Client(server.awsUrl);
        const Bucket = bucketName('durable');
        await s3.send(new CreateBucketCommand({ Bucket }));
        await s3.send(
          new PutBucketNotificationConfigurationCommand({
            Bucket,
            NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: 'all', LambdaFunctionArn: RECORD_ARN, Events: ['s3:ObjectCreated:*'] }] },
          }),
        );

        // What each key holds if its upload committed (every key is written once, except over/*).
        const attempted = new Map<string, string>();
        const acked = new Map<string, string>();
        const put = async (Key: string, body: Buffer): Promise<void> => {
          attempted.set(Key, sha(body));
          await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
          acked.set(Key, sha(body));
        };

        // Abandoned before the kill: the sweep must abort them and delete their parts.
        const abandoned: string[] = [];
        for (let i = 0; i < 2; i++) {
          const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: `abandoned/${i}` }));
          await s3.send(new UploadPartCommand({ Bucket, Key: `abandoned/${i}`, UploadId, PartNumber: 1, Body: crypto.randomBytes(1000) }));
          abandoned.push(UploadId!);
        }
        for (let i = 0; i < 3; i++) await put(`over/${i}`, crypto.randomBytes(2000));

        // A 4 MB PUT that stops after 1 MB: in a temp file when the server dies, never an object.
        const stalled = await stalledPut(s3, Bucket, 'stalled', 4 * MB, MB);

        let stop = false;
        const count = (prefix: string) => [...acked.keys()].filter((k) => k.startsWith(prefix)).length;
        const loop = (fn: (i: number) => Promise<void>) =>
          (async () => {
            for (let i = 0; !stop; i++) {
              try {
                await fn(i);
              } catch {
                return; // not acknowledged (the server is gone): the upload may or may not be there
              }
            }
          })();
        const workers = [
          ...Array.from({ length: 8 }, (_, w) => loop((i) => put(`small/${w}-${i}`, crypto.randomBytes(1 + crypto.randomInt(64 * 1024))))),
          ...Array.from({ length: 2 }, (_, w) => loop((i) => put(`big/${w}-${i}`, crypto.randomBytes(2 * MB + crypto.randomInt(2 * MB))))),
          ...Array.from({ length: 2 }, (_, w) =>
            loop(async (i) => {
              const Key = `multi/${w}-${i}`;
              const parts = [crypto.randomBytes(5 * MB), crypto.randomBytes(1 + crypto.randomInt(MB))];
              attempted.set(Key, sha(Buffer.concat(parts)));
              await multipart(s3, Bucket, Key, parts);
              acked.set(Key, sha(Buffer.concat(parts)));
            }),
          ),
        ];
        await waitFor(() => count('small/') >= 40 && count('big/') >= 3 && count('multi/') >= 2, 30_000, 5);
        // Replace over/*: the old blobs wait 5 s before deletion, so the kill orphans them.
        const replaced: string[] = [];
        for (let i = 0; i < 3; i++) {
          await put(`over/${i}`, crypto.randomBytes(3000));
          replaced.push(`over/${i}`);
        }
        await waitFor(() => fs.readdirSync(path.join(dataDir, 'blobs', 'tmp')).length > 0, 5000, 5);
        await kill(server);
        stop = true;
        stalled.destroy();
        await Promise.allSettled(workers);
        s3.destroy();
        assert.equal(replaced.length, 3);

        // Restart: acknowledged uploads are whole, nothing is half-written, notifications arrive.
        server = await startServer(dataDir, store, env);
        s3 = s3Client(server.awsUrl);
        const listed = await listAll(s3, Bucket);
        for (const Key of acked.keys()) assert.ok(listed.has(Key), `acknowledged ${Key} is missing`);
        assert.equal(listed.has('stalled'), false, 'the interrupted upload is visible');
        for (const Key of listed.keys()) {
          assert.ok(attempted.has(Key), `${Key} was never written`);
          assert.equal(sha(await readAll(s3, Bucket, Key)), attempted.get(Key), `${Key} does not read back as written`);
        }
        const undelivered = (): string[] => {
          const got = new Set(recordedKeys(out, Bucket));
          return [...acked.keys()].filter((k) => !got.has(k));
        };
        await waitFor(() => undelivered().length === 0, 20_000, 50).catch(() => undefined);
        assert.deepEqual(undelivered(), [], 'acknowledged uploads whose notification never arrived');

        // A fresh upload, younger than the cut the sweep uses: kept with its part.
        const { UploadId: fresh } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'fresh' }));
        await s3.send(new UploadPartCommand({ Bucket, Key: 'fresh', UploadId: fresh, PartNumber: 1, Body: crypto.randomBytes(1000) }));
        s3.destroy();
        await kill(server);
        server = null;

        // The sweep, on the store and blobs the server left.
        opened = await openStore({ url: store });
        const objects = opened.objects;
        const blobs = new BlobStore(path.join(dataDir, 'blobs'));
        const freshRow = (await objects.getUpload(fresh!))!;
        const stale = (await objects.listUploads(Bucket, { limit: 1000 })).filter((u) => u.uploadId !== fresh);
        for (const id of abandoned) assert.ok(stale.some((u) => u.uploadId === id), `abandoned upload ${id} is missing before the sweep`);
        const staleParts: string[] = [];
        for (const u of stale) {
          assert.ok(u.initiated < freshRow.initiated);
          for (const p of await objects.listParts(u.uploadId, { limit: 10_000 })) staleParts.push(p.blobId);
        }
        const rows: ObjectRow[] = await objects.listObjects(Bucket, { limit: 100_000 });
        const freshParts = (await objects.listParts(fresh!, { limit: 10 })).map((p) => p.blobId);
        const referenced = new Set([...rows.map((r) => r.blobId), ...freshParts]);
        const before = await blobIdsOnDisk(blobs);
        const orphans = [...before].filter((id) => !referenced.has(id) && !staleParts.includes(id));
        assert.ok(orphans.length >= 3, `expected the 3 replaced blobs among the orphans, found ${orphans.length}`);
        const tmpBefore = fs.readdirSync(path.join(dataDir, 'blobs', 'tmp')).length;
        assert.ok(tmpBefore >= 1);

        const cut = Math.floor((Math.max(...stale.map((u) => u.initiated)) + freshRow.initiated) / 2);
        const swept = await new S3Maintenance(new S3Engine(objects, blobs, 'us-east-1'), { graceMs: 0, staleUploadMs: Date.now() - cut }).sweep();
        assert.deepEqual(swept, { tmp: tmpBefore, orphans: orphans.length, uploads: stale.length });
        assert.deepEqual(fs.readdirSync(path.join(dataDir, 'blobs', 'tmp')), []);
        const afterSweep = await blobIdsOnDisk(blobs);
        assert.deepEqual([...afterSweep].sort(), [...referenced].sort(), 'blobs on disk are exactly the referenced ones');
        for (const u of stale) assert.equal(await objects.getUpload(u.uploadId), null);
        assert.ok(await objects.getUpload(fresh!));
        for (const r of rows) assert.equal(await blobs.size(r.blobId), r.size, `${r.key}: its blob`);
      });
    });

    describe(`the outbox commits events with their object (${backend})`, () => {
      const schema = `t_s3_outbox_${crypto.randomBytes(4).toString('hex')}`;
      const dir = tmpDir('nimbus-s3-outbox-');
      let store: SqlStore;

      after(async () => {
        await store?.close();
        if (backend === 'postgres') await dropSchema(schema);
      });

      it('enqueues with committed writes only, once per key written or deleted, in commit order', async () => {
        store = await openStore({ url: backend === 'sqlite' ? path.join(dir, 'nimbus.db') : `${PG}?schema=${schema}` });
        const s = store.objects;
        const Q = 'test:outbox';
        const outbox: ObjectOutbox = (key, config) => [{ queue: Q, payload: JSON.stringify({ key, config }) }];
        const drain = async (): Promise<{ key: string; config: string }[]> => {
          const items = await store.queue.claim(Q, 'checker', { max: 10_000, leaseMs: 60_000 });
          await store.queue.completeMany(items.map((i) => i.id), 'checker');
          return items.map((i) => JSON.parse(i.payload) as { key: string; config: string });
        };
        const row = (key: string, blobId = crypto.randomUUID()): ObjectRow => ({ bucket: 'b', key, blobId, size: 1, etag: '"e"', lastModified: Date.now(), meta: '{}' });
        await s.createBucket({ name: 'b', region: 'us-east-1', createdAt: Date.now() });
        await s.updateBucketConfig('b', () => '{"marker":1}');

        await s.putObject(row('a'), outbox);
        await s.putObject(row('b'), outbox);
        await s.putObject(row('c'));
        assert.deepEqual(await drain(), [
          { key: 'a', config: '{"marker":1}' },
          { key: 'b', config: '{"marker":1}' },
        ]);

        // Nothing written, nothing queued.
        await assert.rejects(s.putObject({ ...row('x'), bucket: 'missing' }, outbox), GoneError);
        assert.deepEqual((await s.deleteObject('b', 'nope', outbox)).previousBlobId, null);
        assert.deepEqual(await drain(), []);

        assert.ok((await s.deleteObject('b', 'a', outbox)).previousBlobId);
        assert.equal((await s.deleteObjects('b', ['b', 'c', 'nope', 'b'], outbox)).filter(Boolean).length, 2);
        assert.deepEqual((await drain()).map((e) => e.key).sort(), ['a', 'b', 'c']);

        await s.createUpload({ uploadId: 'u1', bucket: 'b', key: 'm', initiated: Date.now(), meta: '{}' });
        await s.putPart({ uploadId: 'u1', partNumber: 1, blobId: crypto.randomUUID(), size: 1, etag: '"p"', lastModified: Date.now() });
        await s.completeUpload('u1', row('m'), outbox);
        await assert.rejects(s.completeUpload('u1', row('m'), outbox), GoneError);
        assert.deepEqual((await drain()).map((e) => e.key), ['m']);

        // Concurrent writers (one shared transaction on SQLite): one event per committed write.
        await Promise.all(Array.from({ length: 100 }, (_, i) => s.putObject(row(`k${i}`), outbox)));
        assert.equal((await drain()).length, 100);

        // The engine's events: sequencers follow the commit order of one key; a bucket nobody is notified of queues nothing.
        const engine = new S3Engine(s, new BlobStore(path.join(dir, 'blobs')), 'us-east-1');
        await s.updateBucketConfig('b', () => JSON.stringify({ notifications: { targets: [{ id: 't', arn: RECORD_ARN, kind: 'lambda', events: ['s3:ObjectCreated:*'] }], eventBridge: false } }));
        const base = { name: 'ObjectCreated:Put', bucket: 'b', size: 1, time: Date.now(), requestId: 'r', sourceIp: '127.0.0.1', principal: 'AWS:x' };
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => {
            const ev = engine.events({ ...base, etag: `e${i}` });
            return s.putObject({ ...row('same'), etag: `"e${i}"` }, ev.outbox).then(() => assert.ok(ev.made > 0));
          }),
        );
        await s.createBucket({ name: 'quiet', region: 'us-east-1', createdAt: Date.now() });
        const quiet = engine.events({ ...base, bucket: 'quiet', etag: 'q' });
        await s.putObject({ ...row('q'), bucket: 'quiet' }, quiet.outbox);
        assert.equal(quiet.made, 0);
        const items = await store.queue.claim(S3_EVENTS_QUEUE, 'checker', { max: 100, leaseMs: 60_000 });
        assert.equal(items.length, 20);
        const events = items.map((i) => JSON.parse(i.payload) as { key: string; etag: string; sequencer: string });
        const last = events.reduce((a, b) => (b.sequencer.padStart(32, '0') > a.sequencer.padStart(32, '0') ? b : a));
        assert.equal(`"${last.etag}"`, (await s.getObject('b', 'same'))!.etag, 'the highest sequencer is the write that committed last');
      });
    });
  }

  describe('delivery on the normal path', () => {
    let nimbus: Awaited<ReturnType<typeof startS3>>['nimbus'] | null = null;
    after(() => nimbus?.close());

    it('hands every event to its function exactly once', async () => {
      const out = tmpDir('nimbus-s3-once-');
      process.env.NIMBUS_S3_NOTIFY_OUT = out;
      const t = await startS3({ poolSize: 1 });
      nimbus = t.nimbus;
      await t.nimbus.deploy(copyFixture('s3-notify'));
      const Bucket = bucketName('once');
      await t.s3.send(new CreateBucketCommand({ Bucket }));
      await t.s3.send(
        new PutBucketNotificationConfigurationCommand({ Bucket, NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: RECORD_ARN, Events: ['s3:ObjectCreated:*'] }] } }),
      );
      const keys = Array.from({ length: 30 }, (_, i) => `k/${i} x`);
      await Promise.all(keys.map((Key) => t.s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }))));
      await waitFor(() => recordedKeys(out, Bucket).length >= keys.length, 10_000, 20);
      // Both queues drained: nothing is left that could still arrive twice.
      await waitFor(async () => (await t.nimbus.store.queue.nextAvailableAt(S3_EVENTS_QUEUE)) === null && (await t.nimbus.store.queue.nextAvailableAt('lambda:async')) === null, 5000, 20);
      assert.deepEqual(recordedKeys(out, Bucket).sort(), [...keys].sort());
      t.s3.destroy();
    });
  });
});
