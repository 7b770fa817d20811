/**
 * Shapes shared by several Lambda operations (the API model's
 * FunctionConfiguration, Concurrency, ...) and the mapping from the backend's
 * view of a function to AWS's.
 */
import * as crypto from 'node:crypto';
import { int, list, long, map, member, str, struct, type TypeOf } from '../../aws';
import type { LambdaFunctionInfo } from './backend';

export const ENVIRONMENT_RESPONSE = struct({
  Variables: member(map(str())),
});

export const FUNCTION_CONFIGURATION = struct({
  FunctionName: member(str()),
  FunctionArn: member(str()),
  Runtime: member(str()),
  Role: member(str()),
  Handler: member(str()),
  CodeSize: member(long()),
  Description: member(str()),
  Timeout: member(int()),
  MemorySize: member(int()),
  LastModified: member(str()),
  CodeSha256: member(str()),
  Version: member(str()),
  Environment: member(ENVIRONMENT_RESPONSE),
  TracingConfig: member(struct({ Mode: member(str()) })),
  RevisionId: member(str()),
  State: member(str()),
  LastUpdateStatus: member(str()),
  PackageType: member(str()),
  Architectures: member(list(str())),
  EphemeralStorage: member(struct({ Size: member(int()) })),
  LoggingConfig: member(struct({ LogFormat: member(str()), LogGroup: member(str()) })),
  SnapStart: member(struct({ ApplyOn: member(str()), OptimizationStatus: member(str()) })),
});

export type FunctionConfiguration = TypeOf<typeof FUNCTION_CONFIGURATION>;

/** A stable revision id per code and configuration state (AWS's changes on every update). */
function revisionId(f: LambdaFunctionInfo): string {
  const h = crypto.createHash('sha256').update(`${f.name}\n${f.lastModified}\n${f.codeSha256}\n${f.memorySize}\n${f.timeout}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The backend's function -> AWS's FunctionConfiguration (what Nimbus can answer truthfully; no Role). */
export function toConfiguration(f: LambdaFunctionInfo): FunctionConfiguration {
  return {
    FunctionName: f.name,
    FunctionArn: f.arn,
    Runtime: f.runtime,
    Handler: f.handler,
    CodeSize: f.codeSize,
    Description: f.description,
    Timeout: f.timeout,
    MemorySize: f.memorySize,
    LastModified: f.lastModified,
    CodeSha256: f.codeSha256,
    Version: f.version,
    Environment: { Variables: f.environment },
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: revisionId(f),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: [process.arch === 'arm64' ? 'arm64' : 'x86_64'],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${f.name}` },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
  };
}
