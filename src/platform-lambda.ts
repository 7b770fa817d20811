/**
 * The Lambda API's backend (services/lambda/backend.ts) over the platform:
 * functions deployed from app definitions and functions created through the
 * Lambda API alike. Functions created through the API live in one synthetic app
 * (`LAMBDA_API_APP`) whose Stack is redeployed on every change, so that they go
 * through the same reconcile path as everything else.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FunctionSpec, Stack } from './app/stack';
import { extractZip } from './control/unzip';
import { InvokeError } from './invoke/types';
import type { Platform } from './platform';
import type { CreateFunctionInput, EventInvokeConfig, LambdaBackend, LambdaFunctionInfo } from './services/lambda/backend';

/** The synthetic app (service `lambda`, stage `api`) holding functions created through the Lambda API. */
export const LAMBDA_API_APP = 'lambda-api';

export class PlatformLambdaBackend implements LambdaBackend {
  constructor(private readonly platform: Platform) {}

  /** CreateEventSourceMapping and friends act on the platform's pollers. */
  get eventSourceMappings(): Platform['esm'] {
    return this.platform.esm;
  }

  get region(): string {
    return this.platform.opts.region;
  }

  get accountId(): string {
    return this.platform.accountId;
  }

  private info(name: string): LambdaFunctionInfo | null {
    const d = this.platform.deployed(name);
    if (!d) return null;
    const { spec } = d;
    return {
      name: spec.name,
      arn: this.platform.functionArn(spec.name),
      runtime: spec.runtime,
      handler: spec.handler,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      environment: spec.environment,
      description: spec.description ?? '',
      lastModified: lambdaDate(d.updatedAt),
      codeSha256: d.code.sha256,
      codeSize: d.code.size,
      version: '$LATEST',
      reservedConcurrency: spec.reservedConcurrency,
      appName: d.appName === LAMBDA_API_APP ? null : d.appName,
    };
  }

  async getFunction(name: string): Promise<LambdaFunctionInfo | null> {
    return this.info(name);
  }

  async listFunctions(): Promise<LambdaFunctionInfo[]> {
    return this.platform.engine.functionNames().map((n) => this.info(n)).filter((f): f is LambdaFunctionInfo => f !== null);
  }

  invoke(name: string, payload: Buffer, opts: { tailLogs: boolean; clientContext?: string; traceId?: string }) {
    return this.platform.engine.invoke({ functionName: name, payload, source: 'lambda', tailLogs: opts.tailLogs, clientContext: opts.clientContext, traceId: opts.traceId });
  }

  async invokeAsync(name: string, payload: Buffer, opts: { traceId?: string }) {
    const requestId = await this.platform.async.accept(name, payload.toString('utf8'), opts.traceId ?? null);
    return { requestId };
  }

  concurrencyLimits(): { accountLimit: number; unreserved: number } {
    const accountLimit = this.platform.opts.concurrencyLimit;
    let reserved = 0;
    for (const n of this.platform.engine.functionNames()) reserved += this.platform.deployed(n)?.spec.reservedConcurrency ?? 0;
    return { accountLimit, unreserved: accountLimit - reserved };
  }

  async putReservedConcurrency(name: string, value: number): Promise<void> {
    await this.platform.updateSpec(name, (s) => ({ ...s, reservedConcurrency: value }));
  }

  async deleteReservedConcurrency(name: string): Promise<void> {
    await this.platform.updateSpec(name, (s) => ({ ...s, reservedConcurrency: null }));
  }

  async getEventInvokeConfig(name: string): Promise<EventInvokeConfig | null> {
    const d = this.platform.deployed(name);
    if (!d?.spec.eventInvoke) return null;
    return { ...d.spec.eventInvoke, lastModified: d.updatedAt };
  }

  async putEventInvokeConfig(name: string, cfg: Omit<EventInvokeConfig, 'lastModified'>): Promise<EventInvokeConfig> {
    const d = await this.platform.updateSpec(name, (s) => ({ ...s, eventInvoke: { ...cfg } }));
    return { ...cfg, lastModified: d.updatedAt };
  }

  async createFunction(input: CreateFunctionInput): Promise<LambdaFunctionInfo> {
    if (this.platform.deployed(input.name)) {
      throw new InvokeError('ServiceException', `Function already exist: ${input.name}`);
    }
    const codeDir = this.unpack(input.name, input.zip);
    const spec: FunctionSpec = {
      key: input.name,
      name: input.name,
      handler: input.handler,
      runtime: input.runtime,
      memorySize: input.memorySize ?? 128,
      timeout: input.timeout ?? 3,
      environment: input.environment ?? {},
      reservedConcurrency: null,
      provisionedConcurrency: null,
      codeDir,
    };
    if (input.description) spec.description = input.description;
    const stack = await this.apiStack();
    stack.functions.push(spec);
    await this.platform.deployStack(stack, { code: { [input.name]: codeInfo(input.zip) } });
    return this.info(input.name)!;
  }

  async updateFunctionCode(name: string, zip: Buffer): Promise<LambdaFunctionInfo> {
    const d = this.platform.deployed(name);
    if (!d) throw new InvokeError('ResourceNotFoundException', `Function not found: ${this.platform.functionArn(name)}`);
    const codeDir = this.unpack(name, zip);
    if (d.appName === LAMBDA_API_APP) {
      const stack = await this.apiStack();
      stack.functions = stack.functions.map((f) => (f.name === name ? { ...f, codeDir } : f));
      await this.platform.deployStack(stack, { code: { [name]: codeInfo(zip) } });
    } else {
      await this.platform.updateSpec(name, (s) => ({ ...s, codeDir }), codeInfo(zip));
    }
    return this.info(name)!;
  }

  async deleteFunction(name: string): Promise<boolean> {
    return this.platform.removeFunction(name);
  }

  private async apiStack(): Promise<Stack> {
    const app = await this.platform.store.apps.get(LAMBDA_API_APP);
    if (app) return structuredClone(app.stack);
    return { service: 'lambda', stage: 'api', region: this.region, appDir: this.codeRoot(), definitionFile: '', functions: [], routes: [], httpApi: { cors: null }, warnings: [] };
  }

  private codeRoot(): string {
    return path.join(this.platform.opts.dataDir, 'functions');
  }

  /** A new directory per upload: instances of the old code keep theirs until they are retired. */
  private unpack(name: string, zip: Buffer): string {
    const dir = path.join(this.codeRoot(), name, crypto.randomUUID());
    fs.mkdirSync(dir, { recursive: true });
    try {
      extractZip(zip, dir);
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return dir;
  }
}

function codeInfo(zip: Buffer): { sha256: string; size: number } {
  return { sha256: crypto.createHash('sha256').update(zip).digest('base64'), size: zip.length };
}

/** Lambda's LastModified format: `2019-10-25T17:03:54.123+0000`. */
export function lambdaDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
