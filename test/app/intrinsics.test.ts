import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateCondition, findReferences, type IntrinsicContext, isResolved, resolveIntrinsics } from '../../src/app/cloudformation/intrinsics';
import type { JsonValue } from '../../src/app/stack';
import { isPlatformError } from '../../src/errors';

/** A deployed world: Table (Ref = name, Arn, StreamArn) and Queue (Ref = URL, Arn). */
const RESOURCES: Record<string, { ref: JsonValue; atts: Record<string, JsonValue> }> = {
  Table: { ref: 'users', atts: { Arn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/users', StreamArn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/users/stream/1', 'Nested.Name': 'n' } },
  Queue: { ref: 'http://q', atts: { Arn: 'arn:aws:sqs:eu-west-1:000000000000:q', Names: ['a', 'b'] } },
};

function context(over: Partial<IntrinsicContext> = {}): IntrinsicContext {
  return {
    region: 'eu-west-1',
    accountId: '000000000000',
    partition: 'aws',
    stackName: 'svc-dev',
    urlSuffix: 'amazonaws.com',
    file: 'serverless.yml',
    ref: (id) => RESOURCES[id]?.ref ?? (id === 'Param' ? 'from-param' : undefined),
    getAtt: (id, a) => RESOURCES[id]?.atts[a],
    condition: (name) => ({ IsProd: false, IsDev: true } as Record<string, boolean>)[name],
    mappings: { Sizes: { dev: { Capacity: 1 }, prod: { Capacity: 5 } } },
    ...over,
  };
}

const resolve = (v: JsonValue, over: Partial<IntrinsicContext> = {}): JsonValue => resolveIntrinsics(v, context(over), 'x');

function throwsWith(fn: () => unknown, ...contains: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(isPlatformError(err), `expected a PlatformError, got ${String(err)}`);
  assert.equal(err.code, 'ERR_APP_INVALID');
  for (const s of contains) assert.ok(err.message.includes(s), `${JSON.stringify(err.message)} should contain ${JSON.stringify(s)}`);
}

describe('intrinsics: each function', () => {
  it('Ref: resources, parameters and pseudo parameters', () => {
    assert.equal(resolve({ Ref: 'Table' }), 'users');
    assert.equal(resolve({ Ref: 'Param' }), 'from-param');
    assert.deepEqual(
      resolve(['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::StackName', 'AWS::URLSuffix'].map((p) => ({ Ref: p }))),
      ['eu-west-1', '000000000000', 'aws', 'svc-dev', 'amazonaws.com'],
    );
    const stackId = resolve({ Ref: 'AWS::StackId' });
    assert.match(String(stackId), /^arn:aws:cloudformation:eu-west-1:000000000000:stack\/svc-dev\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(resolve({ Ref: 'AWS::StackId' }), stackId, 'stable across calls');
    assert.deepEqual(resolve({ Ref: 'AWS::NotificationARNs' }), []);
  });

  it('AWS::NoValue removes the enclosing key or list element', () => {
    assert.deepEqual(resolve({ a: 1, b: { Ref: 'AWS::NoValue' }, c: [1, { Ref: 'AWS::NoValue' }, 3] }), { a: 1, c: [1, 3] });
    assert.deepEqual(resolve({ a: { 'Fn::If': ['IsProd', 'big', { Ref: 'AWS::NoValue' }] } }), {});
    assert.equal(resolve({ Ref: 'AWS::NoValue' }), null);
  });

  it('Fn::GetAtt: list form, dotted form, attribute names with dots, attribute from a Ref', () => {
    assert.equal(resolve({ 'Fn::GetAtt': ['Table', 'Arn'] }), RESOURCES.Table!.atts.Arn);
    assert.equal(resolve({ 'Fn::GetAtt': 'Table.StreamArn' }), RESOURCES.Table!.atts.StreamArn);
    assert.equal(resolve({ 'Fn::GetAtt': 'Table.Nested.Name' }), 'n');
    assert.equal(resolve({ 'Fn::GetAtt': ['Table', { Ref: 'AttrParam' }] }, { ref: (id) => (id === 'AttrParam' ? 'Arn' : undefined) }), RESOURCES.Table!.atts.Arn);
  });

  it('Fn::Sub: string and [string, map] forms, pseudo parameters, Res.Attr, ${!Literal}', () => {
    assert.equal(resolve({ 'Fn::Sub': '${AWS::Region}-x' }), 'eu-west-1-x');
    assert.equal(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Table}/${Table.Arn}' }), `arn:aws:s3:::users/${RESOURCES.Table!.atts.Arn}`);
    assert.equal(resolve({ 'Fn::Sub': ['${Name}-${AWS::StackName}', { Name: { Ref: 'Table' } }] }), 'users-svc-dev');
    assert.equal(resolve({ 'Fn::Sub': 'literal ${!Table} and ${!AWS::Region}' }), 'literal ${Table} and ${AWS::Region}');
    assert.equal(resolve({ 'Fn::Sub': 'no variables' }), 'no variables');
  });

  it('Fn::Join, Fn::Select, Fn::Split over literals and nested functions', () => {
    assert.equal(resolve({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }, 3]] }), 'a-eu-west-1-3');
    assert.equal(resolve({ 'Fn::Join': ['', []] }), '');
    assert.equal(resolve({ 'Fn::Select': [1, ['a', 'b', 'c']] }), 'b');
    assert.equal(resolve({ 'Fn::Select': ['0', { 'Fn::Split': [',', 'x,y'] }] }), 'x');
    assert.deepEqual(resolve({ 'Fn::Split': ['/', 'a/b/c'] }), ['a', 'b', 'c']);
    assert.equal(resolve({ 'Fn::Select': [1, { 'Fn::GetAtt': ['Queue', 'Names'] }] }), 'b');
    assert.equal(
      resolve({ 'Fn::Join': [':', { 'Fn::Split': ['/', { 'Fn::Sub': '${AWS::Region}/${Table}' }] }] }),
      'eu-west-1:users',
    );
  });

  it('Fn::GetAZs, Fn::Base64, Fn::FindInMap, Fn::Length, Fn::ToJsonString', () => {
    assert.deepEqual(resolve({ 'Fn::GetAZs': '' }), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    assert.deepEqual(resolve({ 'Fn::GetAZs': { Ref: 'AWS::Region' } }), ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    assert.equal(resolve({ 'Fn::Base64': { 'Fn::Sub': 'hi ${AWS::Region}' } }), Buffer.from('hi eu-west-1').toString('base64'));
    assert.equal(resolve({ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Capacity'] }, { ref: (id) => (id === 'Stage' ? 'prod' : undefined) }), 5);
    assert.equal(resolve({ 'Fn::Length': [1, 2, 3] }), 3);
    assert.equal(resolve({ 'Fn::ToJsonString': { a: [1, { Ref: 'Table' }] } }), '{"a":[1,"users"]}');
  });

  it('conditions: Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition', () => {
    assert.equal(resolve({ 'Fn::If': ['IsProd', 'big', 'small'] }), 'small');
    assert.equal(resolve({ 'Fn::If': ['IsDev', { Ref: 'Table' }, 'x'] }), 'users');
    const ctx = context();
    assert.equal(evaluateCondition({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }, ctx, 'c'), true);
    assert.equal(evaluateCondition({ 'Fn::Equals': ['true', true] }, ctx, 'c'), true, 'compared as strings');
    assert.equal(evaluateCondition({ 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Not': [{ Condition: 'IsProd' }] }] }, ctx, 'c'), true);
    assert.equal(evaluateCondition({ 'Fn::Or': [{ Condition: 'IsProd' }, { 'Fn::Equals': ['a', 'b'] }] }, ctx, 'c'), false);
    assert.deepEqual(resolve({ v: { 'Fn::Not': [{ Condition: 'IsProd' }] } }), { v: true });
  });

  it('nesting: every function inside others, inside objects and lists', () => {
    const v: JsonValue = {
      Name: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { 'Fn::Select': [0, { 'Fn::Split': ['.', { 'Fn::GetAtt': 'Table.Nested.Name' }] }] }]] },
      List: [{ 'Fn::Sub': ['${A}', { A: { 'Fn::If': ['IsDev', { 'Fn::GetAtt': ['Queue', 'Arn'] }, 'no'] } }] }],
    };
    assert.deepEqual(resolve(v), { Name: 'svc-dev-n', List: [RESOURCES.Queue!.atts.Arn] });
  });
});

describe('intrinsics: partial resolution (compile time)', () => {
  // Resources exist only at deploy: their Refs are kept, everything around them resolves.
  const compileTime: Partial<IntrinsicContext> = {
    ref: () => undefined,
    getAtt: () => undefined,
    unresolved: (id) => (id === 'Table' || id === 'Queue' ? 'keep' : undefined),
  };

  it('keeps references to resources and resolves the rest', () => {
    assert.deepEqual(resolve({ Ref: 'Table' }, compileTime), { Ref: 'Table' });
    assert.deepEqual(resolve({ 'Fn::GetAtt': 'Table.StreamArn' }, compileTime), { 'Fn::GetAtt': ['Table', 'StreamArn'] });
    assert.deepEqual(resolve({ 'Fn::Sub': '${AWS::Region}:${Table.Arn}:${!Lit}' }, compileTime), { 'Fn::Sub': 'eu-west-1:${Table.Arn}:${!Lit}' });
    assert.deepEqual(resolve({ 'Fn::Sub': ['${A}-${B}', { A: { Ref: 'Queue' }, B: { Ref: 'AWS::Region' } }] }, compileTime), { 'Fn::Sub': ['${A}-eu-west-1', { A: { Ref: 'Queue' } }] });
    assert.deepEqual(resolve({ 'Fn::Join': ['/', [{ Ref: 'AWS::Region' }, { Ref: 'Table' }]] }, compileTime), { 'Fn::Join': ['/', ['eu-west-1', { Ref: 'Table' }]] });
    assert.equal(resolve({ 'Fn::Select': [0, ['lit', { Ref: 'Table' }]] }, compileTime), 'lit');
    assert.equal(resolve({ 'Fn::If': ['IsProd', { Ref: 'Table' }, 'small'] }, compileTime), 'small');
  });

  it('a kept value resolves fully later against deployed resources', () => {
    const kept = resolve({ 'Fn::Sub': ['${A}|${AWS::Region}|${Table.Arn}', { A: { Ref: 'Queue' } }] }, compileTime);
    assert.equal(isResolved(kept), false);
    assert.equal(resolve(kept), `http://q|eu-west-1|${RESOURCES.Table!.atts.Arn}`);
  });

  it('findReferences lists the logical ids, isResolved finds intrinsics anywhere', () => {
    const v: JsonValue = {
      a: { Ref: 'Table' },
      b: [{ 'Fn::GetAtt': 'Queue.Arn' }, { 'Fn::Sub': ['${Other.Arn}-${AWS::Region}-${Local}-${!Esc}', { Local: { Ref: 'Param' } }] }],
      c: { Ref: 'AWS::Region' },
      d: { 'Fn::GetAtt': ['Table', 'Arn'] },
    };
    assert.deepEqual(findReferences(v), ['Table', 'Queue', 'Other', 'Param']);
    assert.equal(isResolved(v), false);
    assert.equal(isResolved({ a: [1, { b: 'x' }], Condition: { StringEquals: {} } }), true);
  });
});

describe('intrinsics: errors name the file, the key path and why', () => {
  it('unknown resource, unknown attribute, unknown condition and mapping', () => {
    throwsWith(() => resolveIntrinsics({ p: [{ Ref: 'Nope' }] }, context(), 'resources.Resources.T.Properties'), 'serverless.yml: resources.Resources.T.Properties.p[0].Ref references Nope', 'Unresolved resource dependencies [Nope]');
    throwsWith(() => resolve({ 'Fn::GetAtt': ['Table', 'Bogus'] }), 'x.Fn::GetAtt references Table.Bogus');
    throwsWith(() => resolve({ 'Fn::Sub': '${Nope.Arn}' }), 'x.Fn::Sub references Nope.Arn');
    throwsWith(() => resolve({ 'Fn::If': ['Missing', 1, 2] }), 'x.Fn::If[0] references the condition Missing');
    throwsWith(() => resolve({ 'Fn::FindInMap': ['Sizes', 'qa', 'Capacity'] }), 'references Sizes.qa');
    throwsWith(() => resolve({ Ref: 'AWS::Nope' }), 'AWS::Nope is not a pseudo parameter');
    throwsWith(() => resolve({ Ref: 'Nope' }, { unresolved: () => 'is special' }), 'x.Ref is special');
  });

  it('wrong arity and wrong argument types', () => {
    throwsWith(() => resolve({ 'Fn::GetAtt': ['Table'] }), 'x.Fn::GetAtt must be [Resource, Attribute]');
    throwsWith(() => resolve({ 'Fn::GetAtt': 'Table' }), 'x.Fn::GetAtt must be "Resource.Attribute"');
    throwsWith(() => resolve({ 'Fn::Join': ['-'] }), 'x.Fn::Join must be [delimiter, [values]]');
    throwsWith(() => resolve({ 'Fn::Join': ['-', 'ab'] }), 'x.Fn::Join[1] must be a list');
    throwsWith(() => resolve({ 'Fn::Join': ['-', [{ a: 1 }]] }), 'x.Fn::Join[1][0] must be a string');
    throwsWith(() => resolve({ 'Fn::Select': [5, ['a']] }), 'x.Fn::Select[0] is 5, out of bounds for a list of 1');
    throwsWith(() => resolve({ 'Fn::Select': [-1, ['a']] }), 'must be a non-negative integer');
    throwsWith(() => resolve({ 'Fn::Split': [',', 1] }), 'x.Fn::Split[1] must be a string');
    throwsWith(() => resolve({ 'Fn::Sub': [1, 2, 3] }), 'x.Fn::Sub must be a string or [string, { Var: value }]');
    throwsWith(() => resolve({ 'Fn::Sub': '${Queue.Names}' }), 'must resolve to a string');
    throwsWith(() => resolve({ 'Fn::If': ['IsProd', 1] }), 'x.Fn::If must be [condition name, value if true, value if false]');
    throwsWith(() => resolve({ 'Fn::And': [{ Condition: 'IsProd' }] }), 'x.Fn::And must be a list of 2 to 10 conditions');
    throwsWith(() => resolve({ 'Fn::Equals': [{ Ref: 'Table' }, 'x'] }, { ref: () => undefined, unresolved: () => 'keep' }), 'x.Fn::Equals[0] must resolve before deploying');
    throwsWith(() => resolve({ 'Fn::ImportValue': 'x' }), 'x.Fn::ImportValue is not supported yet');
    throwsWith(() => resolve({ 'Fn::Bogus': 'x' }), 'x.Fn::Bogus is not a CloudFormation intrinsic function');
  });
});
