/**
 * SigV4 canonicalization against AWS's published test suite
 * (aws-sig-v4-test-suite: AKIDEXAMPLE, 20150830T123600Z, us-east-1, service
 * "service"), and aws-chunked decoding against the example in AWS's S3
 * documentation ("Signature Calculations for the Authorization Header:
 * Transferring Payload in Multiple Chunks").
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  EMPTY_SHA256,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  decodeAwsChunked,
  parseQuery,
  sha256Hex,
  signature,
  signingKey,
  stringToSign,
} from '../../src/aws/sigv4';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const DATE = '20150830T123600Z';

function sign(method: string, target: string, extra: [string, string][], body = ''): { signed: string; sig: string; creq: string } {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const raw = q < 0 ? '' : target.slice(q + 1);
  const headers = new Map<string, string[]>();
  for (const [k, v] of [['host', 'example.amazonaws.com'], ['x-amz-date', DATE], ...extra] as [string, string][]) {
    const n = k.toLowerCase();
    headers.set(n, [...(headers.get(n) ?? []), v]);
  }
  const signedList = [...headers.keys()].sort();
  const creq = canonicalRequest(method, canonicalUri(path, false), canonicalQuery(parseQuery(raw)), canonicalHeaders(headers, signedList), signedList, sha256Hex(body));
  const sts = stringToSign(DATE, credentialScope('20150830', 'us-east-1', 'service'), creq);
  return { signed: signedList.join(';'), sig: signature(signingKey(SECRET, '20150830', 'us-east-1', 'service'), sts), creq };
}

// [name, method, target (raw, percent-encoded as sent), extra headers, body, signed headers, published signature]
const VECTORS: [string, string, string, [string, string][], string, string, string][] = [
  ['get-vanilla', 'GET', '/', [], '', 'host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
  ['get-unreserved', 'GET', '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', [], '', 'host;x-amz-date', '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f'],
  ['get-slashes (normalized)', 'GET', '//example//', [], '', 'host;x-amz-date', '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84'],
  ['get-vanilla-query-order-key-case', 'GET', '/?Param2=value2&Param1=value1', [], '', 'host;x-amz-date', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
  ['get-vanilla-query-order-value', 'GET', '/?Param1=value2&Param1=value1', [], '', 'host;x-amz-date', '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694'],
  ['get-vanilla-utf8-query', 'GET', '/?%E1%88%B4=bar', [], '', 'host;x-amz-date', '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04'],
  ['get-header-value-order', 'GET', '/', [['My-Header1', 'value4'], ['My-Header1', 'value1'], ['My-Header1', 'value3'], ['My-Header1', 'value2']], '', 'host;my-header1;x-amz-date', '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01'],
  ['get-header-key-duplicate', 'GET', '/', [['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1']], '', 'host;my-header1;x-amz-date', 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea'],
  ['get-header-value-trim', 'GET', '/', [['My-Header1', ' value1'], ['My-Header2', '"a   b   c"']], '', 'host;my-header1;my-header2;x-amz-date', 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736'],
  ['post-x-www-form-urlencoded', 'POST', '/', [['Content-Type', 'application/x-www-form-urlencoded']], 'Param1=value1', 'content-type;host;x-amz-date', 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a'],
  ['post-sts-token (header)', 'GET', '/', [['X-Amz-Security-Token', '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267']], '', 'host;x-amz-date;x-amz-security-token', '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8'],
];

describe('SigV4 canonicalization: AWS test suite vectors', () => {
  for (const [name, method, target, extra, body, signedHeaders, expected] of VECTORS) {
    it(name, () => {
      const r = sign(method, target, extra, body);
      assert.equal(r.signed, signedHeaders);
      assert.equal(r.sig, expected, r.creq);
    });
  }

  it('get-vanilla canonical request, byte for byte', () => {
    assert.equal(sign('GET', '/', []).creq, `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:${DATE}\n\nhost;x-amz-date\n${EMPTY_SHA256}`);
  });

  it('URI: other services encode the path twice, S3 signs it as sent', () => {
    assert.equal(canonicalUri('/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations', false), '/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A000000000000%253Afunction%253Af/invocations');
    assert.equal(canonicalUri('/bucket/a%20b/c', true), '/bucket/a%20b/c');
    assert.equal(canonicalUri('/example space/', false), '/example%20space/');
    assert.equal(canonicalUri('/a/./b/../c', false), '/a/c');
    assert.equal(canonicalUri('', false), '/');
  });

  it('query: RFC 3986 encoding, sorted by name then value, X-Amz-Signature left out', () => {
    assert.equal(canonicalQuery(parseQuery('b=2&a=1&a=0&X-Amz-Signature=abc&q=a%20b&p=%2B&r=!')), 'a=0&a=1&b=2&p=%2B&q=a%20b&r=%21');
    assert.equal(canonicalQuery(parseQuery('flag&x=')), 'flag=&x=');
  });
});

describe('aws-chunked payloads', () => {
  // AWS's S3 documentation example: 66560 bytes of 'a' in a 65536-byte and a 1024-byte chunk.
  const key = signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
  const signing = { key, amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9' };
  const sigs = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const body = (s: string[]): Buffer =>
    Buffer.concat([
      Buffer.from(`10000;chunk-signature=${s[0]}\r\n`),
      Buffer.alloc(65536, 'a'),
      Buffer.from(`\r\n400;chunk-signature=${s[1]}\r\n`),
      Buffer.alloc(1024, 'a'),
      Buffer.from(`\r\n0;chunk-signature=${s[2]}\r\n\r\n`),
    ]);

  it("verifies the documented example's chunk signatures", () => {
    const b = body(sigs);
    assert.equal(b.length, 66824); // the example's Content-Length
    const d = decodeAwsChunked(b, signing);
    assert.equal(d.payload.length, 66560);
    assert.ok(d.payload.every((c) => c === 0x61));
  });

  it('refuses a tampered chunk signature', () => {
    assert.throws(() => decodeAwsChunked(body([sigs[0]!, sigs[2]!, sigs[1]!]), signing), /signature mismatch/);
  });

  it('decodes unsigned chunks with trailers (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', () => {
    const b = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    const d = decodeAwsChunked(b, null);
    assert.equal(d.payload.toString(), 'hello world');
    assert.equal(d.trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
  });
});
