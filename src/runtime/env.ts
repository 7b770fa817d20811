/**
 * Instance environments. Instances never inherit the platform's environment
 * (it may hold secrets, and NODE_EXTRA_CA_CERTS alone triples Node's start time):
 * they get Lambda's reserved variables plus the function's own.
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';

const PATH = ['/usr/local/bin', '/usr/bin', '/bin', path.dirname(process.execPath)].filter((v, i, a) => a.indexOf(v) === i).join(':');

/** The environment a generic (not yet assigned) process starts with. */
export function baseProcessEnv(): Record<string, string> {
  return { PATH, LANG: 'en_US.UTF-8', TZ: ':UTC' };
}

export interface FunctionEnvInput {
  functionName: string;
  runtime: string;
  handler: string;
  memorySize: number;
  region: string;
  codeDir: string;
  /** The function's own variables (already strings). */
  variables: Record<string, string>;
  /** URL of Nimbus' AWS-compatible endpoint, for AWS_ENDPOINT_URL. */
  awsEndpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** Directory whose node_modules holds the SDKs (NODE_PATH). */
  sdkNodeModules: string;
  runtimeApi?: string;
  initializationType: 'on-demand' | 'provisioned-concurrency';
}

/** Lambda's reserved variables; function variables cannot override these (AWS refuses them at deploy). */
export const RESERVED_ENV = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);

export function logStreamName(): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[$LATEST]${crypto.randomBytes(16).toString('hex')}`;
}

export function functionEnv(i: FunctionEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LD_LIBRARY_PATH: '/usr/local/lib:/usr/lib',
    NODE_PATH: i.sdkNodeModules,
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    AWS_ENDPOINT_URL: i.awsEndpoint,
  };
  for (const [k, v] of Object.entries(i.variables)) if (!RESERVED_ENV.has(k)) env[k] = v;
  Object.assign(env, {
    _HANDLER: i.handler,
    AWS_REGION: i.region,
    AWS_DEFAULT_REGION: i.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${i.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: i.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(i.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: i.initializationType,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${i.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
    AWS_ACCESS_KEY_ID: i.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: i.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: i.credentials.sessionToken,
    LAMBDA_TASK_ROOT: i.codeDir,
    LAMBDA_RUNTIME_DIR: path.join(__dirname, 'node-client'),
  });
  if (i.runtimeApi) env.AWS_LAMBDA_RUNTIME_API = i.runtimeApi;
  return env;
}
