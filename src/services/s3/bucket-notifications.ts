/**
 * Put/GetBucketNotificationConfiguration (?notification). Lambda targets are
 * delivered (triggers, asynchronously through the durable queue); queue and
 * topic targets are kept and reported but wait for SQS and SNS. S3 validates
 * a Lambda target by checking it exists: an unknown function is "Unable to
 * validate the following destination configurations".
 */
import { defineOperation, label, list, member, payload, str, struct, type Operation } from '../../aws';
import type { NotificationConfig, NotificationTarget, S3Engine } from './engine';
import { invalidArgument } from './errors';
import { S3_EVENT_TYPES } from './event-types';

const FILTER = struct({ Key: member(struct({ FilterRules: member(list(struct({ Name: member(str()), Value: member(str()) }), { flattened: true, memberName: 'FilterRule' }), { name: 'FilterRule' }) }), { name: 'S3Key' }) });
const target = (arnName: string) =>
  struct({ Id: member(str()), Arn: member(str(), { name: arnName }), Events: member(list(str(), { flattened: true }), { name: 'Event' }), Filter: member(FILTER) });
const CONFIG = {
  TopicConfigurations: member(list(target('Topic'), { flattened: true }), { name: 'TopicConfiguration' }),
  QueueConfigurations: member(list(target('Queue'), { flattened: true }), { name: 'QueueConfiguration' }),
  LambdaFunctionConfigurations: member(list(target('CloudFunction'), { flattened: true }), { name: 'CloudFunctionConfiguration' }),
  EventBridgeConfiguration: member(struct({})),
} as const;

type TargetInput = { Id?: string; Arn?: string; Events?: string[]; Filter?: { Key?: { FilterRules?: { Name?: string; Value?: string }[] } } };

const EVENTS = new Set(S3_EVENT_TYPES);

/** Checks and normalizes configurations (S3: "Unable to validate the following destination configurations", invalid filter rules). */
export function parseTargets(kind: NotificationTarget['kind'], list: TargetInput[] | undefined, exists: (arn: string) => boolean): NotificationTarget[] {
  return (list ?? []).map((t, n) => {
    if (!t.Arn) throw invalidArgument('The ARN is not well formed', 'ARN', '');
    const events = t.Events ?? [];
    if (events.length === 0) throw invalidArgument('A specified event is not supported for notifications.', 'Event', '');
    for (const e of events) if (!EVENTS.has(e)) throw invalidArgument('The event is not supported for notifications', 'Event', e);
    const out: NotificationTarget = { id: t.Id ?? `notification-${n + 1}`, arn: t.Arn, kind, events };
    for (const r of t.Filter?.Key?.FilterRules ?? []) {
      const name = (r.Name ?? '').toLowerCase();
      if (name !== 'prefix' && name !== 'suffix') throw invalidArgument('filter rule name must be either prefix or suffix', 'FilterRule', r.Name ?? '');
      if ((name === 'prefix' && out.prefix !== undefined) || (name === 'suffix' && out.suffix !== undefined)) {
        throw invalidArgument('Cannot specify more than one prefix rule in a filter.'.replace('prefix', name), 'FilterRule', r.Name ?? '');
      }
      out[name] = r.Value ?? '';
    }
    if (kind === 'lambda' && !exists(t.Arn)) throw invalidArgument('Unable to validate the following destination configurations', `arn:aws:lambda`, t.Arn);
    return out;
  });
}

export function putBucketNotificationConfiguration(engine: S3Engine, functionExists: (arn: string) => boolean): Operation<'PutBucketNotificationConfiguration'> {
  return defineOperation({
    name: 'PutBucketNotificationConfiguration',
    http: { method: 'PUT', path: '/{Bucket}?notification', code: 200 },
    input: struct({ Bucket: label(str()), NotificationConfiguration: payload(struct(CONFIG)) }),
    output: struct({}),
    xmlRoot: { input: 'NotificationConfiguration' },
    handler: async (i) => {
      await engine.bucket(i.Bucket);
      const c = i.NotificationConfiguration ?? {};
      const config: NotificationConfig = {
        targets: [
          ...parseTargets('lambda', c.LambdaFunctionConfigurations, functionExists),
          ...parseTargets('queue', c.QueueConfigurations, () => true),
          ...parseTargets('topic', c.TopicConfigurations, () => true),
        ],
        eventBridge: c.EventBridgeConfiguration !== undefined,
      };
      await engine.updateConfig(i.Bucket, (b) => ({ ...b, notifications: config }));
      return {};
    },
  });
}

export function getBucketNotificationConfiguration(engine: S3Engine): Operation<'GetBucketNotificationConfiguration'> {
  return defineOperation({
    name: 'GetBucketNotificationConfiguration',
    http: { method: 'GET', path: '/{Bucket}?notification', code: 200 },
    input: struct({ Bucket: label(str()) }),
    output: struct(CONFIG),
    xmlRoot: { output: 'NotificationConfiguration' },
    handler: async (i) => {
      const cfg = engine.config(await engine.bucket(i.Bucket)).notifications;
      const out = (kind: NotificationTarget['kind']) =>
        (cfg?.targets ?? [])
          .filter((t) => t.kind === kind)
          .map((t) => {
            const rules = [...(t.prefix !== undefined ? [{ Name: 'Prefix', Value: t.prefix }] : []), ...(t.suffix !== undefined ? [{ Name: 'Suffix', Value: t.suffix }] : [])];
            return { Id: t.id, Arn: t.arn, Events: t.events, ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}) };
          });
      const result: Record<string, unknown> = {};
      const l = out('lambda');
      if (l.length > 0) result.LambdaFunctionConfigurations = l;
      const q = out('queue');
      if (q.length > 0) result.QueueConfigurations = q;
      const t = out('topic');
      if (t.length > 0) result.TopicConfigurations = t;
      if (cfg?.eventBridge) result.EventBridgeConfiguration = {};
      return result as never;
    },
  });
}
