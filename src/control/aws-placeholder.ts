/**
 * Everything on the AWS endpoint port outside `/_nimbus/` belongs to the AWS wire
 * protocols, which a later issue adds. Until then they answer with an AWS-style
 * JSON error; this is the one function to replace.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';

export function handleAwsRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  const requestId = crypto.randomUUID();
  const body = JSON.stringify({ __type: 'UnrecognizedClientException', message: 'The AWS endpoint is not available yet' });
  // The body is not read: close the connection rather than drain an unknown upload.
  res.writeHead(404, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': requestId,
    ...(req.headers['content-length'] || req.headers['transfer-encoding'] ? { connection: 'close' } : {}),
  });
  res.end(body);
}
