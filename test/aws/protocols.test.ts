/**
 * The protocol codecs and the endpoint pipeline on plain data: JSON 1.0/1.1,
 * query, restXml (S3-style and wrapped) request parsing, output and error
 * serialization, and each auth dialect. Requests are signed with
 * @smithy/signature-v4, the official SDK's signer.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  AwsEndpoint,
  Credentials,
  ServiceError,
  blob,
  coralAuthErrors,
  defineOperation,
  header,
  int,
  label,
  list,
  map,
  member,
  payload,
  prefixHeaders,
  query,
  queryAuthErrors,
  required,
  s3AuthErrors,
  str,
  struct,
  timestamp,
  wireRequest,
  type ServiceDefinition,
  type WireRequest,
  type WireResponse,
} from '../../src/aws';
import { escapeUri } from '../../src/aws/sigv4';
import { signer } from '../services/lambda/helpers';

const item = struct({
  Name: required(str({ min: 1, max: 5 })),
  Count: member(int({ min: 1, max: 10 })),
  Tags: member(list(str())),
  Attrs: member(map(str())),
  When: member(timestamp()),
  Data: member(blob()),
  Inner: member(struct({ Deep: member(str()) })),
});

const echo = defineOperation({ name: 'Echo', input: item, output: item, handler: async (i) => i });
const fail = defineOperation({
  name: 'Fail',
  input: struct({}),
  output: struct({}),
  handler: async () => {
    throw new ServiceError('ResourceNotFoundException', 400, 'Requested resource not found');
  },
});
const boom = defineOperation({
  name: 'Boom',
  input: struct({}),
  output: struct({}),
  handler: async () => {
    throw new Error('kaput');
  },
});

const json10: ServiceDefinition = {
  signingName: 'dynamodb',
  protocol: 'awsJson1_0',
  targetPrefix: 'DynamoDB_20120810',
  errorNamespace: 'com.amazonaws.dynamodb.v20120810',
  maxBodyBytes: 1 << 20,
  operations: { Echo: echo, Fail: fail, Boom: boom },
  authErrors: coralAuthErrors({ status: 400, missingMessage: 'Request is missing Authentication Token' }),
  internalError: () => new ServiceError('InternalServerError', 500, 'Internal Server Error'),
};
const json11: ServiceDefinition = { ...json10, signingName: 'logs', protocol: 'awsJson1_1', targetPrefix: 'Logs_20140328', errorNamespace: undefined };
const sqsQuery: ServiceDefinition = {
  signingName: 'sqs',
  protocol: 'awsQuery',
  xmlNamespace: 'http://queue.amazonaws.com/doc/2012-11-05/',
  maxBodyBytes: 1 << 20,
  operations: { Echo: echo, Fail: fail },
  authErrors: queryAuthErrors(),
  internalError: () => new ServiceError('InternalError', 500, 'internal'),
};

const putObject = defineOperation({
  name: 'PutObject',
  http: { method: 'PUT', path: '/{Bucket}/{Key+}', code: 200 },
  input: struct({
    Bucket: label(str()),
    Key: label(str(), { greedy: true }),
    Body: payload(blob()),
    ContentType: header('Content-Type', str()),
    Metadata: prefixHeaders('x-amz-meta-', str()),
    VersionId: query('versionId', str()),
  }),
  output: struct({ ETag: header('ETag', str()), Echo: header('x-nimbus-echo', str()) }),
  handler: async (i) => ({ ETag: `"${i.Body?.length ?? 0}"`, Echo: JSON.stringify({ b: i.Bucket, k: i.Key, m: i.Metadata, v: i.VersionId, body: i.Body?.toString() }) }),
});
const getObject = defineOperation({
  name: 'GetObject',
  http: { method: 'GET', path: '/{Bucket}/{Key+}', code: 200 },
  input: struct({ Bucket: label(str()), Key: label(str(), { greedy: true }) }),
  output: struct({}),
  handler: async (i) => {
    throw new ServiceError('NoSuchKey', 404, 'The specified key does not exist.', { fields: { Key: i.Key }, messageKey: 'Message' });
  },
});
const putTagging = defineOperation({
  name: 'PutBucketTagging',
  http: { method: 'PUT', path: '/{Bucket}?tagging', code: 200 },
  input: struct({
    Bucket: label(str()),
    Tagging: payload(struct({ TagSet: required(list(struct({ Key: required(str()), Value: required(str()) }), { memberName: 'Tag' })) })),
  }),
  output: struct({ Count: header('x-nimbus-count', int()) }),
  xmlRoot: { input: 'Tagging' },
  handler: async (i) => ({ Count: i.Tagging?.TagSet.length ?? 0 }),
});
const listBuckets = defineOperation({
  name: 'ListBuckets',
  http: { method: 'GET', path: '/', code: 200 },
  input: struct({}),
  output: struct({ Buckets: member(list(struct({ Name: member(str()), CreationDate: member(timestamp()) }), { memberName: 'Bucket' })), Owner: member(struct({ ID: member(str()) })) }),
  xmlRoot: { output: 'ListAllMyBucketsResult' },
  handler: async () => ({ Buckets: [{ Name: 'a&b', CreationDate: new Date(0) }], Owner: { ID: 'me' } }),
});
const s3: ServiceDefinition = {
  signingName: 's3',
  protocol: 'restXml',
  xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/',
  noErrorWrapping: true,
  singleEncodePath: true,
  allowUnsignedPayload: true,
  maxBodyBytes: 1 << 20,
  operations: { PutObject: putObject, GetObject: getObject, PutBucketTagging: putTagging, ListBuckets: listBuckets },
  unimplemented: [{ name: 'DeleteBucket', method: 'DELETE', path: '/{Bucket}' }],
  authErrors: s3AuthErrors(),
  internalError: () => new ServiceError('InternalError', 500, 'We encountered an internal error. Please try again.', { messageKey: 'Message' }),
  requestIdHeaders: (id) => ({ 'x-amz-request-id': id.replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': Buffer.from(id).toString('base64') }),
};
const wrappedXml: ServiceDefinition = {
  ...s3,
  signingName: 'route53',
  noErrorWrapping: false,
  singleEncodePath: false,
  allowUnsignedPayload: false,
  xmlNamespace: 'https://route53.amazonaws.com/doc/2013-04-01/',
  authErrors: coralAuthErrors({ status: 403, missingMessage: 'Missing Authentication Token' }),
  requestIdHeaders: undefined,
};

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const endpoint = new AwsEndpoint({
  services: [json10, json11, sqsQuery, s3, wrappedXml],
  credentials: new Credentials(),
  region: 'us-east-1',
  accountId: '000000000000',
  now: () => NOW,
  onInternalError: () => undefined,
});

interface Req {
  service: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  creds?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  date?: Date;
  presign?: number;
  unsigned?: boolean;
}

async function call(r: Req): Promise<WireResponse & { text: string; json: () => Record<string, unknown> }> {
  const method = r.method ?? 'POST';
  const path = r.path ?? '/';
  const headers: Record<string, string> = { host: 'localhost:4566', ...(r.headers ?? {}) };
  let finalHeaders = headers;
  let q: Record<string, string | string[]> = r.query ?? {};
  if (!r.unsigned) {
    const s = signer({ service: r.service, credentials: r.creds, uriEscapePath: r.service !== 's3' });
    const req = { method, protocol: 'http:', hostname: 'localhost', port: 4566, path, query: r.query ?? {}, headers, body: r.body };
    const date = r.date ?? new Date(NOW);
    if (r.presign !== undefined) {
      const p = await s.presign(req, { signingDate: date, expiresIn: r.presign });
      q = p.query as Record<string, string>;
    } else {
      const signed = await s.sign(req, { signingDate: date });
      finalHeaders = signed.headers as Record<string, string>;
    }
  }
  const qs = Object.entries(q)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${escapeUri(k)}=${escapeUri(x)}`))
    .join('&');
  const wire: WireRequest = wireRequest(method, path + (qs ? `?${qs}` : ''), Object.entries(finalHeaders), r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body));
  const res = await endpoint.dispatch(wire);
  const text = Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.body;
  return { ...res, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const target = (op: string, prefix = 'DynamoDB_20120810'): Record<string, string> => ({ 'x-amz-target': `${prefix}.${op}`, 'content-type': 'application/x-amz-json-1.0' });

describe('awsJson1_0 (DynamoDB-style)', () => {
  it('decodes and encodes members: blobs base64, timestamps epoch seconds, nested shapes', async () => {
    const input = { Name: 'ab', Count: 3, Tags: ['x', 'y'], Attrs: { k: 'v' }, When: 1700000000.5, Data: Buffer.from('hi').toString('base64'), Inner: { Deep: 'd' } };
    const r = await call({ service: 'dynamodb', headers: target('Echo'), body: JSON.stringify(input) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'application/x-amz-json-1.0');
    assert.ok(r.headers['x-amzn-requestid']);
    assert.deepEqual(r.json(), input);
  });

  it('modeled errors carry the full shape id in __type', async () => {
    const r = await call({ service: 'dynamodb', headers: target('Fail'), body: '{}' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' });
  });

  it("validation errors list every failure in AWS's words", async () => {
    const r = await call({ service: 'dynamodb', headers: target('Echo'), body: JSON.stringify({ Name: 'toolong', Count: 11 }) });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), {
      __type: 'com.amazon.coral.validate#ValidationException',
      message:
        "2 validation errors detected: Value 'toolong' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5; Value '11' at 'count' failed to satisfy constraint: Member must have value less than or equal to 10",
    });
    const missing = await call({ service: 'dynamodb', headers: target('Echo'), body: '{}' });
    assert.equal(missing.json().message, "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
  });

  it('wrong JSON types and unparsable bodies are SerializationException', async () => {
    const r = await call({ service: 'dynamodb', headers: target('Echo'), body: JSON.stringify({ Name: 'a', Count: 'x' }) });
    assert.deepEqual(r.json(), { __type: 'com.amazon.coral.service#SerializationException', Message: 'STRING_VALUE can not be converted to an Integer' });
    const bad = await call({ service: 'dynamodb', headers: target('Echo'), body: '{nope' });
    assert.equal(bad.json().__type, 'com.amazon.coral.service#SerializationException');
  });

  it('unknown targets are 400 UnknownOperationException; handler crashes are the service internal error', async () => {
    const r = await call({ service: 'dynamodb', headers: target('Nope'), body: '{}' });
    assert.equal(r.status, 400);
    assert.equal(r.json().__type, 'com.amazon.coral.service#UnknownOperationException');
    const b = await call({ service: 'dynamodb', headers: target('Boom'), body: '{}' });
    assert.equal(b.status, 500);
    assert.equal(b.json().__type, 'com.amazonaws.dynamodb.v20120810#InternalServerError');
  });

  it("auth failures in DynamoDB's dialect (400, coral namespace)", async () => {
    const missing = await call({ service: 'dynamodb', headers: target('Echo'), body: '{}', unsigned: true });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json(), { __type: 'com.amazon.coral.service#MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' });
    const wrong = await call({ service: 'dynamodb', headers: target('Echo'), body: '{"Name":"a"}', creds: { accessKeyId: 'test', secretAccessKey: 'nope' } });
    assert.equal(wrong.json().__type, 'com.amazon.coral.service#InvalidSignatureException');
    const unknown = await call({ service: 'dynamodb', headers: target('Echo'), body: '{}', creds: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } });
    assert.deepEqual(unknown.json(), { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const old = await call({ service: 'dynamodb', headers: target('Echo'), body: '{}', date: new Date(NOW - 16 * 60_000) });
    assert.equal(old.json().message, 'Signature expired: 20260115T114400Z is now earlier than 20260115T114500Z (20260115T120000Z - 15 min.)');
    const future = await call({ service: 'dynamodb', headers: target('Echo'), body: '{}', date: new Date(NOW + 16 * 60_000) });
    assert.equal(future.json().message, 'Signature not yet current: 20260115T121600Z is still later than 20260115T121500Z (20260115T120000Z + 15 min.)');
  });
});

describe('awsJson1_1', () => {
  it('errors carry the bare shape name', async () => {
    const r = await call({ service: 'logs', headers: { 'x-amz-target': 'Logs_20140328.Fail', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    assert.equal(r.headers['content-type'], 'application/x-amz-json-1.1');
    assert.deepEqual(r.json(), { __type: 'ResourceNotFoundException', message: 'Requested resource not found' });
  });
});

describe('awsQuery (SQS/SNS-style)', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  it('decodes lists, maps and nested members; wraps the result with the request id', async () => {
    const body = 'Action=Echo&Version=2012-11-05&Name=ab&Count=2&Tags.member.1=x&Tags.member.2=y&Attrs.entry.1.key=k&Attrs.entry.1.value=v+w&Inner.Deep=d&When=2026-01-15T12%3A00%3A00Z';
    const r = await call({ service: 'sqs', headers: form, body });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'text/xml');
    const id = r.headers['x-amzn-requestid']!;
    assert.equal(
      r.text,
      `<EchoResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><EchoResult><Name>ab</Name><Count>2</Count><Tags><member>x</member><member>y</member></Tags><Attrs><entry><key>k</key><value>v w</value></entry></Attrs><When>2026-01-15T12:00:00.000Z</When><Inner><Deep>d</Deep></Inner></EchoResult><ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></EchoResponse>`,
    );
  });

  it('errors are <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>', async () => {
    const r = await call({ service: 'sqs', headers: form, body: 'Action=Fail&Version=2012-11-05' });
    assert.equal(r.status, 400);
    assert.equal(
      r.text,
      `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>ResourceNotFoundException</Code><Message>Requested resource not found</Message></Error><RequestId>${r.headers['x-amzn-requestid']}</RequestId></ErrorResponse>`,
    );
    const unknown = await call({ service: 'sqs', headers: form, body: 'Action=Frobnicate' });
    assert.match(unknown.text, /<Code>InvalidAction<\/Code><Message>The action Frobnicate is not valid for this endpoint.<\/Message>/);
    const missing = await call({ service: 'sqs', headers: form, body: 'Action=Echo&Name=a', unsigned: true });
    assert.equal(missing.status, 403);
    assert.match(missing.text, /<Code>MissingAuthenticationToken<\/Code>/);
    const wrong = await call({ service: 'sqs', headers: form, body: 'Action=Echo&Name=a', creds: { accessKeyId: 'test', secretAccessKey: 'x' } });
    assert.match(wrong.text, /<Code>SignatureDoesNotMatch<\/Code>/);
  });
});

describe('restXml with noErrorWrapping (S3-style)', () => {
  it('binds greedy labels, prefix headers, query and a blob payload; accepts UNSIGNED-PAYLOAD', async () => {
    const r = await call({
      service: 's3',
      method: 'PUT',
      path: '/bkt/dir/a%20b%2Bc.txt',
      query: { versionId: 'v1' },
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-color': 'blue', 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.etag, '"5"');
    assert.deepEqual(JSON.parse(r.headers['x-nimbus-echo']!), { b: 'bkt', k: 'dir/a b+c.txt', m: { color: 'blue' }, v: 'v1', body: 'hello' });
    assert.ok(r.headers['x-amz-request-id'] && r.headers['x-amz-id-2']);
  });

  it('a payload hash that does not match the body is XAmzContentSHA256Mismatch', async () => {
    const r = await call({ service: 's3', method: 'PUT', path: '/bkt/k', headers: { 'x-amz-content-sha256': 'a'.repeat(64) }, body: 'hello' });
    assert.equal(r.status, 400);
    assert.match(r.text, /<Code>XAmzContentSHA256Mismatch<\/Code>/);
    const bad = await call({ service: 's3', method: 'PUT', path: '/bkt/k', headers: { 'x-amz-content-sha256': 'whatever' }, body: 'hello' });
    assert.match(bad.text, /<Code>InvalidArgument<\/Code>/);
  });

  it('errors are <Error> documents with RequestId and HostId', async () => {
    const r = await call({ service: 's3', method: 'GET', path: '/bkt/missing.txt', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'application/xml');
    assert.equal(
      r.text,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>missing.txt</Key><RequestId>${r.headers['x-amz-request-id']}</RequestId><HostId>${r.headers['x-amz-id-2']}</HostId></Error>`,
    );
  });

  it('parses XML payloads and writes XML results', async () => {
    const body = '<?xml version="1.0"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>&lt;2&gt;</Value></Tag></TagSet></Tagging>';
    const r = await call({ service: 's3', method: 'PUT', path: '/bkt', query: { tagging: '' }, body });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-nimbus-count'], '2');
    const l = await call({ service: 's3', method: 'GET', path: '/' });
    assert.equal(
      l.text,
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>a&amp;b</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets><Owner><ID>me</ID></Owner></ListAllMyBucketsResult>',
    );
    const malformed = await call({ service: 's3', method: 'PUT', path: '/bkt', query: { tagging: '' }, body: '<Tagging><TagSet>' });
    assert.equal(malformed.status, 400);
  });

  it("auth failures in S3's dialect", async () => {
    const wrong = await call({ service: 's3', method: 'GET', path: '/', creds: { accessKeyId: 'test', secretAccessKey: 'x' } });
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /<Code>SignatureDoesNotMatch<\/Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.<\/Message><AWSAccessKeyId>test<\/AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n/);
    const unknown = await call({ service: 's3', method: 'GET', path: '/', creds: { accessKeyId: 'AKIAX', secretAccessKey: 'x' } });
    assert.match(unknown.text, /<Code>InvalidAccessKeyId<\/Code><Message>The AWS Access Key Id you provided does not exist in our records.<\/Message><AWSAccessKeyId>AKIAX<\/AWSAccessKeyId>/);
    const skewed = await call({ service: 's3', method: 'GET', path: '/', date: new Date(NOW - 20 * 60_000) });
    assert.match(skewed.text, /<Code>RequestTimeTooSkewed<\/Code><Message>The difference between the request time and the current time is too large.<\/Message><RequestTime>20260115T114000Z<\/RequestTime><ServerTime>20260115T120000Z<\/ServerTime>/);
    // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD (hoisted into the query).
    const unsignedPayload = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const presigned = await call({ service: 's3', method: 'GET', path: '/', presign: 60, headers: unsignedPayload });
    assert.equal(presigned.status, 200, presigned.text);
    const expired = await call({ service: 's3', method: 'GET', path: '/', presign: 60, date: new Date(NOW - 61_000), headers: unsignedPayload });
    const tooLong = await call({ service: 's3', method: 'GET', path: '/', query: { 'X-Amz-Expires': '604801', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': 'test/20260115/us-east-1/s3/aws4_request', 'X-Amz-Date': '20260115T120000Z', 'X-Amz-SignedHeaders': 'host', 'X-Amz-Signature': '00' }, unsigned: true });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.text, /<Code>AuthorizationQueryParametersError<\/Code><Message>X-Amz-Expires must be less than a week \(in seconds\) that is 604800<\/Message>/);
    assert.equal(expired.status, 403);
    assert.match(expired.text, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message><X-Amz-Expires>60<\/X-Amz-Expires>/);
    const missing = await call({ service: 's3', method: 'GET', path: '/', unsigned: true });
    assert.match(missing.text, /<Code>AccessDenied<\/Code>/);
  });

  it('S3 answers an operation it does not implement with 501 NotImplemented', async () => {
    const r = await call({ service: 's3', method: 'DELETE', path: '/bkt' });
    assert.equal(r.status, 501);
    assert.match(r.text, /<Code>NotImplemented<\/Code>/);
    assert.equal(r.headers['x-nimbus-unsupported-operation'], 'DeleteBucket');
  });
});

describe('restXml with error wrapping', () => {
  it('errors are <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>', async () => {
    const r = await call({ service: 'route53', method: 'GET', path: '/bkt/key' });
    assert.equal(r.status, 404);
    assert.equal(
      r.text,
      `<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>key</Key></Error><RequestId>${r.headers['x-amzn-requestid']}</RequestId></ErrorResponse>`,
    );
    const unknown = await call({ service: 'route53', method: 'POST', path: '/x/y/z' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '<UnknownOperationException/>\n');
  });
});

describe('endpoint', () => {
  it('a credential scope naming a service Nimbus lacks is answered, not crashed on', async () => {
    const r = await call({ service: 'kinesis', headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams' }, body: '{}' });
    assert.equal(r.status, 404);
    assert.match(r.json().message as string, /does not implement the AWS service 'kinesis'/);
  });

  it('relaxed auth accepts any well-formed signature from any key', async () => {
    const relaxed = new AwsEndpoint({ services: [json10], region: 'us-east-1', accountId: '000000000000', enforceAuth: false });
    const s = signer({ service: 'dynamodb', credentials: { accessKeyId: 'anything', secretAccessKey: 'whatever' } });
    const body = '{"Name":"a"}';
    const signed = await s.sign({ method: 'POST', protocol: 'http:', hostname: 'h', path: '/', query: {}, headers: { host: 'h', ...target('Echo') }, body }, { signingDate: new Date(0) });
    const r = await relaxed.dispatch(wireRequest('POST', '/', Object.entries(signed.headers), Buffer.from(body)));
    assert.equal(r.status, 200, String(r.body));
    const unsigned = await relaxed.dispatch(wireRequest('POST', '/', Object.entries(target('Echo')), Buffer.from(body)));
    assert.equal(unsigned.status, 400);
  });
});
