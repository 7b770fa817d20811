/**
 * The wire layer's fast paths give exactly what the general code gave:
 * member-by-member JSON output (with RawJson spliced), the document shortcut
 * of input decoding, canonical header values, the signature comparison on raw
 * digests, and one Authorization parse per request.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  AwsEndpoint,
  Credentials,
  RawJson,
  ServiceError,
  blob,
  coralAuthErrors,
  defineOperation,
  document,
  double,
  int,
  list,
  map,
  member,
  required,
  str,
  struct,
  timestamp,
  wireRequest,
  type ServiceDefinition,
} from '../../src/aws';
import { fromJsonStruct, toJson, toJsonStruct, toJsonStructText } from '../../src/aws/codec';
import { canonicalHeaders, sha256Hex, signature, signatureMatches, signingKey } from '../../src/aws/sigv4';
import type { JsonValue } from '../../src/aws/shapes';
import { signer } from '../services/lambda/helpers';

const shape = struct({
  Name: required(str()),
  Count: member(int()),
  Ratio: member(double()),
  Data: member(blob()),
  When: member(timestamp()),
  Tags: member(list(str())),
  Attrs: member(map(int())),
  Inner: member(struct({ Deep: member(str()), Renamed: member(str(), { name: 'renamed_on_wire' }) })),
  Doc: member(document()),
  Wire: member(str(), { name: 'wire_name' }),
});

describe('toJsonStructText', () => {
  const samples: Record<string, unknown>[] = [
    {},
    { Name: 'a' },
    { Name: 'é "quoted" \u2028 \ud800', Count: 0, Ratio: NaN, Data: Buffer.from([0, 1, 255]), When: new Date(1700000000500) },
    { Name: 'x', Ratio: -Infinity, Tags: [], Attrs: { b: 2, a: 1, '1': 3 }, Inner: { Deep: 'd', Renamed: 'r' }, Wire: 'w' },
    { Name: 'x', Doc: { z: [1, { y: null }], '10': 'int-like key', a: true }, Count: undefined, Ratio: undefined },
    { Name: 'x', Doc: null, Tags: ['a', 'b'], Attrs: {} },
  ];
  for (const [i, v] of samples.entries()) {
    it(`is JSON.stringify(toJsonStruct(...)) for sample ${i}`, () => {
      assert.equal(toJsonStructText(shape, v, 'all'), JSON.stringify(toJsonStruct(shape, v, 'all')));
    });
  }

  it('splices a RawJson document as it is, and parses it anywhere else', () => {
    const raw = new RawJson('{ "kept" : [1, 2],"spacing":"as sent" }');
    const text = toJsonStructText(shape, { Name: 'n', Doc: raw }, 'all');
    assert.equal(text, '{"Name":"n","Doc":{ "kept" : [1, 2],"spacing":"as sent" }}');
    assert.deepEqual(JSON.parse(text), { Name: 'n', Doc: { kept: [1, 2], spacing: 'as sent' } });
    // Where it cannot be spliced (a serializer building values), it is its value.
    assert.deepEqual(toJson(document(), raw), { kept: [1, 2], spacing: 'as sent' });
    assert.deepEqual(toJsonStruct(shape, { Name: 'n', Doc: raw }, 'all'), { Name: 'n', Doc: { kept: [1, 2], spacing: 'as sent' } });
    assert.equal(RawJson.array(['{"a":1}', '2', '"x"']).text, '[{"a":1},2,"x"]');
    assert.equal(RawJson.array([]).text, '[]');
  });
});

describe('fromJsonStruct', () => {
  it('passes documents through, decodes the rest, drops nulls and unknown members', () => {
    const body: { [k: string]: JsonValue } = { Name: 'n', Doc: { a: [1] }, Data: Buffer.from('hi').toString('base64'), Count: null, wire_name: 'w', Wire: 'ignored', Extra: 1 };
    const out = fromJsonStruct(shape, body, 'all');
    assert.deepEqual(out, { Name: 'n', Doc: { a: [1] }, Data: Buffer.from('hi'), Wire: 'w' });
    assert.equal(out.Doc, body.Doc, 'the parsed document itself, not a copy');
  });

  it('still rejects a wrong type in a typed member', () => {
    assert.throws(() => fromJsonStruct(shape, { Name: 5 }, 'all'), (e: unknown) => e instanceof ServiceError && e.message === 'NUMBER_VALUE can not be converted to a String');
  });
});

describe('sigv4 fast paths', () => {
  it('canonical header values: already-canonical ones unchanged, the rest trimmed and collapsed as before', () => {
    const cases: [string, string][] = [
      ['application/x-amz-json-1.0', 'application/x-amz-json-1.0'],
      ['  lead and trail  ', 'lead and trail'],
      ['a  b\t\tc', 'a b c'],
      ['line\r\nbreak', 'line break'],
      ['\u00a0nbsp-led', 'nbsp-led'],
      ['tab-end\t', 'tab-end'],
      ['one space inside', 'one space inside'],
      ['', ''],
    ];
    for (const [value, expected] of cases) {
      assert.equal(canonicalHeaders(new Map([['x-h', [value]]]), ['x-h']), `x-h:${expected}\n`, JSON.stringify(value));
    }
    assert.equal(canonicalHeaders(new Map([['x-h', [' a ', 'b  c']], ['host', ['h']]]), ['host', 'x-h', 'x-missing']), 'host:h\nx-h:a,b c\nx-missing:\n');
  });

  it('signatureMatches compares the raw digest: the right signature only, lower-case hex only', () => {
    const key = signingKey('secret', '20260115', 'us-east-1', 'dynamodb');
    const sts = 'AWS4-HMAC-SHA256\n20260115T120000Z\nscope\n' + sha256Hex('creq');
    const good = signature(key, sts);
    assert.equal(signatureMatches(key, sts, good), true);
    assert.equal(signatureMatches(key, sts, good.toUpperCase()), false);
    assert.equal(signatureMatches(key, sts, good.slice(0, 63)), false);
    assert.equal(signatureMatches(key, sts, good.slice(0, 63) + (good.endsWith('0') ? '1' : '0')), false);
    assert.equal(signatureMatches(key, sts, good + '0'), false);
    assert.equal(signatureMatches(key, sts + 'x', good), false);
  });
});

describe('a JSON service returning RawJson, end to end', () => {
  const raw = defineOperation({
    name: 'Raw',
    input: struct({ Keep: member(document()) }),
    output: struct({ Item: member(document()), Items: member(document()), Count: member(int()) }),
    handler: async (i) => ({ Item: new RawJson(JSON.stringify(i.Keep ?? null)), Items: RawJson.array(['{"a":1}', '{"b":2}']), Count: 2 }),
  });
  const svc: ServiceDefinition = {
    signingName: 'dynamodb',
    protocol: 'awsJson1_0',
    targetPrefix: 'DynamoDB_20120810',
    errorNamespace: 'com.amazonaws.dynamodb.v20120810',
    maxBodyBytes: 1 << 20,
    operations: { Raw: raw },
    authErrors: coralAuthErrors({ status: 400, missingMessage: 'Request is missing Authentication Token' }),
    internalError: () => new ServiceError('InternalServerError', 500, 'Internal Server Error'),
  };
  const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
  const endpoint = new AwsEndpoint({ services: [svc], credentials: new Credentials(), region: 'us-east-1', accountId: '000000000000', now: () => NOW });

  async function send(body: string, mutate?: (h: Record<string, string>) => void): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { host: 'localhost:4566', 'x-amz-target': 'DynamoDB_20120810.Raw', 'content-type': 'application/x-amz-json-1.0' };
    const signed = await signer({ service: 'dynamodb' }).sign({ method: 'POST', protocol: 'http:', hostname: 'localhost', port: 4566, path: '/', headers, body }, { signingDate: new Date(NOW) });
    const h = signed.headers as Record<string, string>;
    mutate?.(h);
    const r = await endpoint.dispatch(wireRequest('POST', '/', Object.entries(h), Buffer.from(body)));
    return { status: r.status, text: typeof r.body === 'string' ? r.body : r.body.toString('utf8') };
  }

  it('splices the pre-serialized values into the body', async () => {
    const r = await send('{"Keep":{"x":[1,"two",{"three":3}]}}');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '{"Item":{"x":[1,"two",{"three":3}]},"Items":[{"a":1},{"b":2}],"Count":2}');
  });

  it('verifies the signature with the Authorization header parsed once by detection', async () => {
    const bad = await send('{}', (h) => {
      h.authorization = h.authorization!.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /InvalidSignatureException/);
    const incomplete = await send('{}', (h) => {
      h.authorization = h.authorization!.replace(/, Signature=[0-9a-f]+/, '');
    });
    assert.equal(incomplete.status, 400);
    assert.match(incomplete.text, /Authorization header requires 'Signature' parameter/);
  });
});
