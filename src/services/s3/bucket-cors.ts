/**
 * Put/Get/DeleteBucketCors (?cors). The rules live in the bucket config's
 * `cors` field in S3's CORSRule shape (the AWS::S3::Bucket provider writes
 * the same); cors.ts applies them. Validation as S3 answers it (LocalStack's
 * snapshot-tested validate_cors_configuration): no rule or more than 100 is
 * MalformedXML, a rule without AllowedMethod or AllowedOrigin is
 * MalformedXML, a method other than GET/PUT/HEAD/POST/DELETE is
 * InvalidRequest "Found unsupported HTTP method in CORS config. Unsupported
 * method is X", and an origin or header with more than one `*` is
 * InvalidRequest (S3 user guide: "The AllowedOrigin element can contain at
 * most one asterisk").
 */
import { defineOperation, int, label, list, member, payload, str, struct, type Operation } from '../../aws';
import { CORS_METHODS, rulesOf, type CorsRule } from './cors';
import type { S3Engine } from './engine';
import { invalidRequest, malformedXml, noSuchCorsConfiguration } from './errors';

const flat = (name: string) => member(list(str(), { flattened: true }), { name });
const RULE = struct({
  ID: member(str()),
  AllowedHeaders: flat('AllowedHeader'),
  AllowedMethods: flat('AllowedMethod'),
  AllowedOrigins: flat('AllowedOrigin'),
  ExposeHeaders: flat('ExposeHeader'),
  MaxAgeSeconds: member(int()),
});
const CONFIG = { CORSRules: member(list(RULE, { flattened: true }), { name: 'CORSRule' }) } as const;

const METHODS: readonly string[] = CORS_METHODS;

function checkRules(rules: Partial<CorsRule>[] | undefined): CorsRule[] {
  if (!rules || rules.length === 0 || rules.length > 100) throw malformedXml();
  return rules.map((r) => {
    if (!r.AllowedMethods || r.AllowedMethods.length === 0 || !r.AllowedOrigins || r.AllowedOrigins.length === 0) throw malformedXml();
    for (const m of r.AllowedMethods) if (!METHODS.includes(m)) throw invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    for (const o of r.AllowedOrigins) if (o.split('*').length > 2) throw invalidRequest(`AllowedOrigin "${o}" can not have more than one wildcard.`);
    for (const h of r.AllowedHeaders ?? []) if (h.split('*').length > 2) throw invalidRequest(`AllowedHeader "${h}" can not have more than one wildcard.`);
    if (r.ID !== undefined && r.ID.length > 255) throw invalidRequest('The ID of a CORS rule must be at most 255 characters long.');
    const rule: CorsRule = { AllowedMethods: r.AllowedMethods, AllowedOrigins: r.AllowedOrigins };
    if (r.AllowedHeaders && r.AllowedHeaders.length > 0) rule.AllowedHeaders = r.AllowedHeaders;
    if (r.ExposeHeaders && r.ExposeHeaders.length > 0) rule.ExposeHeaders = r.ExposeHeaders;
    if (r.MaxAgeSeconds !== undefined) rule.MaxAgeSeconds = r.MaxAgeSeconds;
    if (r.ID !== undefined) rule.ID = r.ID;
    return rule;
  });
}

export function putBucketCors(engine: S3Engine): Operation<'PutBucketCors'> {
  return defineOperation({
    name: 'PutBucketCors',
    http: { method: 'PUT', path: '/{Bucket}?cors', code: 200 },
    input: struct({ Bucket: label(str()), CORSConfiguration: payload(struct(CONFIG)) }),
    output: struct({}),
    xmlRoot: { input: 'CORSConfiguration' },
    handler: async (i) => {
      await engine.bucket(i.Bucket);
      const rules = checkRules(i.CORSConfiguration?.CORSRules);
      await engine.updateConfig(i.Bucket, (c) => ({ ...c, cors: rules }));
      return {};
    },
  });
}

export function getBucketCors(engine: S3Engine): Operation<'GetBucketCors'> {
  return defineOperation({
    name: 'GetBucketCors',
    http: { method: 'GET', path: '/{Bucket}?cors', code: 200 },
    input: struct({ Bucket: label(str()) }),
    output: struct(CONFIG),
    xmlRoot: { output: 'CORSConfiguration' },
    handler: async (i) => {
      const rules = rulesOf(engine.config(await engine.bucket(i.Bucket)).cors);
      if (rules.length === 0) throw noSuchCorsConfiguration(i.Bucket);
      return { CORSRules: rules };
    },
  });
}

export function deleteBucketCors(engine: S3Engine): Operation<'DeleteBucketCors'> {
  return defineOperation({
    name: 'DeleteBucketCors',
    http: { method: 'DELETE', path: '/{Bucket}?cors', code: 204 },
    input: struct({ Bucket: label(str()) }),
    output: struct({}),
    handler: async (i) => {
      await engine.bucket(i.Bucket);
      await engine.updateConfig(i.Bucket, (c) => {
        const { cors: _dropped, ...rest } = c;
        return rest;
      });
      return {};
    },
  });
}
