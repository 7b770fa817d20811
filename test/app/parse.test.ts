import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlatformError } from '../../src/errors';
import { parseJson, parseYaml } from '../../src/app/serverless/parse';

describe('parseYaml: CloudFormation tags', () => {
  it('turns short forms into long forms', () => {
    const yaml = `
a: !Ref Table
b: !GetAtt Table.Arn
c: !GetAtt [Db, Endpoint.Address]
d: !GetAtt Db.Endpoint.Address
e: !Sub 'arn:aws:s3:::\${Bucket}/*'
f: !Sub
  - '\${Name}-x'
  - Name: !Ref AWS::StackName
g: !Join ['', [!Ref Prefix, '-', !GetAtt Queue.QueueName]]
h: !If [IsProd, !Ref A, !Ref AWS::NoValue]
i: !Select [0, !GetAZs '']
j: !Split [',', !ImportValue Shared]
k: !Equals [!Ref Stage, prod]
l: !Condition IsProd
m: !Base64 hello
n: !FindInMap [Map, !Ref AWS::Region, Ami]
o: !Not [!Condition IsProd]
`;
    assert.deepEqual(parseYaml(yaml, 'serverless.yml'), {
      a: { Ref: 'Table' },
      b: { 'Fn::GetAtt': ['Table', 'Arn'] },
      c: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] },
      d: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] },
      e: { 'Fn::Sub': 'arn:aws:s3:::${Bucket}/*' },
      f: { 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'AWS::StackName' } }] },
      g: { 'Fn::Join': ['', [{ Ref: 'Prefix' }, '-', { 'Fn::GetAtt': ['Queue', 'QueueName'] }]] },
      h: { 'Fn::If': ['IsProd', { Ref: 'A' }, { Ref: 'AWS::NoValue' }] },
      i: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      j: { 'Fn::Split': [',', { 'Fn::ImportValue': 'Shared' }] },
      k: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      l: { Condition: 'IsProd' },
      m: { 'Fn::Base64': 'hello' },
      n: { 'Fn::FindInMap': ['Map', { Ref: 'AWS::Region' }, 'Ami'] },
      o: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    });
  });

  it('supports anchors, aliases and merge keys', () => {
    const yaml = 'base: &base\n  memorySize: 256\n  timeout: 3\nfn:\n  <<: *base\n  timeout: 9\nsame: *base\n';
    assert.deepEqual(parseYaml(yaml, 'serverless.yml'), {
      base: { memorySize: 256, timeout: 3 },
      fn: { memorySize: 256, timeout: 9 },
      same: { memorySize: 256, timeout: 3 },
    });
  });

  it('reports the line and column of a syntax error', () => {
    try {
      parseYaml('a: 1\nb: [1, 2\nc: 3\n', 'serverless.yml');
      assert.fail('expected a syntax error');
    } catch (e) {
      assert.ok(isPlatformError(e));
      assert.equal(e.code, 'ERR_APP_INVALID');
      assert.match(e.message, /^serverless\.yml:\d+:\d+: syntax error: /);
      assert.equal(e.file, 'serverless.yml');
    }
  });
});

describe('parseJson', () => {
  it('parses and reports positions as line:column', () => {
    assert.deepEqual(parseJson('{"a": [1]}', 'serverless.json'), { a: [1] });
    try {
      parseJson('{\n  "a": 1,\n  x\n}', 'serverless.json');
      assert.fail('expected a syntax error');
    } catch (e) {
      assert.ok(isPlatformError(e));
      assert.match(e.message, /^serverless\.json:3:3: syntax error: /);
    }
  });
});
