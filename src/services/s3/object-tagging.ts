/** Put/Get/DeleteObjectTagging (?tagging on a key): at most 10 tags, S3's key and value limits. */
import { defineOperation, label, list, member, payload, required, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { invalidArgument, malformedXml } from './errors';

const TAG_SET = struct({ TagSet: required(list(struct({ Key: required(str()), Value: required(str()) }), { memberName: 'Tag' })) });
const KEY_INPUT = { Bucket: label(str()), Key: label(str(), { greedy: true }) } as const;

export function tagsFromSet(set: { Key: string; Value: string }[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of set) {
    if (t.Key in tags) throw invalidArgument('Cannot provide multiple Tags with the same key', 'Tagging', t.Key);
    if (t.Key.length === 0 || t.Key.length > 128) throw invalidArgument('The TagKey you have provided is invalid', 'Tagging', t.Key);
    if (t.Value.length > 256) throw invalidArgument('The TagValue you have provided is invalid', 'Tagging', t.Value);
    tags[t.Key] = t.Value;
  }
  if (Object.keys(tags).length > 10) throw invalidArgument('Object tags cannot be greater than 10', 'Tagging', String(Object.keys(tags).length));
  return tags;
}

async function setTags(engine: S3Engine, bucket: string, key: string, tags: Record<string, string> | undefined): Promise<void> {
  const o = await engine.object(bucket, key);
  const meta = { ...o.parsed };
  if (tags && Object.keys(tags).length > 0) meta.tags = tags;
  else delete meta.tags;
  await engine.store.updateObjectMeta(bucket, key, JSON.stringify(meta));
}

export function putObjectTagging(engine: S3Engine): Operation<'PutObjectTagging'> {
  return defineOperation({
    name: 'PutObjectTagging',
    http: { method: 'PUT', path: '/{Bucket}/{Key+}?tagging', code: 200 },
    input: struct({ ...KEY_INPUT, Tagging: payload(TAG_SET) }),
    output: struct({}),
    xmlRoot: { input: 'Tagging' },
    handler: async (i) => {
      if (!i.Tagging) throw malformedXml();
      await setTags(engine, i.Bucket, i.Key, tagsFromSet(i.Tagging.TagSet));
      return {};
    },
  });
}

export function getObjectTagging(engine: S3Engine): Operation<'GetObjectTagging'> {
  return defineOperation({
    name: 'GetObjectTagging',
    http: { method: 'GET', path: '/{Bucket}/{Key+}?tagging', code: 200 },
    input: struct(KEY_INPUT),
    output: struct({ TagSet: member(list(struct({ Key: member(str()), Value: member(str()) }), { memberName: 'Tag' })) }),
    xmlRoot: { output: 'Tagging' },
    handler: async (i) => {
      const o = await engine.object(i.Bucket, i.Key);
      return { TagSet: Object.entries(o.parsed.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
    },
  });
}

export function deleteObjectTagging(engine: S3Engine): Operation<'DeleteObjectTagging'> {
  return defineOperation({
    name: 'DeleteObjectTagging',
    http: { method: 'DELETE', path: '/{Bucket}/{Key+}?tagging', code: 204 },
    input: struct(KEY_INPUT),
    output: struct({}),
    handler: async (i) => {
      await setTags(engine, i.Bucket, i.Key, undefined);
      return {};
    },
  });
}
