// @ts-check
'use strict';
/**
 * A canned-answer DynamoDB endpoint for `--measure=dynamodb`: reads each
 * request's body and answers its X-Amz-Target at once with a fixed, valid body
 * (GetItem: one 1 KB item; Query: 100 of them; writes: `{}`), verifying
 * nothing. Driving it with @aws-sdk/lib-dynamodb shows the SDK client's own
 * ceiling on this machine: the calls/s one Node process of SDK calls cannot
 * exceed, whatever the server.
 *
 * usage: node bench/targets/dynamodb-canned.js <port> <table>
 */
const crypto = require('node:crypto');
const http = require('node:http');
const { item, TARGET_PREFIX, CONTENT_TYPE } = require('../lib/dynamodb-requests');

const port = Number(process.argv[2]);
const table = process.argv[3] ?? 'nimbus-bench';
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: node bench/targets/dynamodb-canned.js <port> [table]');

const description = {
  TableName: table,
  TableStatus: 'ACTIVE',
  TableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`,
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
  CreationDateTime: Date.now() / 1000,
  ItemCount: 0,
  TableSizeBytes: 0,
};
const items = Array.from({ length: 100 }, (_, j) => item('query-000', String(j).padStart(4, '0'), j));
/** @type {Record<string, Buffer>} */
const answers = Object.fromEntries(
  Object.entries({
    CreateTable: { TableDescription: description },
    DescribeTable: { Table: description },
    PutItem: {},
    GetItem: { Item: item('item-000000', '0', 0) },
    Query: { Items: items, Count: items.length, ScannedCount: items.length },
    TransactWriteItems: {},
    ListTables: { TableNames: [table] },
  }).map(([k, v]) => [k, Buffer.from(JSON.stringify(v))]),
);
const unknown = Buffer.from(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#UnknownOperationException' }));

http
  .createServer((req, res) => {
    req.resume();
    if (req.method === 'GET') {
      // readiness probe of the harness (dynalite answers GET / with 200 too)
      res.end('ok');
      return;
    }
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = target.startsWith(TARGET_PREFIX) ? answers[target.slice(TARGET_PREFIX.length)] : undefined;
      res.writeHead(body ? 200 : 400, { 'content-type': CONTENT_TYPE, 'content-length': (body ?? unknown).length, 'x-amzn-requestid': crypto.randomUUID() });
      res.end(body ?? unknown);
    });
  })
  .listen(port, '127.0.0.1', () => process.stdout.write(`dynamodb canned server on 127.0.0.1:${port}\n`));
