/**
 * CloudFormation deploys of AWS::DynamoDB::Table end to end: a live Nimbus
 * deploys serverless.yml `resources`, the official DynamoDB client checks the
 * tables. Redeploys reconcile as CloudFormation updates a stack, following the
 * "Update requires" note of each property
 * (AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html):
 * TableName, KeySchema and LocalSecondaryIndexes replace the table; billing,
 * throughput, global secondary indexes, the stream, TTL, tags, deletion
 * protection and the table class change in place, keeping the items.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseYaml } from '../../src/app/serverless/parse';
import { isPlatformError, type PlatformError } from '../../src/errors';
import type { DeployResult, Platform } from '../../src/platform';
import { copyFixture, startNimbus, tmpDir } from '../helpers/nimbus';

const ACCOUNT = '000000000000';
const ARN_PREFIX = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/`;

/** serverless.yml as the tests edit it (CloudFormation tags read as their long forms). */
interface Definition {
  service: string;
  functions?: Record<string, unknown>;
  resources: { Resources: Record<string, TableResource>; Outputs?: Record<string, { Value: unknown }> };
}
interface TableResource {
  Type: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  Properties: Record<string, unknown>;
}

const KEY_ID = { AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] };

function table(properties: Record<string, unknown>, extra: Partial<TableResource> = {}): TableResource {
  return { Type: 'AWS::DynamoDB::Table', ...extra, Properties: properties };
}

/** Rewrites the app's serverless.yml through `change` (the variant of the next deploy). */
function edit(dir: string, change: (d: Definition) => void): void {
  const file = path.join(dir, 'serverless.yml');
  const d = parseYaml(fs.readFileSync(file, 'utf8'), file) as Definition;
  change(d);
  fs.writeFileSync(file, stringify(d));
}

describe('CloudFormation deploys of DynamoDB tables', () => {
  const dataDir = tmpDir();
  let nimbus: Platform;
  let ddb: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  const connect = (): void => {
    ddb = new DynamoDBClient({ endpoint: nimbus.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    doc = DynamoDBDocumentClient.from(ddb);
  };
  before(async () => {
    nimbus = await startNimbus({ dataDir });
    connect();
  });
  after(() => nimbus?.close());

  const describeTable = async (TableName: string): Promise<TableDescription> => (await ddb.send(new DescribeTableCommand({ TableName }))).Table!;
  const exists = async (TableName: string): Promise<boolean> => {
    try {
      await describeTable(TableName);
      return true;
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') return false;
      throw e;
    }
  };
  const scanIds = async (TableName: string): Promise<string[]> =>
    ((await doc.send(new ScanCommand({ TableName }))).Items ?? []).map((i) => String(i.id)).sort();
  const tablesOf = async (prefix: string): Promise<string[]> => ((await ddb.send(new ListTablesCommand({}))).TableNames ?? []).filter((n) => n.startsWith(prefix));
  const outputs = (r: Pick<DeployResult, 'app'>): Record<string, string> => r.app.deployment!.outputs;
  const physical = (r: Pick<DeployResult, 'app'>): Record<string, string> => Object.fromEntries(r.app.deployment!.resources.map((x) => [x.logicalId, x.physicalId]));

  /** The deploy's error, which must be a platform error. */
  const deployFails = async (dir: string): Promise<PlatformError> => {
    try {
      await nimbus.deploy(dir);
    } catch (e) {
      assert.ok(isPlatformError(e), `expected a PlatformError, got ${String(e)}`);
      return e;
    }
    return assert.fail('the deploy succeeded');
  };

  describe('every property and intrinsic (cfn-ddb)', () => {
    let dir: string;
    let first: DeployResult;
    let users: string;
    const orders = 'cfn-ddb-dev-orders';

    it('creates the tables with every property, in DependsOn order, and resolves the Outputs', async () => {
      dir = copyFixture('cfn-ddb');
      first = await nimbus.deploy(dir);
      assert.deepEqual(first.warnings, []);
      // Orders is declared first but DependsOn Users.
      assert.deepEqual(first.app.deployment!.resources.map((r) => r.logicalId), ['Users', 'Orders']);
      const out = outputs(first);
      users = out.UsersName!;
      // CloudFormation's generated physical names: <stack>-<LogicalId>-<random suffix>.
      assert.match(users, /^cfn-ddb-dev-Users-[A-Z0-9]{12,13}$/);

      const u = await describeTable(users);
      assert.equal(u.TableArn, ARN_PREFIX + users);
      assert.deepEqual(u.KeySchema, [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      assert.deepEqual(u.AttributeDefinitions, [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'email', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'N' },
      ]);
      assert.equal(u.BillingModeSummary, undefined);
      // Numbers given as strings ('3') are numbers to DynamoDB.
      assert.equal(u.ProvisionedThroughput?.ReadCapacityUnits, 3);
      assert.equal(u.ProvisionedThroughput?.WriteCapacityUnits, 4);
      assert.equal(u.GlobalSecondaryIndexes?.length, 1);
      const gsi = u.GlobalSecondaryIndexes![0]!;
      assert.equal(gsi.IndexName, 'byEmail');
      assert.deepEqual(gsi.KeySchema, [{ AttributeName: 'email', KeyType: 'HASH' }]);
      assert.deepEqual(gsi.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] });
      assert.equal(gsi.ProvisionedThroughput?.ReadCapacityUnits, 1);
      assert.equal(gsi.ProvisionedThroughput?.WriteCapacityUnits, 2);
      assert.equal(u.LocalSecondaryIndexes?.length, 1);
      assert.equal(u.LocalSecondaryIndexes![0]!.IndexName, 'byCreated');
      assert.deepEqual(u.LocalSecondaryIndexes![0]!.Projection, { ProjectionType: 'KEYS_ONLY' });
      assert.deepEqual(u.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
      assert.equal(u.DeletionProtectionEnabled, false);
      assert.equal(u.TableClassSummary, undefined); // STANDARD
      const tags = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: u.TableArn }));
      assert.deepEqual(tags.Tags, [
        { Key: 'team', Value: 'core' },
        { Key: 'stack', Value: 'cfn-ddb-dev' },
      ]);

      const o = await describeTable(orders);
      assert.equal(o.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
      assert.equal(o.ProvisionedThroughput?.ReadCapacityUnits, 0);
      assert.equal(o.DeletionProtectionEnabled, true);
      assert.equal(o.TableClassSummary?.TableClass, 'STANDARD_INFREQUENT_ACCESS');
      assert.equal(o.StreamSpecification, undefined);
      const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: orders }));
      assert.deepEqual(ttl.TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });

      assert.deepEqual(out, {
        UsersName: users,
        UsersArn: ARN_PREFIX + users,
        UsersStream: u.LatestStreamArn,
        OrdersPrefix: `prefix-${orders}`,
      });
    });

    it('the indexes work on the deployed table', async () => {
      await doc.send(new PutCommand({ TableName: users, Item: { pk: 'u1', sk: 'profile', email: 'ada@example.com', name: 'Ada', createdAt: 7, secret: 's' } }));
      const byEmail = await doc.send(new QueryCommand({ TableName: users, IndexName: 'byEmail', KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': 'ada@example.com' } }));
      // INCLUDE [name]: keys and name, not the other attributes.
      assert.deepEqual(byEmail.Items, [{ pk: 'u1', sk: 'profile', email: 'ada@example.com', name: 'Ada' }]);
      const byCreated = await doc.send(new QueryCommand({ TableName: users, IndexName: 'byCreated', KeyConditionExpression: 'pk = :p AND createdAt > :c', ExpressionAttributeValues: { ':p': 'u1', ':c': 1 } }));
      assert.deepEqual(byCreated.Items, [{ pk: 'u1', sk: 'profile', createdAt: 7 }]);
    });

    it("a function's environment gets Ref, Fn::GetAtt (both forms), Fn::Sub, Fn::Join/Select/Split and pseudo parameters", async () => {
      const res = await fetch(`${nimbus.httpUrl}/env`);
      assert.equal(res.status, 200);
      const env = (await res.json()) as Record<string, string>;
      const stream = outputs(first).UsersStream!;
      assert.match(stream, new RegExp(`^${ARN_PREFIX}${users}/stream/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
      assert.match(env.CFN_STACK_ID ?? '', new RegExp(`^arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/cfn-ddb-dev/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
      delete env.CFN_STACK_ID;
      assert.deepEqual(env, {
        CFN_USERS: users,
        CFN_USERS_ARN: ARN_PREFIX + users,
        CFN_STREAM_LIST: stream,
        CFN_STREAM_DOTTED: stream,
        CFN_SUB: `${users}|${ARN_PREFIX}${users}|us-east-1|${ACCOUNT}|cfn-ddb-dev|aws`,
        CFN_SUB_MAP: `${orders}/cfn/\${Literal}`,
        CFN_JOIN: `${users},${orders},amazonaws.com`,
        CFN_SELECT_SPLIT: orders,
        CFN_PLAIN: 'plain',
      });
    });

    it('an unchanged redeploy touches nothing; deletion protection turns off in place', async () => {
      const again = await nimbus.deploy(dir);
      assert.deepEqual(again.changed, []);
      assert.deepEqual(physical(again), physical(first));
      assert.deepEqual(outputs(again), outputs(first));
      const before = await describeTable(orders);
      edit(dir, (d) => {
        d.resources.Resources.Orders!.Properties.DeletionProtectionEnabled = false;
        d.resources.Resources.Orders!.Properties.TableClass = 'STANDARD';
      });
      const off = await nimbus.deploy(dir);
      assert.deepEqual(off.changed, []);
      const after = await describeTable(orders);
      assert.equal(after.DeletionProtectionEnabled, false);
      assert.equal(after.TableClassSummary, undefined);
      assert.equal(after.TableId, before.TableId);
      assert.equal((await doc.send(new ScanCommand({ TableName: users }))).Count, 1); // the item put above
    });

    it('a LocalSecondaryIndexes change replaces the table, and the function gets the new name and stream', async () => {
      edit(dir, (d) => {
        const lsi = (d.resources.Resources.Users!.Properties.LocalSecondaryIndexes as Array<Record<string, unknown>>)[0]!;
        lsi.Projection = { ProjectionType: 'ALL' };
      });
      const r = await nimbus.deploy(dir);
      assert.deepEqual(r.changed, ['cfn-ddb-dev-env']);
      const replaced = outputs(r).UsersName!;
      assert.match(replaced, /^cfn-ddb-dev-Users-[A-Z0-9]{12,13}$/);
      assert.notEqual(replaced, users);
      assert.equal(await exists(users), false);
      const t = await describeTable(replaced);
      assert.deepEqual(t.LocalSecondaryIndexes![0]!.Projection, { ProjectionType: 'ALL' });
      assert.equal(outputs(r).UsersStream, t.LatestStreamArn);
      const env = (await (await fetch(`${nimbus.httpUrl}/env`)).json()) as Record<string, string>;
      assert.equal(env.CFN_USERS, replaced);
      assert.equal(env.CFN_STREAM_LIST, t.LatestStreamArn);
      assert.equal(env.CFN_JOIN, `${replaced},${orders},amazonaws.com`);
      // Orders did not change: same table, same data.
      assert.equal(physical(r).Orders, orders);
    });
  });

  describe('redeploys reconcile (cfn-redeploy)', () => {
    let dir: string;
    let items: string;
    let itemsId: string;
    const named = 'cfn-redeploy-dev-named';
    const kept = 'cfn-redeploy-dev-kept';
    const itemsOf = (d: Definition): Record<string, unknown> => d.resources.Resources.Items!.Properties;

    it('creates the tables; an unchanged redeploy keeps them and their items', async () => {
      dir = copyFixture('cfn-ddb-redeploy');
      const r = await nimbus.deploy(dir);
      items = outputs(r).ItemsName!;
      assert.match(items, /^cfn-redeploy-dev-Items-[A-Z0-9]{12,13}$/);
      assert.equal(outputs(r).ItemsArn, ARN_PREFIX + items);
      itemsId = (await describeTable(items)).TableId!;
      await doc.send(new PutCommand({ TableName: items, Item: { id: 'a', color: 'red' } }));
      await doc.send(new PutCommand({ TableName: items, Item: { id: 'b', color: 'blue' } }));
      await doc.send(new PutCommand({ TableName: named, Item: { id: 'n1' } }));
      await doc.send(new PutCommand({ TableName: kept, Item: { id: 'k1' } }));

      const again = await nimbus.deploy(dir);
      assert.deepEqual(physical(again), physical(r));
      assert.equal((await describeTable(items)).TableId, itemsId);
      assert.deepEqual(await scanIds(items), ['a', 'b']);
      assert.deepEqual(await scanIds(named), ['n1']);
    });

    it('adding a global secondary index backfills it from the items', async () => {
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.AttributeDefinitions = [...KEY_ID.AttributeDefinitions, { AttributeName: 'color', AttributeType: 'S' }];
        p.GlobalSecondaryIndexes = [
          { IndexName: 'byColor', KeySchema: [{ AttributeName: 'color', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } },
        ];
      });
      await nimbus.deploy(dir);
      const t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.deepEqual(t.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.IndexStatus]), [['byColor', 'ACTIVE']]);
      const red = await doc.send(new QueryCommand({ TableName: items, IndexName: 'byColor', KeyConditionExpression: 'color = :c', ExpressionAttributeValues: { ':c': 'red' } }));
      assert.deepEqual(red.Items, [{ id: 'a', color: 'red' }]);
    });

    it('changes throughput (numbers as strings too) of the table and its index in place', async () => {
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.ProvisionedThroughput = { ReadCapacityUnits: '5', WriteCapacityUnits: '6' };
        (p.GlobalSecondaryIndexes as Record<string, unknown>[])[0]!.ProvisionedThroughput = { ReadCapacityUnits: '2', WriteCapacityUnits: 3 };
      });
      await nimbus.deploy(dir);
      const t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.deepEqual([t.ProvisionedThroughput?.ReadCapacityUnits, t.ProvisionedThroughput?.WriteCapacityUnits], [5, 6]);
      const g = t.GlobalSecondaryIndexes![0]!.ProvisionedThroughput!;
      assert.deepEqual([g.ReadCapacityUnits, g.WriteCapacityUnits], [2, 3]);
    });

    it('switches billing to PAY_PER_REQUEST and back in place', async () => {
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.BillingMode = 'PAY_PER_REQUEST';
        delete p.ProvisionedThroughput;
        delete (p.GlobalSecondaryIndexes as Record<string, unknown>[])[0]!.ProvisionedThroughput;
      });
      await nimbus.deploy(dir);
      let t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
      assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 0);
      assert.equal(t.GlobalSecondaryIndexes![0]!.ProvisionedThroughput?.ReadCapacityUnits, 0);

      edit(dir, (d) => {
        const p = itemsOf(d);
        delete p.BillingMode; // PROVISIONED is the default
        p.ProvisionedThroughput = { ReadCapacityUnits: 4, WriteCapacityUnits: 4 };
        (p.GlobalSecondaryIndexes as Record<string, unknown>[])[0]!.ProvisionedThroughput = { ReadCapacityUnits: 1, WriteCapacityUnits: 2 };
      });
      await nimbus.deploy(dir);
      t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.equal(t.BillingModeSummary, undefined);
      assert.deepEqual([t.ProvisionedThroughput?.ReadCapacityUnits, t.ProvisionedThroughput?.WriteCapacityUnits], [4, 4]);
      const g = t.GlobalSecondaryIndexes![0]!.ProvisionedThroughput!;
      assert.deepEqual([g.ReadCapacityUnits, g.WriteCapacityUnits], [1, 2]);
      assert.deepEqual(await scanIds(items), ['a', 'b']);
    });

    it('removing the global secondary index drops it', async () => {
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.AttributeDefinitions = KEY_ID.AttributeDefinitions;
        delete p.GlobalSecondaryIndexes;
      });
      await nimbus.deploy(dir);
      const t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.equal(t.GlobalSecondaryIndexes, undefined);
      await assert.rejects(
        doc.send(new QueryCommand({ TableName: items, IndexName: 'byColor', KeyConditionExpression: 'color = :c', ExpressionAttributeValues: { ':c': 'red' } })),
        { name: 'ValidationException', message: 'The table does not have the specified index: byColor' },
      );
      assert.deepEqual(await scanIds(items), ['a', 'b']);
    });

    it('a failing in-place update leaves the table as it was', async () => {
      const file = path.join(dir, 'serverless.yml');
      const good = fs.readFileSync(file, 'utf8');
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.BillingMode = 'PAY_PER_REQUEST'; // applied first, then undone
        delete p.ProvisionedThroughput;
        p.GlobalSecondaryIndexes = [{ IndexName: 'byNope', KeySchema: [{ AttributeName: 'nope', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }];
      });
      const e = await deployFails(dir);
      assert.equal(e.code, 'ERR_APP_DEPLOY');
      assert.match(e.message, /^serverless\.yml: resources\.Resources\.Items \(AWS::DynamoDB::Table\) update failed: ValidationException: One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions\. Keys: \[nope\]/);
      const t = await describeTable(items);
      assert.equal(t.BillingModeSummary, undefined);
      assert.deepEqual([t.ProvisionedThroughput?.ReadCapacityUnits, t.ProvisionedThroughput?.WriteCapacityUnits], [4, 4]);
      assert.equal(t.GlobalSecondaryIndexes, undefined);
      fs.writeFileSync(file, good);
      await nimbus.deploy(dir);
      assert.equal((await describeTable(items)).BillingModeSummary, undefined);
    });

    it('enables the stream, changes its view type (a new stream) and disables it, in place', async () => {
      edit(dir, (d) => {
        itemsOf(d).StreamSpecification = { StreamViewType: 'NEW_IMAGE' };
        d.resources.Outputs!.ItemsStream = { Value: { 'Fn::GetAtt': ['Items', 'StreamArn'] } };
      });
      const on = await nimbus.deploy(dir);
      let t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.deepEqual(t.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      assert.equal(outputs(on).ItemsStream, t.LatestStreamArn);
      const firstStream = t.LatestStreamArn;

      edit(dir, (d) => {
        itemsOf(d).StreamSpecification = { StreamViewType: 'KEYS_ONLY' };
      });
      const changed = await nimbus.deploy(dir);
      t = await describeTable(items);
      assert.deepEqual(t.StreamSpecification, { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' });
      assert.notEqual(t.LatestStreamArn, firstStream);
      assert.equal(outputs(changed).ItemsStream, t.LatestStreamArn);

      edit(dir, (d) => {
        delete itemsOf(d).StreamSpecification;
        delete d.resources.Outputs!.ItemsStream;
      });
      await nimbus.deploy(dir);
      t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.equal(t.StreamSpecification, undefined);
      assert.equal(t.LatestStreamArn, undefined);
      assert.deepEqual(await scanIds(items), ['a', 'b']);
    });

    it('enables TTL and tags in place', async () => {
      edit(dir, (d) => {
        itemsOf(d).TimeToLiveSpecification = { AttributeName: 'expires', Enabled: true };
        itemsOf(d).Tags = [{ Key: 'env', Value: 'test' }];
      });
      await nimbus.deploy(dir);
      const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: items }));
      assert.deepEqual(ttl.TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires' });
      const tags = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: ARN_PREFIX + items }));
      assert.deepEqual(tags.Tags, [{ Key: 'env', Value: 'test' }]);
      assert.equal((await describeTable(items)).TableId, itemsId);
    });

    it('key order inside a property does not matter: reordered keys with another change update in place', async () => {
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.KeySchema = [{ KeyType: 'HASH', AttributeName: 'id' }];
        p.AttributeDefinitions = [{ AttributeType: 'S', AttributeName: 'id' }];
        p.ProvisionedThroughput = { WriteCapacityUnits: 4, ReadCapacityUnits: 3 };
      });
      await nimbus.deploy(dir);
      const t = await describeTable(items);
      assert.equal(t.TableId, itemsId);
      assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 3);
      assert.deepEqual(await scanIds(items), ['a', 'b']);
    });

    it('creates a new table; deletes a removed one, unless DeletionPolicy Retain keeps it with its data', async () => {
      edit(dir, (d) => {
        d.resources.Resources.Extra = table({ TableName: 'cfn-redeploy-dev-extra', BillingMode: 'PAY_PER_REQUEST', ...KEY_ID });
        delete d.resources.Resources.Kept;
      });
      const r = await nimbus.deploy(dir);
      assert.deepEqual(Object.keys(physical(r)).sort(), ['Extra', 'Items', 'Named']);
      assert.ok(await exists('cfn-redeploy-dev-extra'));
      assert.deepEqual(await scanIds(kept), ['k1']);

      edit(dir, (d) => {
        delete d.resources.Resources.Extra;
      });
      await nimbus.deploy(dir);
      assert.equal(await exists('cfn-redeploy-dev-extra'), false);
      assert.deepEqual((await tablesOf('cfn-redeploy-dev-')).sort(), [items, kept, named].sort());

      // The retained table is no longer the stack's: declaring it again collides, as on AWS.
      edit(dir, (d) => {
        d.resources.Resources.Kept = table({ TableName: kept, BillingMode: 'PAY_PER_REQUEST', ...KEY_ID });
      });
      const e = await deployFails(dir);
      assert.equal(e.code, 'ERR_APP_DEPLOY');
      assert.equal(e.message, `serverless.yml: resources.Resources.Kept (AWS::DynamoDB::Table) create failed: ResourceInUseException: Table already exists: ${kept}`);
      edit(dir, (d) => {
        delete d.resources.Resources.Kept;
      });
    });

    it('a KeySchema change without TableName replaces the table: new name, old one deleted', async () => {
      edit(dir, (d) => {
        const p = itemsOf(d);
        p.AttributeDefinitions = [{ AttributeName: 'key', AttributeType: 'S' }];
        p.KeySchema = [{ AttributeName: 'key', KeyType: 'HASH' }];
      });
      const r = await nimbus.deploy(dir);
      const replaced = outputs(r).ItemsName!;
      assert.match(replaced, /^cfn-redeploy-dev-Items-[A-Z0-9]{12,13}$/);
      assert.notEqual(replaced, items);
      assert.equal(outputs(r).ItemsArn, ARN_PREFIX + replaced);
      assert.equal(await exists(items), false);
      const t = await describeTable(replaced);
      assert.deepEqual(t.KeySchema, [{ AttributeName: 'key', KeyType: 'HASH' }]);
      // Replaced with every property of the template, not only the key.
      assert.deepEqual([t.ProvisionedThroughput?.ReadCapacityUnits, t.ProvisionedThroughput?.WriteCapacityUnits], [3, 4]);
      assert.deepEqual((await ddb.send(new DescribeTimeToLiveCommand({ TableName: replaced }))).TimeToLiveDescription?.AttributeName, 'expires');
      assert.deepEqual(await scanIds(replaced), []);
      items = replaced;
    });

    it('a KeySchema change WITH a custom TableName fails, naming the resource, and leaves everything as it was', async () => {
      const before = await describeTable(items);
      // Editing an existing attribute definition replaces the table too.
      edit(dir, (d) => {
        d.resources.Resources.Named!.Properties.AttributeDefinitions = [{ AttributeName: 'id', AttributeType: 'N' }];
      });
      const retyped = await deployFails(dir);
      assert.equal(retyped.code, 'ERR_APP_DEPLOY');
      assert.match(retyped.message, /\(changing AttributeDefinitions \(the type of id\) replaces the table; or remove TableName\)$/);
      assert.deepEqual((await describeTable(named)).AttributeDefinitions, [{ AttributeName: 'id', AttributeType: 'S' }]);

      edit(dir, (d) => {
        itemsOf(d).ProvisionedThroughput = { ReadCapacityUnits: 9, WriteCapacityUnits: 9 }; // updated first, then restored
        const n = d.resources.Resources.Named!.Properties;
        n.AttributeDefinitions = [{ AttributeName: 'key', AttributeType: 'S' }];
        n.KeySchema = [{ AttributeName: 'key', KeyType: 'HASH' }];
      });
      const e = await deployFails(dir);
      assert.equal(e.code, 'ERR_APP_DEPLOY');
      assert.equal(e.key, 'resources.Resources.Named');
      assert.match(e.message, /^serverless\.yml: resources\.Resources\.Named \(AWS::DynamoDB::Table\) update failed: /);
      assert.match(e.message, new RegExp(`update failed: CloudFormation cannot update a stack when a custom-named resource requires replacing\\. Rename ${named} and update the stack again \\(changing KeySchema replaces the table; or remove TableName\\)`));
      assert.match(e.message, /; rolled back: Items restored$/);
      const n = await describeTable(named);
      assert.deepEqual(n.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
      assert.deepEqual(await scanIds(named), ['n1']);
      const t = await describeTable(items);
      assert.equal(t.TableId, before.TableId);
      assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 3);

      // CloudFormation's way out: a new name, and the table is replaced.
      edit(dir, (d) => {
        d.resources.Resources.Named!.Properties.TableName = 'cfn-redeploy-dev-named2';
      });
      const r = await nimbus.deploy(dir);
      assert.equal(physical(r).Named, 'cfn-redeploy-dev-named2');
      assert.equal(await exists(named), false);
      assert.deepEqual((await describeTable('cfn-redeploy-dev-named2')).KeySchema, [{ AttributeName: 'key', KeyType: 'HASH' }]);
      assert.equal((await describeTable(items)).ProvisionedThroughput?.ReadCapacityUnits, 9);
    });
  });

  describe('failing deploys roll back (cfn-fail)', () => {
    let dir: string;
    const good = 'cfn-fail-dev-good';
    const bad = (): TableResource => table({ BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: KEY_ID.AttributeDefinitions, KeySchema: [{ AttributeName: 'missing', KeyType: 'HASH' }] });
    const CAUSE = 'ValidationException: One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [missing], AttributeDefinitions: [id]';

    it('an invalid table deletes the tables this deploy created and names the logical id', async () => {
      dir = copyFixture('cfn-ddb-redeploy');
      edit(dir, (d) => {
        d.service = 'cfn-fail';
        d.resources = { Resources: { Good: table({ TableName: good, BillingMode: 'PAY_PER_REQUEST', ...KEY_ID }), Bad: bad() } };
      });
      const e = await deployFails(dir);
      assert.equal(e.code, 'ERR_APP_DEPLOY');
      assert.equal(e.message, `serverless.yml: resources.Resources.Bad (AWS::DynamoDB::Table) create failed: ${CAUSE}; rolled back: Good deleted`);
      assert.deepEqual(await tablesOf('cfn-fail-dev-'), []);
      assert.equal(await nimbus.store.apps.get('cfn-fail-dev'), null);
    });

    it('DependsOn decides what exists when the invalid table fails: nothing to roll back', async () => {
      edit(dir, (d) => {
        d.resources.Resources.Good!.DependsOn = 'Bad';
      });
      const e = await deployFails(dir);
      assert.equal(e.message, `serverless.yml: resources.Resources.Bad (AWS::DynamoDB::Table) create failed: ${CAUSE}`);
      assert.deepEqual(await tablesOf('cfn-fail-dev-'), []);
    });

    it("invalid property values fail with CreateTable's validation, before anything is created", async () => {
      const attempt = async (props: Record<string, unknown>): Promise<string> => {
        edit(dir, (d) => {
          d.resources = { Resources: { Good: table({ TableName: good, BillingMode: 'PAY_PER_REQUEST', ...KEY_ID }), Odd: table(props) } };
        });
        const e = await deployFails(dir);
        assert.equal(e.code, 'ERR_APP_DEPLOY');
        assert.deepEqual(await tablesOf('cfn-fail-dev-'), []);
        return e.message.replace(/^serverless\.yml: resources\.Resources\.Odd \(AWS::DynamoDB::Table\) create failed: /, '').replace(/; rolled back: Good deleted$/, '');
      };
      const pay = { BillingMode: 'PAY_PER_REQUEST', ...KEY_ID };
      assert.equal(await attempt({ ...pay, TableName: 'ab' }), "ValidationException: 1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
      assert.equal(
        await attempt({ ...pay, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'X' }] }),
        "ValidationException: 1 validation error detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [S, N, B]",
      );
      assert.equal(
        await attempt({ ...pay, StreamSpecification: { StreamViewType: 'NEW' } }),
        "ValidationException: 1 validation error detected: Value 'NEW' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]",
      );
      assert.equal(await attempt({ ...KEY_ID, ProvisionedThroughput: { ReadCapacityUnits: 'five', WriteCapacityUnits: 1 } }), 'Properties.ProvisionedThroughput.ReadCapacityUnits must be a whole number (got "five")');
      assert.equal(
        await attempt({ ...KEY_ID, ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 1 } }),
        "ValidationException: 1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
      assert.equal(await attempt({ ...pay, TimeToLiveSpecification: { Enabled: true } }), 'Properties.TimeToLiveSpecification.AttributeName is required when Enabled is true (got null)');
      assert.equal(
        await attempt({ BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: KEY_ID.AttributeDefinitions, KeySchema: [{ AttributeName: 'id', KeyType: 'hash' }] }),
        "ValidationException: 1 validation error detected: Value 'hash' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]",
      );
      edit(dir, (d) => {
        d.resources = { Resources: { Good: table({ TableName: good, BillingMode: 'PAY_PER_REQUEST', ...KEY_ID }, { DependsOn: 'Bad' }), Bad: bad() } };
      });
    });

    it('the next good deploy works; a failing redeploy restores what it had updated', async () => {
      edit(dir, (d) => {
        d.resources.Resources.Bad!.Properties.KeySchema = KEY_ID.KeySchema;
      });
      const r = await nimbus.deploy(dir);
      assert.deepEqual(r.app.deployment!.resources.map((x) => x.logicalId), ['Bad', 'Good']);
      assert.ok(await exists(good));
      const badName = physical(r).Bad!;
      assert.match(badName, /^cfn-fail-dev-Bad-[A-Z0-9]{12,13}$/);
      await doc.send(new PutCommand({ TableName: good, Item: { id: 'g1' } }));

      edit(dir, (d) => {
        d.resources.Resources.Good!.Properties.Tags = [{ Key: 'v', Value: '2' }];
        d.resources.Resources.Worse = bad();
      });
      const e = await deployFails(dir);
      assert.equal(e.message, `serverless.yml: resources.Resources.Worse (AWS::DynamoDB::Table) create failed: ${CAUSE}; rolled back: Good restored`);
      assert.deepEqual((await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: ARN_PREFIX + good }))).Tags, []);
      assert.deepEqual(await scanIds(good), ['g1']);
      assert.equal(physical({ app: (await nimbus.store.apps.get('cfn-fail-dev'))! }).Bad, badName);

      edit(dir, (d) => {
        delete d.resources.Resources.Worse;
      });
      const ok = await nimbus.deploy(dir);
      assert.deepEqual((await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: ARN_PREFIX + good }))).Tags, [{ Key: 'v', Value: '2' }]);
      assert.equal(physical(ok).Bad, badName);
    });
  });

  describe('bad templates name the file and key', () => {
    const variant = (change: (d: Definition) => void): string => {
      const dir = copyFixture('cfn-ddb-redeploy');
      edit(dir, (d) => {
        d.service = 'cfn-bad';
        d.resources = { Resources: { A: table({ BillingMode: 'PAY_PER_REQUEST', ...KEY_ID }), B: table({ BillingMode: 'PAY_PER_REQUEST', ...KEY_ID }) } };
        change(d);
      });
      return dir;
    };

    it('Ref or Fn::GetAtt of an unknown resource', async () => {
      let e = await deployFails(variant((d) => (d.resources.Resources.A!.Properties.Tags = [{ Key: 'k', Value: { Ref: 'Nope' } }])));
      assert.equal(e.code, 'ERR_APP_INVALID');
      assert.match(e.message, /^serverless\.yml: resources\.Resources\.A\.Properties\.Tags\[0\]\.Value\.Ref references Nope, which is not a resource/);
      e = await deployFails(variant((d) => (d.functions = { f: { handler: 'h.handler', environment: { NOPE_ARN: { 'Fn::GetAtt': ['Nope', 'Arn'] } } } })));
      assert.equal(e.code, 'ERR_APP_INVALID');
      assert.match(e.message, /^serverless\.yml: functions\.f\.environment\.NOPE_ARN\.Fn::GetAtt references Nope\.Arn/);
      // An attribute the type does not have fails before anything is created, wherever it is used.
      e = await deployFails(variant((d) => (d.resources.Outputs = { O: { Value: { 'Fn::GetAtt': 'A.Nope' } } })));
      assert.equal(e.code, 'ERR_APP_INVALID');
      assert.equal(e.message, 'serverless.yml: resources.Outputs.O.Value references A.Nope: Template error: resource A does not support attribute type Nope in Fn::GetAtt (AWS::DynamoDB::Table has Arn, StreamArn)');
      e = await deployFails(variant((d) => (d.resources.Resources.B!.Properties.Tags = [{ Key: 'k', Value: { 'Fn::Sub': '${A.Name}' } }])));
      assert.match(e.message, /^serverless\.yml: resources\.Resources\.B\.Properties references A\.Name: Template error: resource A does not support attribute type Name in Fn::GetAtt/);
      assert.deepEqual(await tablesOf('cfn-bad-dev-'), []);
    });

    it('circular dependencies, through references and DependsOn', async () => {
      let e = await deployFails(
        variant((d) => {
          d.resources.Resources.A!.Properties.Tags = [{ Key: 'b', Value: { Ref: 'B' } }];
          d.resources.Resources.B!.Properties.Tags = [{ Key: 'a', Value: { 'Fn::GetAtt': ['A', 'Arn'] } }];
        }),
      );
      assert.equal(e.code, 'ERR_APP_INVALID');
      assert.equal(e.key, 'resources.Resources');
      assert.match(e.message, /^serverless\.yml: resources\.Resources has a circular dependency: A -> B -> A \(CloudFormation: "Circular dependency between resources: \[A, B\]"\)$/);
      e = await deployFails(
        variant((d) => {
          d.resources.Resources.A!.DependsOn = ['B'];
          d.resources.Resources.B!.DependsOn = 'A';
        }),
      );
      assert.match(e.message, /circular dependency: A -> B -> A/);
      e = await deployFails(variant((d) => (d.resources.Resources.A!.DependsOn = 'Ghost')));
      assert.match(e.message, /^serverless\.yml: resources\.Resources\.A\.DependsOn names Ghost, which is not a resource of this template/);
      assert.deepEqual(await tablesOf('cfn-bad-dev-'), []);
    });
  });

  describe('restart and removal', () => {
    it('a restart keeps every table, item and output; a redeploy after it changes nothing', async () => {
      const apps = Object.fromEntries((await nimbus.store.apps.list()).map((a) => [a.name, a]));
      const tablesBefore = (await tablesOf('cfn-')).sort();
      const ids = await Promise.all(tablesBefore.map(async (n) => (await describeTable(n)).TableId));
      await nimbus.close();
      nimbus = await startNimbus({ dataDir });
      connect();
      assert.deepEqual((await tablesOf('cfn-')).sort(), tablesBefore);
      assert.deepEqual(await Promise.all(tablesBefore.map(async (n) => (await describeTable(n)).TableId)), ids);
      const users = apps['cfn-ddb-dev']!.deployment!.outputs.UsersName!;
      assert.deepEqual(await scanIds('cfn-fail-dev-good'), ['g1']);
      const env = (await (await fetch(`${nimbus.httpUrl}/env`)).json()) as Record<string, string>;
      assert.equal(env.CFN_USERS, users);

      for (const name of ['cfn-ddb-dev', 'cfn-redeploy-dev', 'cfn-fail-dev']) {
        const app = apps[name]!;
        const r = await nimbus.deploy(app.stack.appDir);
        assert.deepEqual(r.changed, [], name);
        assert.deepEqual(r.app.deployment!.resources, app.deployment!.resources, name);
        assert.deepEqual(r.app.deployment!.outputs, app.deployment!.outputs, name);
      }
      assert.deepEqual(await Promise.all(tablesBefore.map(async (n) => (await describeTable(n)).TableId)), ids);
    });

    it('removeApp deletes the tables that are not retained', async () => {
      const app = (await nimbus.store.apps.get('cfn-redeploy-dev'))!;
      const names = app.deployment!.resources.map((r) => r.physicalId);
      edit(app.stack.appDir, (d) => {
        d.resources.Resources.Named!.DeletionPolicy = 'Retain';
      });
      await nimbus.deploy(app.stack.appDir);
      assert.equal(await nimbus.removeApp('cfn-redeploy-dev'), true);
      // Named is retained now; Items goes; Kept was retained (and left the stack) before.
      assert.deepEqual((await tablesOf('cfn-redeploy-dev-')).sort(), ['cfn-redeploy-dev-kept', 'cfn-redeploy-dev-named2']);
      assert.ok(names.includes('cfn-redeploy-dev-named2'));
      assert.equal(await nimbus.store.apps.get('cfn-redeploy-dev'), null);

      const full = (await nimbus.store.apps.get('cfn-ddb-dev'))!;
      assert.equal(await nimbus.removeApp('cfn-ddb-dev'), true);
      assert.deepEqual(await tablesOf('cfn-ddb-dev-'), []);
      assert.equal(full.deployment!.resources.length, 2);
      assert.equal((await fetch(`${nimbus.httpUrl}/env`)).status, 404);
    });
  });
});
