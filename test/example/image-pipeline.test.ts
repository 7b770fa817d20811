/**
 * examples/image-pipeline: the seed's S3 -> Lambda -> DynamoDB flow end to
 * end. An upload under uploads/ is resized by the seed's processImage (aws-sdk
 * v2 getObject, sharp 800x600 inside, JPEG quality 80, putObject to
 * resized/<key>), and the resized image is recorded in a DynamoDB table.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Platform } from '../../src/platform';
import { REPO, startNimbus, tmpDir, waitFor } from '../helpers/nimbus';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('examples/image-pipeline', () => {
  let nimbus: Platform;
  let s3: S3Client;
  let db: DynamoDBDocumentClient;
  before(async () => {
    const dir = path.join(tmpDir(), 'image-pipeline');
    fs.cpSync(path.join(REPO, 'examples', 'image-pipeline'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.nimbus`) });
    // sharp resolves from the repository's node_modules, as it would from the app's own on AWS.
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    nimbus = await startNimbus({ poolSize: 1 });
    const res = await nimbus.deploy(dir);
    assert.deepEqual(res.warnings, []);
    s3 = new S3Client({ endpoint: nimbus.awsUrl, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true });
    db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: nimbus.awsUrl, region: 'us-east-1', credentials: CREDENTIALS }));
  });
  after(() => nimbus?.close());

  it('resizes an upload to fit 800x600 and records the result', async () => {
    const Bucket = 'image-pipeline-dev-images';
    const photo = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    await s3.send(new PutObjectCommand({ Bucket, Key: 'uploads/photo.png', Body: photo, ContentType: 'image/png' }));
    const key = 'resized/uploads/photo.png';
    await waitFor(async () => (await db.send(new GetCommand({ TableName: 'image-pipeline-dev-results', Key: { key } }))).Item !== undefined, 20_000, 100);
    const resized = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    assert.equal(resized.ContentType, 'image/jpeg');
    const meta = await sharp(Buffer.from(await resized.Body!.transformToByteArray())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 800, 400]);
    const item = (await db.send(new GetCommand({ TableName: 'image-pipeline-dev-results', Key: { key } }))).Item!;
    assert.equal(item.width, 800);
    assert.equal(item.height, 400);
  });
});
