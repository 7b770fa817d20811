/**
 * What Nimbus does with each key of a Serverless Framework v3 definition. One rule for
 * all of them:
 * - `supported`: compiled into the Stack;
 * - `ignored`: a framework option that only shapes the AWS deployment (packaging,
 *   bucket, stack naming, tags, log retention ...) and has no observable behaviour when
 *   running locally; accepted silently;
 * - `unsupported`: a framework option with a behaviour Nimbus does not reproduce yet;
 *   warned as "<key> is not supported yet and is ignored" (with a note when useful);
 * - any key not listed: not a framework v3 option (often a typo, or a plugin's key);
 *   warned as "<key> is not a Serverless Framework v3 option and is ignored".
 * Key lists follow the framework's own config schema (lib/config-schema.js and
 * lib/plugins/aws/provider.js).
 */

export type KeyRule = 'supported' | 'ignored' | 'unsupported' | { unsupported: string };
export type KeyTable = Readonly<Record<string, KeyRule>>;

const all = (rule: KeyRule, keys: string[]): Record<string, KeyRule> => Object.fromEntries(keys.map((k) => [k, rule]));

export const TOP_LEVEL_KEYS: KeyTable = {
  ...all('supported', ['service', 'frameworkVersion', 'provider', 'functions', 'custom', 'useDotenv', 'params', 'resources']),
  ...all('ignored', [
    'package', 'configValidationMode', 'variablesResolutionMode', 'unresolvedVariablesNotificationMode',
    'deprecationNotificationMode', 'disabledDeprecations', 'org', 'app', 'console', 'dashboard', 'outputs',
    'enableLocalInstallationFallback',
  ]),
  // plugins get their own message (see validate.ts).
  ...all('unsupported', ['plugins', 'layers']),
};

export const PROVIDER_KEYS: KeyTable = {
  ...all('supported', ['name', 'runtime', 'stage', 'region', 'environment', 'memorySize', 'timeout', 'httpApi', 'stackName', 'iam', 'iamRoleStatements', 's3']),
  ...all('ignored', [
    'deploymentBucket', 'deploymentPrefix', 'deploymentMethod', 'stackTags', 'stackPolicy',
    'stackParameters', 'tags', 'notificationArns', 'rollbackConfiguration', 'disableRollback', 'cfnRole',
    'profile', 'lambdaHashingVersion', 'versionFunctions', 'logRetentionInDays', 'logDataProtectionPolicy',
    'kmsKeyArn', 'architecture', 'runtimeManagement', 'apiName', 'endpointType', 'websocketsApiName',
    'websocketsApiRouteSelectionExpression', 'websocketsDescription', 'description',
  ]),
  ...all({ unsupported: 'permissions are not enforced' }, ['iamManagedPolicies', 'role', 'rolePermissionsBoundary']),
  ...all('unsupported', [
    'vpc', 'vpcEndpointIds', 'layers', 'tracing', 'logs', 'apiGateway', 'apiKeys', 'usagePlan', 'resourcePolicy',
    'alb', 'ecr', 'cloudFront', 'eventBridge', 'websocket', 'kinesis',
  ]),
};

export const PROVIDER_HTTP_API_KEYS: KeyTable = {
  ...all('supported', ['cors', 'payload']),
  ...all('ignored', ['name', 'metrics', 'disableDefaultEndpoint', 'useProviderTags']),
  id: { unsupported: 'an external HTTP API cannot be attached locally' },
  authorizers: 'unsupported',
};

export const HTTP_API_CORS_KEYS: KeyTable = all('supported', [
  'allowedOrigins', 'allowedHeaders', 'allowedMethods', 'allowCredentials', 'exposedResponseHeaders', 'maxAge',
]);

export const FUNCTION_KEYS: KeyTable = {
  ...all('supported', [
    'handler', 'name', 'description', 'runtime', 'memorySize', 'timeout', 'environment', 'reservedConcurrency',
    'provisionedConcurrency', 'events', 'destinations', 'onError', 'maximumEventAge', 'maximumRetryAttempts',
  ]),
  ...all('ignored', [
    'package', 'tags', 'architecture', 'runtimeManagement', 'versionFunction', 'condition', 'dependsOn',
    'kmsKeyArn', 'awsKmsKeyArn', 'disableLogs', 'logRetentionInDays', 'logDataProtectionPolicy',
  ]),
  ...all({ unsupported: 'permissions are not enforced' }, ['role']),
  ...all('unsupported', [
    'vpc', 'layers', 'url', 'image',
    'fileSystemConfig', 'ephemeralStorage', 'snapStart', 'tracing', 'alarms',
  ]),
};

/** Event types of the framework v3's AWS provider. */
export const EVENT_TYPES: KeyTable = {
  ...all('supported', ['http', 'httpApi', 'stream', 's3']),
  ...all('unsupported', [
    'websocket', 'schedule', 'sns', 'sqs', 'msk', 'kafka', 'activemq', 'rabbitmq', 'alb',
    'alexaSkill', 'alexaSmartHome', 'iot', 'iotFleetProvisioning', 'cloudwatchEvent', 'cloudwatchLog',
    'cognitoUserPool', 'eventBridge', 'cloudFront',
  ]),
};

export const HTTP_EVENT_KEYS: KeyTable = {
  ...all('supported', ['path', 'method', 'cors', 'integration']),
  ...all('ignored', ['operationId']),
  ...all('unsupported', ['authorizer', 'private', 'request', 'response', 'async', 'connectionId', 'connectionType']),
};

/** framework v3 `stream` event keys (lib/plugins/aws/package/compile/events/stream.js). */
export const STREAM_EVENT_KEYS: KeyTable = {
  ...all('supported', [
    'arn', 'type', 'batchSize', 'parallelizationFactor', 'startingPosition', 'startingPositionTimestamp', 'enabled',
    'batchWindow', 'maximumRetryAttempts', 'bisectBatchOnFunctionError', 'maximumRecordAgeInSeconds',
    'functionResponseType', 'destinations', 'tumblingWindowInSeconds', 'filterPatterns',
  ]),
  // Warned by stream-events.ts with a note.
  consumer: 'supported',
};

/** framework v3 `s3` event keys (lib/plugins/aws/package/compile/events/s3/index.js). */
export const S3_EVENT_KEYS: KeyTable = all('supported', ['bucket', 'event', 'rules', 'existing', 'forceDeploy']);

/** provider.iam (framework v3 lib/plugins/aws/provider.js). */
export const PROVIDER_IAM_KEYS: KeyTable = {
  role: 'supported',
  deploymentRole: 'ignored',
};

export const PROVIDER_IAM_ROLE_KEYS: KeyTable = {
  statements: 'supported',
  ...all('ignored', ['name', 'path', 'tags']),
  ...all({ unsupported: 'permissions are not enforced' }, ['managedPolicies', 'permissionsBoundary']),
};

export const HTTP_CORS_KEYS: KeyTable = {
  ...all('supported', ['origin', 'origins', 'headers', 'methods', 'allowCredentials', 'maxAge']),
  cacheControl: 'unsupported',
};

export const HTTP_API_EVENT_KEYS: KeyTable = {
  ...all('supported', ['method', 'path']),
  authorizer: 'unsupported',
};

/**
 * Environment variable keys Lambda reserves (they cannot be set in a function's
 * configuration): https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
export const RESERVED_ENV_KEYS: ReadonlySet<string> = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ',
]);
