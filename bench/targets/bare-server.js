// @ts-check
'use strict';
/**
 * The reference: a bare node:http server that runs the app's handler in-process,
 * with the least a Lambda-style adapter must do (an API Gateway v2-shaped event,
 * await the handler, write its statusCode/headers/body). One process, no pool,
 * no isolation: the floor any platform sits on.
 *
 * usage: node bench/targets/bare-server.js <handler-file> <export> <port>
 */
const http = require('node:http');
const crypto = require('node:crypto');
const path = require('node:path');

const [file, exportName, portArg] = process.argv.slice(2);
const handler = require(path.resolve(file))[exportName];
if (typeof handler !== 'function') throw new Error(`${file} has no export ${exportName}`);

const server = http.createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const now = Date.now();
    const event = {
      version: '2.0',
      routeKey: `${req.method} ${rawPath}`,
      rawPath,
      rawQueryString: q === -1 ? '' : url.slice(q + 1),
      headers: req.headers,
      requestContext: {
        http: { method: req.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress, userAgent: req.headers['user-agent'] ?? '' },
        requestId: crypto.randomUUID(),
        routeKey: `${req.method} ${rawPath}`,
        stage: '$default',
        time: new Date(now).toISOString(),
        timeEpoch: now,
      },
      body: chunks.length ? Buffer.concat(chunks).toString() : undefined,
      isBase64Encoded: false,
    };
    const context = { awsRequestId: event.requestContext.requestId, functionName: 'bare', getRemainingTimeInMillis: () => 30_000 };
    Promise.resolve(handler(event, context)).then(
      (r) => {
        const headers = { 'content-type': 'text/plain', ...(r && r.headers) };
        res.writeHead((r && r.statusCode) || 200, headers);
        res.end(r && typeof r.body === 'string' ? r.body : JSON.stringify(r));
      },
      (e) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error', error: String(e) }));
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write(`bare listening on 127.0.0.1:${portArg}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
