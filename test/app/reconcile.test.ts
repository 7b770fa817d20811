import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DeployedResource, reconcileResources, type ResourceProvider, resolveStackTemplates } from '../../src/app/cloudformation/reconcile';
import { loadApp } from '../../src/app/load-app';
import type { JsonValue, ResourceSpec, Stack } from '../../src/app/stack';
import { isPlatformError } from '../../src/errors';
import { fixture } from './helpers';

/**
 * A test double for the provider interface: records every call, keeps "physical"
 * resources in a map, replaces on a change of `Name` (as a real table would), and
 * fails on demand.
 */
class RecordingProvider implements ResourceProvider {
  readonly calls: string[] = [];
  readonly live = new Map<string, JsonValue>();
  private seq = 0;
  failOn = new Set<string>();

  constructor(readonly type: string) {}

  private check(op: string, id: string): void {
    if (this.failOn.has(`${op} ${id}`)) throw new Error(`${op} of ${id} exploded`);
  }

  private attributes(physicalId: string): Record<string, JsonValue> {
    return { Arn: `arn:test:${physicalId}`, StreamArn: `arn:test:${physicalId}/stream` };
  }

  async create(r: { logicalId: string; stackName: string; properties: JsonValue }): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }> {
    this.calls.push(`create ${r.logicalId}`);
    this.check('create', r.logicalId);
    const name = (r.properties as { Name?: string }).Name ?? `${r.stackName}-${r.logicalId}`;
    const physicalId = `${name}#${++this.seq}`;
    this.live.set(physicalId, r.properties);
    return { physicalId, attributes: this.attributes(physicalId) };
  }

  async update(r: { logicalId: string; physicalId: string; previous: JsonValue; properties: JsonValue }): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }> {
    this.calls.push(`update ${r.logicalId}`);
    this.check('update', r.logicalId);
    const before = (r.previous as { Name?: string }).Name;
    const after = (r.properties as { Name?: string }).Name;
    if (before !== after) {
      const physicalId = `${after}#${++this.seq}`;
      this.live.set(physicalId, r.properties);
      return { physicalId, attributes: this.attributes(physicalId) };
    }
    this.live.set(r.physicalId, r.properties);
    return { physicalId: r.physicalId, attributes: this.attributes(r.physicalId) };
  }

  async delete(r: { physicalId: string }): Promise<void> {
    this.calls.push(`delete ${r.physicalId}`);
    this.check('delete', r.physicalId);
    this.live.delete(r.physicalId);
  }

  ref(physicalId: string): JsonValue {
    return physicalId.split('#')[0]!;
  }
}

function res(logicalId: string, properties: JsonValue, over: Partial<ResourceSpec> = {}): ResourceSpec {
  return { logicalId, type: 'Test::Thing', properties, dependsOn: [], deletionPolicy: 'Delete', updateReplacePolicy: 'Delete', ...over };
}

function stackOf(resources: ResourceSpec[]): Stack {
  return {
    service: 'svc', stage: 'dev', region: 'eu-west-1', appDir: '/app', definitionFile: 'serverless.yml',
    functions: [], routes: [], httpApi: { cors: null }, warnings: [], resources,
  };
}

async function deploy(provider: RecordingProvider, resources: ResourceSpec[], previous: DeployedResource[], extra: ResourceProvider[] = []) {
  const warnings: string[] = [];
  const result = await reconcileResources({
    stack: stackOf(resources),
    previous,
    providers: new Map([provider, ...extra].map((p) => [p.type, p])),
    pseudo: { region: 'eu-west-1', accountId: '000000000000', stackName: 'svc-dev' },
    warn: (m) => warnings.push(m),
  });
  return { ...result, warnings };
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isPlatformError(e), String(e));
    return e;
  }
  assert.fail('expected a rejection');
}

// B references A (implicit dependency); C depends on B explicitly.
const A = res('A', { Name: 'a' });
const B = res('B', { Source: { 'Fn::GetAtt': ['A', 'Arn'] }, Label: { 'Fn::Sub': '${A}-${AWS::Region}' } }, { dependsOn: ['A'] });
const C = res('C', { Size: 1 }, { dependsOn: ['B'] });

describe('reconcile: create, update, unchanged, delete', () => {
  it('creates in dependency order, resolving references against created resources', async () => {
    const p = new RecordingProvider('Test::Thing');
    const r = await deploy(p, [C, B, A], []);
    assert.deepEqual(p.calls, ['create A', 'create B', 'create C']);
    assert.deepEqual(r.resources.map((x) => x.logicalId), ['A', 'B', 'C']);
    const b = r.resources[1]!;
    assert.deepEqual(b.properties, { Source: 'arn:test:a#1', Label: 'a-eu-west-1' });
    assert.equal(b.deletionPolicy, 'Delete');
    assert.equal(r.resolve({ 'Fn::Join': [',', [{ Ref: 'A' }, { 'Fn::GetAtt': ['C', 'StreamArn'] }]] }, 'functions.f.environment.X'), 'a,arn:test:svc-dev-C#3/stream');
    assert.deepEqual(r.warnings, []);
  });

  it('leaves unchanged resources untouched and updates changed ones in place', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A, B, C], []);
    p.calls.length = 0;
    const again = await deploy(p, [A, B, C], first.resources);
    assert.deepEqual(p.calls, [], 'nothing changed, nothing called');
    assert.deepEqual(again.resources, first.resources);

    const changed = await deploy(p, [A, B, res('C', { Size: 2 }, { dependsOn: ['B'] })], first.resources);
    assert.deepEqual(p.calls, ['update C']);
    assert.equal(changed.resources[2]!.physicalId, first.resources[2]!.physicalId);
    assert.deepEqual(changed.resources[2]!.properties, { Size: 2 });
  });

  it('replacement: dependents are updated with the new attributes, the old one is deleted afterwards', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A, B], []);
    p.calls.length = 0;
    const r = await deploy(p, [res('A', { Name: 'a2' }), B], first.resources);
    assert.deepEqual(p.calls, ['update A', 'update B', 'delete a#1']);
    assert.deepEqual(r.resources[1]!.properties, { Source: 'arn:test:a2#3', Label: 'a2-eu-west-1' });
    assert.deepEqual([...p.live.keys()].sort(), ['a2#3', 'svc-dev-B#2']);
  });

  it('UpdateReplacePolicy Retain keeps the replaced physical resource', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A], []);
    p.calls.length = 0;
    await deploy(p, [res('A', { Name: 'a2' }, { updateReplacePolicy: 'Retain' })], first.resources);
    assert.deepEqual(p.calls, ['update A']);
    assert.ok(p.live.has('a#1'));
  });

  it('deletes removed resources in reverse order; DeletionPolicy Retain keeps them', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A, B, C], []);
    p.calls.length = 0;
    const r = await deploy(p, [], first.resources);
    assert.deepEqual(p.calls, ['delete svc-dev-C#3', 'delete svc-dev-B#2', 'delete a#1']);
    assert.deepEqual(r.resources, []);

    const q = new RecordingProvider('Test::Thing');
    const kept = await deploy(q, [res('A', { Name: 'a' }, { deletionPolicy: 'Retain' }), res('Z', {}, { deletionPolicy: 'RetainExceptOnCreate' })], []);
    q.calls.length = 0;
    await deploy(q, [], kept.resources);
    assert.deepEqual(q.calls, []);
    assert.equal(q.live.size, 2);
  });

  it('a failed deletion is warned and kept for the next deploy', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A], []);
    p.failOn.add('delete a#1');
    const r = await deploy(p, [], first.resources);
    assert.deepEqual(r.resources.map((x) => x.physicalId), ['a#1']);
    assert.deepEqual(r.warnings, ['resources.Resources.A (Test::Thing) was removed but could not be deleted (the next deploy tries again): delete of a#1 exploded']);
    p.failOn.clear();
    const again = await deploy(p, [], r.resources);
    assert.deepEqual(again.resources, []);
    assert.equal(p.live.size, 0);
  });
});

describe('reconcile: failures and rollback', () => {
  it('a failed create rolls back what this run created and names the resource and cause', async () => {
    const p = new RecordingProvider('Test::Thing');
    p.failOn.add('create C');
    const err = await rejection(deploy(p, [A, B, C], []));
    assert.equal(err.code, 'ERR_APP_DEPLOY');
    assert.equal(err.message, 'serverless.yml: resources.Resources.C (Test::Thing) create failed: create of C exploded; rolled back: B deleted, A deleted');
    assert.deepEqual(p.calls, ['create A', 'create B', 'create C', 'delete svc-dev-B#2', 'delete a#1']);
    assert.equal(p.live.size, 0);
  });

  it('a failed update restores updated resources, deletes replacements and created ones, and keeps the rest', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A, C], []);
    p.calls.length = 0;
    p.failOn.add('update C');
    const N = res('N', { Name: 'n' });
    const err = await rejection(deploy(p, [res('A', { Name: 'a2' }), N, res('C', { Size: 9 }, { dependsOn: ['N'] })], first.resources));
    assert.match(err.message, /resources\.Resources\.C \(Test::Thing\) update failed: update of C exploded; rolled back: N deleted, A replacement deleted$/);
    assert.deepEqual(p.calls, ['update A', 'create N', 'update C', 'delete n#4', 'delete a2#3']);
    // The original resources are intact.
    assert.deepEqual([...p.live.keys()].sort(), ['a#1', 'svc-dev-C#2']);
  });

  it('an in-place update is updated back on rollback', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [res('A', { Name: 'a', Size: 1 })], []);
    p.calls.length = 0;
    p.failOn.add('create Z');
    await rejection(deploy(p, [res('A', { Name: 'a', Size: 2 }), res('Z', {})], first.resources));
    assert.deepEqual(p.calls, ['update A', 'create Z', 'update A']);
    assert.deepEqual(p.live.get('a#1'), { Name: 'a', Size: 1 });
  });

  it('a reference that cannot resolve fails the resource with the key path, after rolling back', async () => {
    const p = new RecordingProvider('Test::Thing');
    const bad = res('Bad', { X: { 'Fn::GetAtt': ['A', 'Nope'] } }, { dependsOn: ['A'] });
    const err = await rejection(deploy(p, [A, bad], []));
    assert.equal(
      err.message,
      'serverless.yml: resources.Resources.Bad (Test::Thing) could not be deployed: resources.Resources.Bad.Properties.X.Fn::GetAtt references A.Nope, but Test::Thing resources have the attributes Arn, StreamArn in Nimbus; rolled back: A deleted',
    );
  });

  it('a changed resource type is refused before anything changes', async () => {
    const p = new RecordingProvider('Test::Thing');
    const first = await deploy(p, [A], []);
    p.calls.length = 0;
    const err = await rejection(deploy(p, [res('A', { Name: 'a' }, { type: 'Test::Other' })], first.resources, [new RecordingProvider('Test::Other')]));
    assert.match(err.message, /resources\.Resources\.A \(Test::Other\) was deployed as Test::Thing; a resource's type cannot change/);
    assert.deepEqual(p.calls, []);
  });
});

describe('reconcile: types without a provider', () => {
  it('are warned once per type and skipped; a reference to one fails clearly only when needed', async () => {
    const p = new RecordingProvider('Test::Thing');
    const topics = [res('T1', {}, { type: 'AWS::SNS::Topic' }), res('T2', {}, { type: 'AWS::SNS::Topic' })];
    const r = await deploy(p, [...topics, A], []);
    assert.deepEqual(r.warnings, ['resources: AWS::SNS::Topic is not supported yet; resources.Resources.T1, resources.Resources.T2 are not deployed']);
    assert.deepEqual(r.resources.map((x) => x.logicalId), ['A']);
    assert.throws(
      () => r.resolve({ Ref: 'T1' }, 'functions.f.environment.TOPIC'),
      (e: unknown) => isPlatformError(e) && e.message === 'serverless.yml: functions.f.environment.TOPIC.Ref references T1 (AWS::SNS::Topic), which Nimbus does not deploy yet (no provider for that type)',
    );

    const user = res('User', { Topic: { Ref: 'T1' } }, { dependsOn: ['T1'] });
    const err = await rejection(deploy(new RecordingProvider('Test::Thing'), [topics[0]!, user], []));
    assert.match(err.message, /resources\.Resources\.User \(Test::Thing\) could not be deployed: .*references T1 \(AWS::SNS::Topic\), which Nimbus does not deploy yet/);
  });
});

describe('reconcile: a whole app', () => {
  it('the cfn-users fixture deploys, and its environment, stream ARNs and outputs resolve', async () => {
    const stack = await loadApp(fixture('cfn-users'), { env: {} });
    const table = new RecordingProvider('AWS::DynamoDB::Table');
    const queue = new RecordingProvider('AWS::SQS::Queue');
    const warnings: string[] = [];
    const opts = {
      stack,
      providers: new Map<string, ResourceProvider>([[table.type, table], [queue.type, queue]]),
      pseudo: { region: stack.region, accountId: '000000000000', stackName: 'users-dev' },
      warn: (m: string) => warnings.push(m),
    };
    const r = await reconcileResources({ ...opts, previous: [] });
    assert.deepEqual([...table.calls, ...queue.calls], ['create UsersTable', 'create DeadLetters']);
    assert.deepEqual(r.resources.find((x) => x.logicalId === 'DeadLetters')!.properties, { QueueName: 'users-dev-dlq', Tags: [{ Key: 'table', Value: 'users-dev-UsersTable' }] });
    const t = resolveStackTemplates(stack, r.resolve);
    assert.deepEqual(t.environments['users-dev-api'], {
      REGION_TAG: 'eu-west-1-dev',
      ON_USER: 'users-dev-onUser',
      ON_USER_ARN: 'arn:aws:lambda:eu-west-1:000000000000:function:users-dev-onUser',
      TABLE: 'users-dev-UsersTable',
      QUEUE_URL: 'users-dev-DeadLetters',
    });
    assert.deepEqual(t.environments['users-dev-onUser'], { REGION_TAG: 'eu-west-1-dev', TABLE: 'users-dev-UsersTable' });
    assert.deepEqual(t.eventSourceMappings.map((m) => [m.sourceArn, m.onFailure]), [
      ['arn:test:users-dev-UsersTable#1/stream', 'arn:test:users-dev-DeadLetters#1'],
      ['arn:aws:kinesis:eu-west-1:000000000000:stream/clicks', null],
    ]);
    assert.deepEqual(t.outputs, { TableName: 'users-dev-UsersTable' });
    assert.deepEqual(warnings, []);

    // Redeploying the same app changes nothing; the table (DeletionPolicy Retain) survives its removal.
    const again = await reconcileResources({ ...opts, previous: r.resources });
    assert.deepEqual([...table.calls, ...queue.calls], ['create UsersTable', 'create DeadLetters']);
    await reconcileResources({ ...opts, stack: { ...stack, resources: [] }, previous: again.resources });
    assert.deepEqual(table.calls, ['create UsersTable']);
    assert.deepEqual(queue.calls, ['create DeadLetters', 'delete users-dev-DeadLetters#1']);
  });

  it('a template that resolves to a list is an error naming the variable', () => {
    const stack = stackOf([]);
    stack.functions = [{ key: 'f', name: 'svc-dev-f', handler: 'h.main', runtime: 'nodejs20.x', memorySize: 128, timeout: 3, environment: {}, reservedConcurrency: null, provisionedConcurrency: null, codeDir: '/app', environmentTemplates: { LIST: { 'Fn::Split': [',', 'a,b'] } } }];
    assert.throws(
      () => resolveStackTemplates(stack, (v) => (Array.isArray((v as { 'Fn::Split'?: unknown })['Fn::Split']) ? ['a', 'b'] : v)),
      (e: unknown) => isPlatformError(e) && e.message === 'serverless.yml: functions.f.environment.LIST must resolve to a string, number or boolean (got ["a","b"])',
    );
  });
});
