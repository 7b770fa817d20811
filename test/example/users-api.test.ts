/**
 * examples/users-api (what `npm start` serves): the seed's users API over a
 * table declared under `resources:`, end to end through a live Nimbus, then
 * the same app redeployed (data kept), restarted (data and stream position
 * kept) and removed (table gone).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Platform } from '../../src/platform';
import { REPO, startNimbus, tmpDir, waitFor } from '../helpers/nimbus';

const TABLE = 'users-api-dev-users';

async function logsOf(nimbus: Platform, fn: string): Promise<string> {
  return (await nimbus.store.logs.query({ functionName: fn, limit: 10000 })).map((l) => l.message).join('\n');
}

describe('examples/users-api', () => {
  let nimbus: Platform;
  let dir: string;
  let dataDir: string;
  let url: string;
  before(async () => {
    dir = path.join(tmpDir(), 'users-api');
    fs.cpSync(path.join(REPO, 'examples', 'users-api'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.nimbus`) });
    dataDir = tmpDir();
    nimbus = await startNimbus({ dataDir, triggers: { scanIntervalMs: 100, idlePollMs: 50 } });
    const res = await nimbus.deploy(dir);
    assert.deepEqual(res.warnings, []);
    assert.equal(res.app.deployment?.outputs.UsersTableName, TABLE);
    url = `${nimbus.httpUrl}/dev`;
  });
  after(() => nimbus?.close());

  it('POST /users validates, creates (201) and the stream function greets the user', async () => {
    const bad = await fetch(`${url}/users`, { method: 'POST', body: JSON.stringify({ name: 'No Email' }) });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'Email and name required' });
    const res = await fetch(`${url}/users`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }) });
    assert.equal(res.status, 201);
    const user = (await res.json()) as { id: string; email: string; name: string };
    assert.equal(user.email, 'ada@example.com');
    const got = await fetch(`${url}/users/${user.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(((await got.json()) as { name: string }).name, 'Ada');
    assert.equal((await fetch(`${url}/users/nobody`)).status, 404);
    await waitFor(async () => (await logsOf(nimbus, 'users-api-dev-welcome')).includes('welcome email to ada@example.com (Ada)'), 10_000, 50);
  });

  it('GET /users lists them; unknown routes are refused as API Gateway refuses them', async () => {
    await fetch(`${url}/users`, { method: 'POST', body: JSON.stringify({ email: 'bob@example.com', name: 'Bob' }) });
    const list = (await (await fetch(`${url}/users`)).json()) as { name: string }[];
    assert.deepEqual(list.map((u) => u.name), ['Ada', 'Bob']);
    assert.equal((await fetch(`${url}/nope`)).status, 403); // API Gateway answers unknown REST routes 403 Missing Authentication Token
  });

  it('redeploying keeps the data; a restart keeps data and stream position; removing the app deletes the table', async () => {
    const again = await nimbus.deploy(dir);
    assert.deepEqual(again.changed, []);
    assert.equal(((await (await fetch(`${url}/users`)).json()) as unknown[]).length, 2);
    await nimbus.close();
    nimbus = await startNimbus({ dataDir, triggers: { scanIntervalMs: 100, idlePollMs: 50 } });
    url = `${nimbus.httpUrl}/dev`;
    assert.equal(((await (await fetch(`${url}/users`)).json()) as unknown[]).length, 2);
    await fetch(`${url}/users`, { method: 'POST', body: JSON.stringify({ email: 'cy@example.com', name: 'Cy' }) });
    await waitFor(async () => (await logsOf(nimbus, 'users-api-dev-welcome')).includes('welcome email to cy@example.com'), 10_000, 50);
    const greetings = (await logsOf(nimbus, 'users-api-dev-welcome')).match(/welcome email to/g) ?? [];
    assert.equal(greetings.length, 3, 'each new user is greeted exactly once across the restart');
    assert.equal(await nimbus.removeApp('users-api-dev'), true);
    const ddb = new DynamoDBClient({ endpoint: nimbus.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await assert.rejects(ddb.send(new DescribeTableCommand({ TableName: TABLE })), /ResourceNotFoundException|not found/);
  });
});
