/** TagResource / UntagResource / ListTagsOfResource on table ARNs. */
import { defineOperation, list, member, required, str, struct, type Operation } from '../../aws';
import type { DynamoEngine } from './engine';
import { limitExceeded, resourceNotFound, validation } from './errors';
import type { TableMeta } from './table';

const ARN = str({ min: 1, max: 1283 });
const TAG = struct({ Key: required(str({ min: 1, max: 128 })), Value: required(str({ max: 256 })) });

async function tableOfArn(engine: DynamoEngine, arn: string): Promise<TableMeta> {
  const m = /^arn:aws[a-z-]*:dynamodb:([^:]*):([^:]*):table\/([^/]+)$/.exec(arn);
  if (!m) throw validation(`Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
  const meta = await engine.findTable(m[3]);
  if (!meta || meta.arn !== arn) throw resourceNotFound(`Requested resource not found: ResourcArn: ${arn} not found`);
  return meta;
}

async function saveTags(engine: DynamoEngine, meta: TableMeta, tags: Record<string, string>): Promise<void> {
  const next: TableMeta = { ...meta, tags };
  await engine.store.updateTable(meta.name, (current) => JSON.stringify({ ...(JSON.parse(current) as TableMeta), tags }));
  engine.remember(next);
}

export function tagResource(engine: DynamoEngine): Operation<'TagResource'> {
  return defineOperation({
    name: 'TagResource',
    input: struct({ ResourceArn: required(ARN), Tags: required(list(TAG)) }),
    output: struct({}),
    handler: async (i) => {
      const meta = await tableOfArn(engine, i.ResourceArn);
      const tags = { ...meta.tags };
      for (const t of i.Tags) tags[t.Key] = t.Value;
      if (Object.keys(tags).length > 50) throw limitExceeded('Too many tags attached to the resource');
      await saveTags(engine, meta, tags);
      return {};
    },
  });
}

export function untagResource(engine: DynamoEngine): Operation<'UntagResource'> {
  return defineOperation({
    name: 'UntagResource',
    input: struct({ ResourceArn: required(ARN), TagKeys: required(list(str({ min: 1, max: 128 }))) }),
    output: struct({}),
    handler: async (i) => {
      const meta = await tableOfArn(engine, i.ResourceArn);
      const tags = { ...meta.tags };
      for (const k of i.TagKeys) delete tags[k];
      await saveTags(engine, meta, tags);
      return {};
    },
  });
}

export function listTagsOfResource(engine: DynamoEngine): Operation<'ListTagsOfResource'> {
  return defineOperation({
    name: 'ListTagsOfResource',
    input: struct({ ResourceArn: required(ARN), NextToken: member(str()) }),
    output: struct({ Tags: member(list(TAG)), NextToken: member(str()) }),
    handler: async (i) => {
      const meta = await tableOfArn(engine, i.ResourceArn);
      return { Tags: Object.entries(meta.tags).map(([Key, Value]) => ({ Key, Value })) };
    },
  });
}
