/**
 * `kill -9` of Nimbus loses no acknowledged DynamoDB write: every PutItem,
 * counter increment and transaction that got its 200 is there after a
 * restart, with its stream record, on both stores.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Client } from 'pg';
import { tmpDir, waitFor } from '../../helpers/nimbus';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process';
import { clients, createTable } from './helpers';

const PG = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`DynamoDB durability across kill -9 (${backend})`, () => {
    const schema = `t_ddb_durable_${crypto.randomBytes(4).toString('hex')}`;
    const dataDir = tmpDir();
    const store = backend === 'sqlite' ? path.join(dataDir, 'nimbus.db') : `${PG}?schema=${schema}`;
    let server: ServerProcess | null = null;

    after(async () => {
      server?.proc.kill('SIGKILL');
      if (backend === 'postgres') {
        const c = new Client({ connectionString: PG });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    });

    it('keeps every acknowledged write and its stream record', async () => {
      server = await startServerProcess(dataDir, store);
      let c = clients(server.awsUrl);
      const TableName = await createTable(c.ddb, { hashOnly: true, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
      await c.doc.send(new PutCommand({ TableName, Item: { pk: 'counter', n: 0 } }));
      const acked = new Set<string>();
      let increments = 0;
      let attempts = 0;
      let stop = false;
      // 24 writers in flight, each looping until the server dies under it.
      const writers = Array.from({ length: 24 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const id = `w${w}-${i}`;
          try {
            if (i % 3 === 0) {
              attempts++;
              await c.doc.send(new UpdateCommand({ TableName, Key: { pk: 'counter' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } }));
              increments++;
            } else if (i % 3 === 1) {
              await c.doc.send(new PutCommand({ TableName, Item: { pk: id, w, i } }));
              acked.add(id);
            } else {
              await c.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName, Item: { pk: `${id}-a` } } }, { Put: { TableName, Item: { pk: `${id}-b` } } }] }));
              acked.add(`${id}-a`);
              acked.add(`${id}-b`);
            }
          } catch {
            return; // not acknowledged (the server is gone): may or may not be there
          }
        }
      });
      await waitFor(() => acked.size >= 300, 20_000, 1);
      server.proc.kill('SIGKILL');
      stop = true;
      await Promise.allSettled(writers);
      c.ddb.destroy();

      server = await startServerProcess(dataDir, store);
      c = clients(server.awsUrl);
      const present = new Set<string>();
      let start: Record<string, unknown> | undefined;
      do {
        const page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } = await c.doc.send(new ScanCommand({ TableName, ExclusiveStartKey: start }));
        for (const it of page.Items ?? []) present.add(it.pk as string);
        start = page.LastEvaluatedKey;
      } while (start);
      const lost = [...acked].filter((id) => !present.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged items lost`);
      const n = (await c.doc.send(new GetCommand({ TableName, Key: { pk: 'counter' } }))).Item!.n as number;
      assert.ok(n >= increments && n <= attempts, `counter ${n}: acknowledged ${increments}, attempted ${attempts}`);
      // Every item that is there has its INSERT record (item and record commit together).
      const arn = (await c.ddb.send(new DescribeTableCommand({ TableName }))).Table!.LatestStreamArn!;
      const shard = (await c.streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0].ShardId!;
      let it = (await c.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      const inserted = new Set<string>();
      for (;;) {
        const page = await c.streams.send(new GetRecordsCommand({ ShardIterator: it }));
        for (const r of page.Records ?? []) if (r.eventName === 'INSERT') inserted.add(r.dynamodb!.Keys!.pk.S!);
        if ((page.Records ?? []).length === 0) break;
        it = page.NextShardIterator;
      }
      assert.deepEqual([...present].filter((id) => !inserted.has(id)), []);
    });
  });
}
