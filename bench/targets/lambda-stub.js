// @ts-check
'use strict';
/**
 * A stub of the Lambda Invoke endpoint for `--measure=lambda`: answers every
 * request at once with what Nimbus answers a synchronous Invoke of the trivial
 * function (200, its JSON payload, a fresh x-amzn-RequestId), verifying
 * nothing. Driving it with @aws-sdk/client-lambda shows the SDK client's own
 * ceiling on this machine: the req/s one Node process of SDK calls cannot
 * exceed, whatever the server.
 *
 * usage: node bench/targets/lambda-stub.js <port>
 */
const http = require('node:http');
const crypto = require('node:crypto');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: node bench/targets/lambda-stub.js <port>');
const body = JSON.stringify({ statusCode: 200, body: 'ok' });

http
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': crypto.randomUUID(), 'x-amz-executed-version': '$LATEST' });
      res.end(body);
    });
  })
  .listen(port, '127.0.0.1', () => process.stdout.write(`lambda stub on 127.0.0.1:${port}\n`));
