/**
 * Lambda event filtering (filter-pattern.ts): the operators of the Lambda
 * developer guide's syntax table and its DynamoDB examples, validation with
 * AWS's message, OR across a mapping's filters, and JSON bodies.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { compileFilters, jsonFieldView, parseFilterPattern, validateFilterPattern } from '../../src/triggers/filter-pattern';

const match = (pattern: unknown, record: unknown): boolean => parseFilterPattern(JSON.stringify(pattern)).matches(record);

/** The sample record of "Using event filtering with a DynamoDB event source". */
const DDB_RECORD = {
  eventID: '1',
  eventVersion: '1.0',
  eventName: 'INSERT',
  dynamodb: {
    ApproximateCreationDateTime: '1678831218.0',
    Keys: { CustomerName: { S: 'AnyCompany Industries' } },
    NewImage: {
      AccountManager: { S: 'Pat Candella' },
      PaymentTerms: { S: '60 days' },
      CustomerName: { S: 'AnyCompany Industries' },
      RequestApproved: { BOOL: true },
    },
    SequenceNumber: '111',
    SizeBytes: 26,
    StreamViewType: 'NEW_IMAGE',
  },
};

describe('filter patterns: AWS documentation examples (DynamoDB)', () => {
  it('filters on a table key', () => {
    assert.equal(match({ dynamodb: { Keys: { CustomerName: { S: ['AnyCompany Industries'] } } } }, DDB_RECORD), true);
    assert.equal(match({ dynamodb: { Keys: { CustomerName: { S: ['Other Corp'] } } } }, DDB_RECORD), false);
  });
  it('filters on attributes, a boolean, and with exists', () => {
    assert.equal(match({ dynamodb: { NewImage: { AccountManager: { S: ['Pat Candella'] } } } }, DDB_RECORD), true);
    assert.equal(match({ dynamodb: { NewImage: { RequestApproved: { BOOL: [true] } } } }, DDB_RECORD), true);
    assert.equal(match({ dynamodb: { NewImage: { RequestApproved: { BOOL: [false] } } } }, DDB_RECORD), false);
    assert.equal(match({ dynamodb: { NewImage: { StopDate: [{ exists: false }] } } }, DDB_RECORD), true);
    assert.equal(match({ dynamodb: { NewImage: { StopDate: [{ exists: true }] } } }, DDB_RECORD), false);
    assert.equal(match({ dynamodb: { NewImage: { PaymentTerms: { S: [{ exists: true }] } } } }, DDB_RECORD), true);
  });
  it('filters on eventName (several values: any)', () => {
    assert.equal(match({ eventName: ['INSERT', 'MODIFY'] }, DDB_RECORD), true);
    assert.equal(match({ eventName: ['REMOVE'] }, DDB_RECORD), false);
  });
});

describe('filter patterns: comparison operators (the guide\'s syntax table)', () => {
  it('null, empty, equals, and (several fields)', () => {
    assert.equal(match({ UserID: [null] }, { UserID: null }), true);
    assert.equal(match({ UserID: [null] }, { UserID: 'x' }), false);
    assert.equal(match({ UserID: [null] }, {}), false);
    assert.equal(match({ LastName: [''] }, { LastName: '' }), true);
    assert.equal(match({ Name: ['Alice'] }, { Name: 'Alice' }), true);
    assert.equal(match({ Name: ['Alice'] }, { Name: 'alice' }), false);
    assert.equal(match({ Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Monday' }), true);
    assert.equal(match({ Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Tuesday' }), false);
  });
  it('equals ignores JSON type differences of numbers but not of strings', () => {
    assert.equal(match({ Price: [100] }, { Price: 100 }), true);
    assert.equal(match({ Price: [100] }, { Price: '100' }), false);
  });
  it('equals-ignore-case, prefix, suffix (also ignoring case), wildcard', () => {
    assert.equal(match({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' }), true);
    assert.equal(match({ Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' }), true);
    assert.equal(match({ Region: [{ prefix: 'us-' }] }, { Region: 'eu-west-1' }), false);
    assert.equal(match({ Region: [{ prefix: { 'equals-ignore-case': 'US-' } }] }, { Region: 'us-east-1' }), true);
    assert.equal(match({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }), true);
    assert.equal(match({ FileName: [{ suffix: { 'equals-ignore-case': '.PNG' } }] }, { FileName: 'image.png' }), true);
    assert.equal(match({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' }), false);
    assert.equal(match({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/a/b.png' }), true);
    assert.equal(match({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'other/b.png' }), false);
    assert.equal(match({ FileName: [{ wildcard: 'a.c' }] }, { FileName: 'abc' }), false, 'only * is special');
    assert.equal(match({ Region: [{ prefix: 'us-' }] }, { Region: 5 }), false, 'string operators need strings');
  });
  it('anything-but: a value, a list, prefix, suffix, equals-ignore-case; never a missing field', () => {
    assert.equal(match({ Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Sunny' }), true);
    assert.equal(match({ Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Raining' }), false);
    assert.equal(match({ Weather: [{ 'anything-but': 'Raining' }] }, { Weather: 'Raining' }), false);
    assert.equal(match({ Weather: [{ 'anything-but': ['Raining', 'Snowing'] }] }, { Weather: 'Snowing' }), false);
    assert.equal(match({ Code: [{ 'anything-but': [1, 2] }] }, { Code: 3 }), true);
    assert.equal(match({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'eu-west-1' }), true);
    assert.equal(match({ Region: [{ 'anything-but': { prefix: 'us-' } }] }, { Region: 'us-east-1' }), false);
    assert.equal(match({ File: [{ 'anything-but': { suffix: '.tmp' } }] }, { File: 'a.tmp' }), false);
    assert.equal(match({ Weather: [{ 'anything-but': { 'equals-ignore-case': ['RAINING'] } }] }, { Weather: 'raining' }), false);
    assert.equal(match({ Weather: [{ 'anything-but': ['Raining'] }] }, {}), false);
  });
  it('numeric: equals and ranges, numbers only', () => {
    assert.equal(match({ Price: [{ numeric: ['=', 100] }] }, { Price: 100 }), true);
    assert.equal(match({ Price: [{ numeric: ['=', 100] }] }, { Price: 100.5 }), false);
    const range = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
    assert.equal(match(range, { Price: 10 }), false);
    assert.equal(match(range, { Price: 15 }), true);
    assert.equal(match(range, { Price: 20 }), true);
    assert.equal(match(range, { Price: 21 }), false);
    assert.equal(match(range, { Price: '15' }), false);
  });
  it('exists true / false', () => {
    assert.equal(match({ ProductName: [{ exists: true }] }, { ProductName: 'x' }), true);
    assert.equal(match({ ProductName: [{ exists: true }] }, {}), false);
    assert.equal(match({ ProductName: [{ exists: false }] }, {}), true);
    assert.equal(match({ ProductName: [{ exists: false }] }, { ProductName: 'x' }), false);
    assert.equal(match({ a: { b: [{ exists: false }] } }, {}), true, 'a missing parent means a missing leaf');
  });
  it('$or across fields, and arrays in the record match when any element does', () => {
    const or = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    assert.equal(match(or, { Location: 'Boston', Day: 'Monday' }), true);
    assert.equal(match(or, { Location: 'New York', Day: 'Friday' }), true);
    assert.equal(match(or, { Location: 'Boston', Day: 'Friday' }), false);
    assert.equal(match({ tags: ['red'] }, { tags: ['blue', 'red'] }), true);
    assert.equal(match({ tags: ['red'] }, { tags: ['blue'] }), false);
    assert.equal(match({ a: { b: ['x'] } }, { a: 'not an object' }), false);
  });
});

describe('filter patterns: validation', () => {
  const INVALID = 'Invalid filter pattern definition.';
  for (const [why, p] of [
    ['not JSON', '{"a":'],
    ['not an object', '["a"]'],
    ['empty object', '{}'],
    ['a bare value', '{"a":"b"}'],
    ['an empty list', '{"a":[]}'],
    ['an unknown operator', '{"a":[{"contains":"x"}]}'],
    ['two operators in one matcher', '{"a":[{"prefix":"x","suffix":"y"}]}'],
    ['numeric range upside down', '{"a":[{"numeric":[">",20,"<",10]}]}'],
    ['numeric with a bad operator', '{"a":[{"numeric":["!=",1]}]}'],
    ['numeric with a string', '{"a":[{"numeric":[">","1"]}]}'],
    ['exists with a string', '{"a":[{"exists":"yes"}]}'],
    ['prefix with a number', '{"a":[{"prefix":1}]}'],
    ['$or with one branch', '{"$or":[{"a":["x"]}]}'],
    ['nested lists', '{"a":[["x"]]}'],
    ['consecutive wildcards', '{"a":[{"wildcard":"a**b"}]}'],
    ['empty anything-but list', '{"a":[{"anything-but":[]}]}'],
  ] as const) {
    it(`rejects ${why}`, () => {
      assert.equal(validateFilterPattern(p), INVALID);
      assert.throws(() => parseFilterPattern(p), { name: 'FilterPatternError', message: INVALID });
    });
  }
  it('accepts valid patterns', () => {
    assert.equal(validateFilterPattern('{ "dynamodb" : { "Keys" : { "CustomerName" : { "S" : [ "AnyCompany Industries" ] } } } }'), null);
    assert.equal(validateFilterPattern('{"a":[{"numeric":[">=",0,"<",1]}, "x", 3, null, true]}'), null);
  });
});

describe('filter criteria: several filters and JSON bodies', () => {
  it('a record passes when any filter matches; no filters pass everything', () => {
    const f = compileFilters(['{"eventName":["INSERT"]}', '{"eventName":["REMOVE"]}']);
    assert.equal(f({ eventName: 'INSERT' }), true);
    assert.equal(f({ eventName: 'REMOVE' }), true);
    assert.equal(f({ eventName: 'MODIFY' }), false);
    assert.equal(compileFilters([])({ anything: 1 }), true);
  });
  it('matches inside a JSON body (SQS-like sources), and a plain-text body as a string', () => {
    const f = compileFilters(['{"body":{"RequestCode":["BBBB"]}}']);
    assert.equal(f(jsonFieldView({ messageId: '1', body: '{"RequestCode":"BBBB"}' }, 'body')), true);
    assert.equal(f(jsonFieldView({ messageId: '1', body: '{"RequestCode":"AAAA"}' }, 'body')), false);
    const text = compileFilters(['{"body":["hello"]}']);
    assert.equal(text(jsonFieldView({ body: 'hello' }, 'body')), true);
    assert.equal(f(jsonFieldView({ body: '{not json' }, 'body')), false);
  });
});
