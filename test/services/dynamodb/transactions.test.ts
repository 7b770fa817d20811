/**
 * TransactWriteItems / TransactGetItems through the official clients: all or
 * nothing, per-action cancellation reasons, idempotency tokens, and
 * conflicting concurrent transactions that must not lose an update.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { BACKENDS, createTable, rejection, startDynamo, type DynamoTestContext } from './helpers';

for (const backend of BACKENDS) describe(`DynamoDB transactions (${backend})`, () => {
  let t: DynamoTestContext;
  let TableName: string;
  before(async () => {
    t = await startDynamo({ backend });
    TableName = await createTable(t.ddb, { hashOnly: true });
  });
  after(() => t?.nimbus.close());

  it('applies every action or none, with one reason per action', async () => {
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'acct-a', balance: 100 } }));
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'acct-b', balance: 0 } }));
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'bank', open: true } }));
    const transfer = (amount: number) =>
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName, Key: { pk: 'acct-a' }, UpdateExpression: 'SET balance = balance - :a', ConditionExpression: 'balance >= :a', ExpressionAttributeValues: { ':a': amount } } },
          { Update: { TableName, Key: { pk: 'acct-b' }, UpdateExpression: 'SET balance = balance + :a', ExpressionAttributeValues: { ':a': amount } } },
          { Put: { TableName, Item: { pk: `log-${amount}`, amount } } },
          { ConditionCheck: { TableName, Key: { pk: 'bank' }, ConditionExpression: '#o = :t', ExpressionAttributeNames: { '#o': 'open' }, ExpressionAttributeValues: { ':t': true } } },
        ],
      });
    await t.doc.send(transfer(60));
    const failed = await rejection(t.doc.send(transfer(60)));
    assert.equal(failed.name, 'TransactionCanceledException');
    assert.equal(failed.message, 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None, None]');
    assert.deepEqual(
      (failed.error.CancellationReasons as { Code: string }[]).map((r) => r.Code),
      ['ConditionalCheckFailed', 'None', 'None', 'None'],
    );
    const got = await t.doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName, Key: { pk: 'acct-a' } } }, { Get: { TableName, Key: { pk: 'acct-b' } } }, { Get: { TableName, Key: { pk: 'nobody' } } }] }));
    assert.deepEqual(got.Responses?.map((r) => r.Item?.balance), [40, 60, undefined]);
    assert.equal((await t.doc.send(new GetCommand({ TableName, Key: { pk: 'log-60' } }))).Item?.amount, 60);
  });

  it('returns the old item of a failed condition on request, and rejects two actions on one item', async () => {
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'lock', owner: 'x' } }));
    const failed = await rejection(
      t.ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName, Item: { pk: { S: 'lock' }, owner: { S: 'y' } }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }],
        }),
      ),
    );
    assert.deepEqual((failed.error.CancellationReasons as { Item?: unknown }[])[0].Item, { pk: { S: 'lock' }, owner: { S: 'x' } });
    const dup = await rejection(
      t.doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName, Item: { pk: 'd' } } }, { Delete: { TableName, Key: { pk: 'd' } } }] })),
    );
    assert.equal(dup.name, 'ValidationException');
    assert.equal(dup.message, 'Transaction request cannot include multiple operations on one item');
  });

  it('a ClientRequestToken makes a transaction idempotent; reusing it for other parameters fails', async () => {
    const tx = (n: number) =>
      new TransactWriteCommand({
        ClientRequestToken: 'token-1',
        TransactItems: [{ Update: { TableName, Key: { pk: 'counter' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': n } } }],
      });
    await t.doc.send(tx(1));
    await t.doc.send(tx(1));
    assert.equal((await t.doc.send(new GetCommand({ TableName, Key: { pk: 'counter' } }))).Item?.n, 1);
    const other = await rejection(t.doc.send(tx(2)));
    assert.equal(other.name, 'IdempotentParameterMismatchException');
  });

  it('concurrent conflicting transactions never lose an update', async () => {
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'hot', n: 0, version: 0 } }));
    // 40 clients each try an optimistic-locking increment until it succeeds.
    const attempt = async (): Promise<void> => {
      for (;;) {
        const cur = (await t.doc.send(new GetCommand({ TableName, Key: { pk: 'hot' } }))).Item!;
        try {
          await t.doc.send(
            new TransactWriteCommand({
              TransactItems: [
                { Update: { TableName, Key: { pk: 'hot' }, UpdateExpression: 'SET n = n + :one, version = :next', ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':one': 1, ':v': cur.version, ':next': (cur.version as number) + 1 } } },
              ],
            }),
          );
          return;
        } catch (e) {
          if ((e as Error).name !== 'TransactionCanceledException') throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: 40 }, attempt));
    const end = (await t.doc.send(new GetCommand({ TableName, Key: { pk: 'hot' } }))).Item!;
    assert.equal(end.n, 40);
    assert.equal(end.version, 40);
  });
});
