/**
 * SigV4 on the live AWS endpoint, with raw requests signed by
 * @smithy/signature-v4 and sent with fetch: header and presigned
 * authentication, clock skew, wrong secrets, unknown keys, session credentials
 * issued to functions, and Lambda's error serialization (403s, x-amzn-ErrorType,
 * `{"Type":"User","Message":...}`).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import type { AwsEndpoint } from '../../../src/aws';
import type { Platform } from '../../../src/platform';
import { copyFixture } from '../../helpers/nimbus';
import { lambdaClient, presignedFetch, signedFetch, startLambdaNimbus } from './helpers';

const LIST = { method: 'GET', path: '/2015-03-31/functions' };

async function lambdaError(res: Response): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
}

describe('SigV4 on the AWS endpoint (Lambda)', () => {
  let nimbus: Platform;
  let endpoint: AwsEndpoint;
  let url: string;
  before(async () => {
    ({ nimbus, endpoint } = await startLambdaNimbus());
    await nimbus.deploy(copyFixture('behaviour'));
    url = nimbus.awsUrl;
  });
  after(() => nimbus?.close());

  it('a signed request (Authorization header) succeeds', async () => {
    const res = await signedFetch(url, { ...LIST, query: { MaxItems: '2' } });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-amzn-requestid'));
    assert.equal(((await res.json()) as { Functions: unknown[] }).Functions.length, 2);
  });

  it('a signed request with a body and a label that needs encoding', async () => {
    const res = await signedFetch(url, {
      method: 'POST',
      path: `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:behaviour-dev-warm')}/invocations`,
      headers: { 'content-type': 'application/json', 'X-Amzn-Trace-Id': 'Root=1-5e1b4151-5ac6c58f5b5dbd6a7e9e1a2b;Sampled=1' },
      body: '{"hello":"world"}',
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-amz-executed-version'), '$LATEST');
    assert.equal(res.headers.get('content-type'), 'application/json');
  });

  it('presigned URLs work until X-Amz-Expires, which may not exceed 7 days', async () => {
    assert.equal((await presignedFetch(url, LIST, { expiresIn: 60 })).status, 200);
    const expired = await lambdaError(await presignedFetch(url, LIST, { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) }));
    assert.equal(expired.status, 403);
    assert.equal(expired.type, 'InvalidSignatureException');
    assert.match(expired.body.message as string, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/);
    // @smithy/signature-v4 refuses to presign for more than 7 days: forge the parameter.
    const u = new URL(url);
    const week = await fetch(
      `${url}${LIST.path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
      { headers: { host: u.host } },
    );
    const w = await lambdaError(week);
    assert.equal(w.status, 403);
    assert.equal(w.type, 'IncompleteSignatureException');
    assert.equal(w.body.message, 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
  });

  it('more than 15 minutes of clock skew is refused, either way', async () => {
    const old = await lambdaError(await signedFetch(url, LIST, { signingDate: new Date(Date.now() - 16 * 60_000) }));
    assert.equal(old.status, 403);
    assert.equal(old.type, 'InvalidSignatureException');
    assert.match(old.body.message as string, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const future = await lambdaError(await signedFetch(url, LIST, { signingDate: new Date(Date.now() + 16 * 60_000) }));
    assert.match(future.body.message as string, /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
    assert.equal((await signedFetch(url, LIST, { signingDate: new Date(Date.now() - 10 * 60_000) })).status, 200);
  });

  it('wrong secret, unknown key, no signature: AWS codes, messages and 403', async () => {
    const wrong = await lambdaError(await signedFetch(url, LIST, { credentials: { accessKeyId: 'test', secretAccessKey: 'nope' } }));
    assert.deepEqual(wrong, {
      status: 403,
      type: 'InvalidSignatureException',
      body: { message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' },
    });
    const unknown = await lambdaError(await signedFetch(url, LIST, { credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' } }));
    assert.deepEqual(unknown, { status: 403, type: 'UnrecognizedClientException', body: { message: 'The security token included in the request is invalid.' } });
    const none = await lambdaError(await fetch(`${url}${LIST.path}`));
    assert.deepEqual(none, { status: 403, type: 'MissingAuthenticationTokenException', body: { message: 'Missing Authentication Token' } });
    const incomplete = await lambdaError(await fetch(`${url}${LIST.path}`, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request' } }));
    assert.equal(incomplete.type, 'IncompleteSignatureException');
    assert.match(incomplete.body.message as string, /^Authorization header requires 'Signature' parameter\. Authorization header requires 'SignedHeaders' parameter\. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header\. Authorization=/);
  });

  it('session credentials issued to a function: accepted until they expire; the token must match', async () => {
    const creds = endpoint.credentials.issue({ kind: 'function', functionName: 'behaviour-dev-warm' }, 60_000);
    assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    const client = lambdaClient(url, creds);
    const r = await client.send(new ListFunctionsCommand({ MaxItems: 1 }));
    assert.equal(r.Functions?.length, 1);
    const inv = await client.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm' }));
    assert.equal(inv.StatusCode, 200);

    const noToken = await lambdaError(await signedFetch(url, LIST, { credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey } }));
    assert.equal(noToken.type, 'UnrecognizedClientException');
    const other = endpoint.credentials.issue({ kind: 'function', functionName: 'behaviour-dev-mem' }, 60_000);
    const mixed = await lambdaError(await signedFetch(url, LIST, { credentials: { ...creds, sessionToken: other.sessionToken } }));
    assert.equal(mixed.type, 'UnrecognizedClientException');
    const forged = await lambdaError(await signedFetch(url, LIST, { credentials: { ...creds, sessionToken: creds.sessionToken.slice(0, -2) + 'xx' } }));
    assert.equal(forged.type, 'UnrecognizedClientException');

    const stale = endpoint.credentials.issue({ kind: 'function', functionName: 'behaviour-dev-warm' }, -1000);
    const expired = await lambdaError(await signedFetch(url, LIST, { credentials: stale }));
    assert.deepEqual(expired, { status: 403, type: 'ExpiredTokenException', body: { message: 'The security token included in the request is expired' } });
    client.destroy();
  });

  it("Lambda's error body: Type and the model's casing of the message", async () => {
    const res = await signedFetch(url, { method: 'GET', path: '/2015-03-31/functions/nope' });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.ok(res.headers.get('x-amzn-requestid'));
    assert.deepEqual(await res.json(), { Type: 'User', Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope' });
    const bad = await signedFetch(url, { method: 'PUT', path: '/2017-10-31/functions/behaviour-dev-warm/concurrency', body: '{oops' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
    assert.match(((await bad.json()) as { message: string }).message, /^Could not parse request body into json: /);
    const unknown = await signedFetch(url, { method: 'GET', path: '/2015-03-31/nothing-here' });
    assert.equal(unknown.status, 404);
    assert.equal(await unknown.text(), '<UnknownOperationException/>\n');
  });
});
