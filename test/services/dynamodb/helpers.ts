/** A live Nimbus and the official DynamoDB clients pointed at it. */
import { DynamoDBClient, CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Client } from 'pg';
import type { Platform, PlatformOptions } from '../../../src/platform';
import { startNimbus } from '../../helpers/nimbus';

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface DynamoTestContext {
  nimbus: Platform;
  ddb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  streams: DynamoDBStreamsClient;
}

/** Every suite runs on both store backends: the same behaviour is the contract. */
export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

const PG_URL = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
after(async () => {
  if (schemas.length === 0) return;
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
});

/** A fresh store for `backend`: undefined (the data dir's SQLite file) or a new PostgreSQL schema. */
export function storeFor(backend: Backend): string | undefined {
  if (backend === 'sqlite') return undefined;
  const schema = `ddb_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

export async function startDynamo(opts: PlatformOptions & { backend?: Backend } = {}): Promise<DynamoTestContext> {
  const { backend = 'sqlite', ...rest } = opts;
  const nimbus = await startNimbus({ poolSize: 0, store: storeFor(backend), ...rest });
  return { nimbus, ...clients(nimbus.awsUrl) };
}

export function clients(endpoint: string): Omit<DynamoTestContext, 'nimbus'> {
  const ddb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  const streams = new DynamoDBStreamsClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  return { ddb, doc: DynamoDBDocumentClient.from(ddb), streams };
}

let counter = 0;
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** A PAY_PER_REQUEST table with a string hash key `pk` and, unless `hashOnly`, a string range key `sk`. */
export async function createTable(ddb: DynamoDBClient, over: Partial<CreateTableCommandInput> & { hashOnly?: boolean; rangeType?: 'S' | 'N' | 'B' } = {}): Promise<string> {
  const { hashOnly, rangeType, ...rest } = over;
  const TableName = rest.TableName ?? uniqueName();
  await ddb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: hashOnly
        ? [{ AttributeName: 'pk', AttributeType: 'S' }]
        : [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: rangeType ?? 'S' },
          ],
      KeySchema: hashOnly
        ? [{ AttributeName: 'pk', KeyType: 'HASH' }]
        : [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
      ...rest,
    }),
  );
  return TableName;
}

/** The error a call rejects with (name and message), or fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; error: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    return { name: err.name, message: err.message, error: err };
  }
  throw new Error('expected the call to fail');
}
